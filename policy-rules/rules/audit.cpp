// The audit of what exists. See audit.h.

#include "netadmit/rules/audit.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "netadmit/rules/engine.h"
#include "netadmit/rules/exceptions.h"

namespace netadmit {

namespace {

// Worst first: the order of results within a namespace.
int Rank(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kFail:
      return 0;
    case AuditOutcome::kError:
      return 1;
    case AuditOutcome::kWarn:
      return 2;
    case AuditOutcome::kSkip:
      return 3;
    case AuditOutcome::kPass:
      return 4;
  }
  return 4;
}

AuditOutcome OutcomeOf(Action action) {
  return action == Action::kDeny ? AuditOutcome::kFail : AuditOutcome::kWarn;
}

std::string StringMember(const rapidjson::Value& json, std::string_view key) {
  const rapidjson::Value* value = JsonMember(json, key);
  return value != nullptr && value->IsString()
             ? std::string(value->GetString(), value->GetStringLength())
             : std::string();
}

bool IsAuditedKind(std::string_view api_version, std::string_view kind) {
  const auto& kinds = AuditedKinds();
  return std::any_of(kinds.begin(), kinds.end(), [&](const AuditedKind& audited) {
    return audited.api_version == api_version && audited.kind == kind;
  });
}

// Whether a kind's objects live in a namespace.
bool Namespaced(std::string_view kind) {
  const auto& kinds = AuditedKinds();
  return kind != "Namespace" && std::none_of(kinds.begin(), kinds.end(), [&](const auto& audited) {
           return audited.cluster_policy && audited.kind == kind;
         });
}

}  // namespace

const char* AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kPass:
      return "pass";
    case AuditOutcome::kFail:
      return "fail";
    case AuditOutcome::kWarn:
      return "warn";
    case AuditOutcome::kError:
      return "error";
    case AuditOutcome::kSkip:
      return "skip";
  }
  return "error";
}

const std::vector<AuditedKind>& AuditedKinds() {
  // Namespaces first: the namespace-level results land on them. The controllers before the
  // objects they own, as a reader of the report expects.
  static const std::vector<AuditedKind> kinds = {
      {"v1", "Namespace", "/api/v1/namespaces"},
      {"networking.k8s.io/v1", "NetworkPolicy", "/apis/networking.k8s.io/v1/networkpolicies"},
      {"apps/v1", "Deployment", "/apis/apps/v1/deployments"},
      {"apps/v1", "StatefulSet", "/apis/apps/v1/statefulsets"},
      {"apps/v1", "DaemonSet", "/apis/apps/v1/daemonsets"},
      {"apps/v1", "ReplicaSet", "/apis/apps/v1/replicasets"},
      {"batch/v1", "CronJob", "/apis/batch/v1/cronjobs"},
      {"batch/v1", "Job", "/apis/batch/v1/jobs"},
      {"v1", "ReplicationController", "/api/v1/replicationcontrollers"},
      {"v1", "Pod", "/api/v1/pods"},
      // Last: they are served only while their CRDs are installed, and asking discovery first
      // would only blur the error of an API server that cannot be read at all. ClusterNetworkPolicy
      // at both versions: discovery picks the one to list.
      {"policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy",
       "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies", true},
      {"policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy",
       "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies", true},
      {"policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy",
       "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies", true},
      {"policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy",
       "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies", true},
  };
  return kinds;
}

const std::string& ReportNamespace(const AuditResult& result) {
  return result.resource.kind == "Namespace" ? result.resource.name
                                             : result.resource.namespace_name;
}

bool ControlledByAuditedKind(const rapidjson::Value& json) {
  const rapidjson::Value* metadata = JsonMember(json, "metadata");
  const rapidjson::Value* owners =
      metadata != nullptr ? JsonMember(*metadata, "ownerReferences") : nullptr;
  if (owners == nullptr || !owners->IsArray()) {
    return false;
  }
  for (const rapidjson::Value& owner : owners->GetArray()) {
    const rapidjson::Value* controller = JsonMember(owner, "controller");
    if (controller != nullptr && controller->IsBool() && controller->GetBool() &&
        StringMember(owner, "kind") != "Namespace" &&
        IsAuditedKind(StringMember(owner, "apiVersion"), StringMember(owner, "kind"))) {
      return true;
    }
  }
  return false;
}

Audit::Audit(const RuleSet& rules, const ClusterView& cluster, TimePoint now)
    : rules_(rules), cluster_(cluster), now_(now) {}

std::string Audit::PolicyOf(const CompiledRule& rule) const {
  return rule.rule_set.empty() ? rule.source : rule.rule_set;
}

void Audit::Record(AuditResult result) {
  switch (result.result) {
    case AuditOutcome::kPass:
      ++report_.summary.pass;
      ++report_.pass_by_namespace[ReportNamespace(result)];
      return;  // passes are counted, not listed
    case AuditOutcome::kFail:
      ++report_.summary.fail;
      break;
    case AuditOutcome::kWarn:
      ++report_.summary.warn;
      break;
    case AuditOutcome::kError:
      ++report_.summary.error;
      break;
    case AuditOutcome::kSkip:
      ++report_.summary.skip;
      break;
  }
  report_.results.push_back(std::move(result));
}

void Audit::Judge(const rapidjson::Value& json, const TypeMeta* type,
                  std::string_view default_namespace) {
  if (!json.IsObject()) {
    return;
  }
  const std::string api_version =
      type != nullptr ? type->api_version : StringMember(json, "apiVersion");
  const std::string kind = type != nullptr ? type->kind : StringMember(json, "kind");
  if (!IsAuditedKind(api_version, kind) || ControlledByAuditedKind(json)) {
    return;
  }
  ++report_.objects_by_kind[kind];
  AuditedObject resource{api_version, kind, "", "", ""};
  if (const rapidjson::Value* metadata = JsonMember(json, "metadata")) {
    resource.name = StringMember(*metadata, "name");
    resource.uid = StringMember(*metadata, "uid");
    if (Namespaced(kind)) {
      resource.namespace_name = StringMember(*metadata, "namespace");
    }
  }
  if (Namespaced(kind) && resource.namespace_name.empty()) {
    resource.namespace_name = std::string(default_namespace);
  }
  if (kind == "Namespace") {
    namespace_uids_[resource.name] = resource.uid;  // judged at Finish, by what its objects found
    return;
  }
  Result<Object> object =
      DecodeObjectOfType(json, TypeMeta{api_version, kind}, resource.namespace_name);
  if (!object) {
    AuditResult error;
    error.policy = "netadmit";  // no rule set's: no rule could judge it
    error.result = AuditOutcome::kError;
    error.message = "cannot be judged: " + object.error().ToString();
    error.resource = std::move(resource);
    Record(std::move(error));
    return;
  }
  CheckContext context;
  context.operation = Operation::kCreate;
  context.cluster = &cluster_;
  for (const CompiledRule* rule : ApplicableRules(rules_, *object, context)) {
    if (rule->kind->audits_whole_cluster) {
      continue;  // JudgeCluster reports it
    }
    std::vector<Violation> violations;
    rule->check->Check(*object, context, violations);
    if (rule->kind->about_namespace) {
      NamespaceFinding& finding = by_namespace_[resource.namespace_name][rule->id];
      const RuleException* exception =
          violations.empty() ? nullptr
                             : CoveringException(rules_.exceptions(), rule->id, *object, now_);
      if (!violations.empty() && !finding.violated) {
        Finding first{rule->id, rule->action, std::move(violations.front())};
        if (exception == nullptr) {
          finding.violated = true;
          finding.first = AuditResult{PolicyOf(*rule),
                                      rule->id,
                                      OutcomeOf(rule->action),
                                      rule->action,
                                      first.violation.path,
                                      first.Message(),
                                      {}};
        } else {
          finding.first = AuditResult{
              PolicyOf(*rule), rule->id, AuditOutcome::kSkip, rule->action, first.violation.path,
              first.Message(), {},       exception->name};
        }
      } else if (violations.empty() && !finding.violated && finding.first.rule.empty()) {
        finding.first =
            AuditResult{PolicyOf(*rule), rule->id, AuditOutcome::kPass, rule->action, "", "", {}};
      }
      continue;
    }
    if (violations.empty()) {
      Record(AuditResult{PolicyOf(*rule), rule->id, AuditOutcome::kPass, rule->action, "", "",
                         resource});
      continue;
    }
    const RuleException* exception =
        CoveringException(rules_.exceptions(), rule->id, *object, now_);
    for (Violation& violation : violations) {
      Finding finding{rule->id, rule->action, std::move(violation)};
      Record(AuditResult{PolicyOf(*rule), rule->id,
                         exception != nullptr ? AuditOutcome::kSkip : OutcomeOf(rule->action),
                         rule->action, finding.violation.path, finding.Message(), resource,
                         exception != nullptr ? exception->name : std::string()});
    }
  }
}

void Audit::JudgeCluster() {
  for (const CompiledRule& rule : rules_.rules()) {
    std::vector<Violation> violations;
    rule.check->CheckCluster(cluster_, violations);
    if (violations.empty() && rule.kind->audits_whole_cluster) {
      // Its one judgement of this audit passed (the kind is asked of no object).
      Record(AuditResult{PolicyOf(rule), rule.id, AuditOutcome::kPass, rule.action, "", "", {}});
    }
    for (Violation& violation : violations) {
      Finding finding{rule.id, rule.action, std::move(violation)};
      Record(AuditResult{PolicyOf(rule), rule.id, OutcomeOf(rule.action), rule.action,
                         finding.violation.path, finding.Message(), AuditedObject{}});
    }
  }
}

AuditReport Audit::Finish() {
  for (auto& [namespace_name, rules] : by_namespace_) {
    for (auto& [rule_id, finding] : rules) {
      if (finding.first.rule.empty()) {
        continue;  // no object of the namespace was judged by this rule
      }
      AuditResult result = std::move(finding.first);
      result.resource =
          AuditedObject{"v1", "Namespace", "", namespace_name, namespace_uids_[namespace_name]};
      Record(std::move(result));
    }
  }
  by_namespace_.clear();
  std::stable_sort(report_.results.begin(), report_.results.end(),
                   [&](const AuditResult& a, const AuditResult& b) {
                     return std::forward_as_tuple(ReportNamespace(a), Rank(a.result),
                                                  a.resource.kind, a.resource.name, a.rule) <
                            std::forward_as_tuple(ReportNamespace(b), Rank(b.result),
                                                  b.resource.kind, b.resource.name, b.rule);
                   });
  return std::move(report_);
}

}  // namespace netadmit
