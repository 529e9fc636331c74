#pragma once

// The audit: what already in the cluster breaks the rules. Every object that exists is judged
// against every rule that applies to it, whatever the rule's action, as if it were being created
// now; rules about the cluster as a whole (Flows) are judged once over the whole cluster view.
// The results are named as in the PolicyReport API (wgpolicyk8s.io): pass, fail, warn, error, skip.
//
// Objects judged: NetworkPolicies, Pods, pod controllers, Namespaces and the cluster-scoped
// network policies (whose results are about the cluster, not a namespace). An object whose
// controlling owner is itself of a judged kind (a Deployment's ReplicaSets, a ReplicaSet's or
// a Job's Pods, a CronJob's Jobs) is not judged again: its controller's template is. A rule
// whose findings are about a namespace (RuleKind::about_namespace: no default-deny) gives one
// result on the Namespace, however many of its objects it found.
//
// No transport and no file reading here: the caller lists or reads the objects and hands them in,
// one at a time, so that a live audit can go page by page.

#include <rapidjson/document.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/decode.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {

enum class AuditOutcome { kPass, kFail, kWarn, kError, kSkip };
const char* AuditOutcomeName(AuditOutcome outcome);  // "pass", "fail", ...

// The kinds an audit judges, with where the API serves them.
struct AuditedKind {
  std::string_view api_version;  // "apps/v1"
  std::string_view kind;         // "Deployment"
  std::string_view path;         // "/apis/apps/v1/deployments" (every namespace)
  // A cluster-scoped network policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
  // ClusterNetworkPolicy): in no namespace, and served only while its CustomResourceDefinition
  // is installed, so listed only when discovery finds it at this version (kube/discovery.h).
  bool cluster_policy = false;
};
// In the order the audit lists them; the cluster-scoped policies last.
const std::vector<AuditedKind>& AuditedKinds();

// The object a result is about. An empty kind: the cluster as a whole (a Flows entry).
struct AuditedObject {
  std::string api_version;
  std::string kind;
  std::string namespace_name;  // empty for cluster-scoped objects
  std::string name;
  std::string uid;
};

struct AuditResult {
  std::string policy;  // the rule set's name (metadata.name of its RuleSet document)
  std::string rule;    // the rule id; empty for an object that does not decode
  AuditOutcome result = AuditOutcome::kFail;
  std::optional<Action> action;  // the rule's action; none for an error
  std::string path;              // the field, as in the webhook's message
  std::string message;           // the webhook's one-line finding, or why the object is an error
  AuditedObject resource;
  std::string exception = {};  // for a `skip`: the exception that covers the finding
};

struct AuditSummary {
  int pass = 0;
  int fail = 0;
  int warn = 0;
  int error = 0;
  int skip = 0;
};

struct AuditReport {
  // Everything not `pass`: by namespace (cluster-scoped first), worst first, then by kind, name
  // and rule.
  std::vector<AuditResult> results;
  AuditSummary summary;
  std::map<std::string, int, std::less<>> objects_by_kind;  // objects judged, by kind
  // The passes by the namespace they are reported in ("" for the cluster as a whole).
  std::map<std::string, int, std::less<>> pass_by_namespace;
  bool Failed() const { return summary.fail > 0; }
};

class Audit {
 public:
  // `rules` and `cluster` must outlive the audit. `cluster` holds every Namespace, NetworkPolicy
  // and Pod of the cluster before the first object is judged.
  // A finding an exception of `rules` covers at `now` is a `skip` naming the exception; an
  // expired exception covers nothing.
  Audit(const RuleSet& rules, const ClusterView& cluster,
        TimePoint now = std::chrono::system_clock::now());

  // Judges one object. `type` is its apiVersion and kind when it carries none (the items of a
  // LIST); nullptr to read them from the object. Objects of kinds the audit does not judge, and
  // objects controlled by an object of a judged kind, are passed over. An object that does not
  // decode is one `error` result. An object without a namespace is in `default_namespace`.
  void Judge(const rapidjson::Value& json, const TypeMeta* type = nullptr,
             std::string_view default_namespace = "default");

  // Judges the rules about the cluster as a whole (Flows entries), once, over the cluster view.
  void JudgeCluster();

  // The report; the audit is spent.
  AuditReport Finish();

 private:
  struct NamespaceFinding {
    bool violated = false;
    AuditResult first;  // the first finding, carried over to the Namespace
  };

  void Record(AuditResult result);
  std::string PolicyOf(const CompiledRule& rule) const;

  const RuleSet& rules_;
  const ClusterView& cluster_;
  TimePoint now_;
  AuditReport report_;
  // namespace -> rule id -> whether some object of it broke the rule (namespace-level rules)
  std::map<std::string, std::map<std::string, NamespaceFinding>, std::less<>> by_namespace_;
  std::map<std::string, std::string, std::less<>> namespace_uids_;
};

// The namespace a result is reported in: its object's, a Namespace's own name, or "" for the
// cluster as a whole.
const std::string& ReportNamespace(const AuditResult& result);

// Whether an object is controlled (metadata.ownerReferences with controller: true) by an object
// of a kind the audit judges, so that its controller's template speaks for it.
bool ControlledByAuditedKind(const rapidjson::Value& json);

}  // namespace netadmit
