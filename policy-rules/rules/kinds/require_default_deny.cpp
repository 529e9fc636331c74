// RequireDefaultDeny reads the namespace's NetworkPolicies, its labels and the cluster policies
// from the cluster view. A namespace is covered for a direction when one of its policies selects
// every pod (`podSelector: {}`), is in force for that direction (policyTypes, written or
// inferred) and has no rules for it: nothing is allowed, so every other policy can only open what
// it names. A Deny rule of a cluster policy that denies the direction to every pod of the
// namespace covers it too, and so does the coveredNamespaces declaration (cluster_coverage.h).
//
// It refuses
//   - Pod CREATE, and pod-controller CREATE/UPDATE, in a namespace not covered (pod UPDATE is
//     left alone: refusing it would block finalizer removal and so the pod's deletion);
//   - NetworkPolicy DELETE, and UPDATE, that takes the last coverage of a direction away.
// It lets everything through in a namespace being deleted, and for the namespace controller,
// which removes a terminating namespace's policies and would otherwise never finish; and the
// UPDATEs of a workload being deleted (its finalizers going).
//
// Its refusals are confirmed before they deny (confirm_with_fresh_read): the server reads the
// namespace's policies afresh first, since `kubectl apply -f dir/` may have created the
// default-deny milliseconds before the Deployment, faster than the watch delivered it.

#include "rules/kinds/require_default_deny.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "rules/kinds/cluster_coverage.h"
#include "rules/kinds/lifecycle.h"
#include "rules/kinds/policy_types.h"

namespace netadmit {

namespace {

// A policy that, alone, denies everything in `type` to every pod of its namespace.
bool DeniesAll(const NetworkPolicySpec& spec, PolicyType type) {
  if (!spec.pod_selector.Empty() || !Affects(spec, type)) {
    return false;
  }
  return type == PolicyType::kIngress ? spec.ingress.empty() : spec.egress.empty();
}

// Whether another policy of the namespace than `except` (by name) covers `type`.
bool CoveredBy(const std::vector<std::shared_ptr<const CachedPolicy>>& policies, PolicyType type,
               std::string_view except) {
  for (const auto& policy : policies) {
    if (policy->name != except && DeniesAll(policy->spec, type)) {
      return true;
    }
  }
  return false;
}

// The exact NetworkPolicy that covers the namespace, in flow style so that it stays on the one
// line of the message and can be pasted into `kubectl apply -f -`.
std::string DefaultDenyYaml(const std::string& namespace_name,
                            const std::vector<PolicyType>& types) {
  std::string list;
  for (const auto type : types) {
    list += list.empty() ? "" : ", ";
    list += PolicyTypeName(type);
  }
  return "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: default-deny, "
         "namespace: " +
         namespace_name + "}, spec: {podSelector: {}, policyTypes: [" + list + "]}}";
}

class RequireDefaultDenyCheck final : public RuleCheck {
 public:
  RequireDefaultDenyCheck(std::vector<PolicyType> types,
                          std::optional<LabelSelector> covered_namespaces)
      : types_(std::move(types)), covered_namespaces_(std::move(covered_namespaces)) {}

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    const ClusterView* cluster = context.cluster;
    const std::string& namespace_name = object.metadata.namespace_name;
    if (cluster == nullptr || namespace_name.empty() || NamespaceBeingEmptied(object, context)) {
      return;
    }
    if (const NetworkPolicySpec* spec = object.network_policy()) {
      CheckPolicyChange(object, *spec, context, *cluster, violations);
    } else if (object.pod_template() != nullptr) {
      CheckWorkload(object, context, *cluster, violations);
    }
  }

 private:
  void CheckWorkload(const Object& object, const CheckContext& context, const ClusterView& cluster,
                     std::vector<Violation>& violations) const {
    const bool is_pod = object.kind == "Pod";
    // An UPDATE of a workload being deleted removes its finalizers (the garbage collector's
    // foregroundDeletion): refusing it would keep the workload forever.
    if (context.operation == Operation::kDelete || object.metadata.deleting ||
        (is_pod && context.operation != Operation::kCreate)) {
      return;
    }
    const std::string& namespace_name = object.metadata.namespace_name;
    const auto policies = cluster.Policies(namespace_name);
    std::vector<PolicyType> missing;
    for (const auto type : types_) {
      if (!CoveredBy(policies, type, {})) {
        missing.push_back(type);
      }
    }
    if (missing.empty()) {
      return;
    }
    // Asked only now: most namespaces have their default-deny NetworkPolicy.
    const ClusterCoverage coverage(cluster, namespace_name, nullptr, covered_namespaces_);
    const std::vector<PolicyType> covered = coverage.TakeCovered(missing);
    if (missing.empty()) {
      return;
    }
    violations.push_back(
        Violation{"metadata.namespace",
                  "namespace " + namespace_name + " has no default-deny NetworkPolicy for " +
                      DescribePolicyTypes(missing),
                  "no policy there selects every pod (podSelector: {}) with no " +
                      DescribePolicyTypes(missing) + " rules" + DescribeCovered(coverage, covered),
                  "create it first: kubectl apply -f - <<< '" +
                      DefaultDenyYaml(namespace_name, types_) + "'"});
  }

  void CheckPolicyChange(const Object& object, const NetworkPolicySpec& spec,
                         const CheckContext& context, const ClusterView& cluster,
                         std::vector<Violation>& violations) const {
    // What the policy did before the request, and what it does after: nothing after a DELETE.
    const NetworkPolicySpec* before = nullptr;
    const NetworkPolicySpec* after = nullptr;
    if (context.operation == Operation::kDelete) {
      before = &spec;
    } else if (context.operation == Operation::kUpdate && context.old_object != nullptr) {
      before = context.old_object->network_policy();
      after = &spec;
    }
    if (before == nullptr) {
      return;  // CREATE can only add coverage
    }
    const std::string& namespace_name = object.metadata.namespace_name;
    std::vector<PolicyType> lost;
    for (const auto type : types_) {
      if (DeniesAll(*before, type) && (after == nullptr || !DeniesAll(*after, type))) {
        lost.push_back(type);
      }
    }
    if (lost.empty()) {
      return;
    }
    const auto policies = cluster.Policies(namespace_name);
    std::vector<PolicyType> uncovered;
    for (const auto type : lost) {
      if (!CoveredBy(policies, type, object.metadata.name)) {
        uncovered.push_back(type);
      }
    }
    if (uncovered.empty()) {
      return;
    }
    // What the cluster keeps covering after the change.
    const ClusterCoverage coverage(cluster, namespace_name, nullptr, covered_namespaces_);
    const std::vector<PolicyType> covered = coverage.TakeCovered(uncovered);
    if (uncovered.empty()) {
      return;
    }
    const bool deleting = context.operation == Operation::kDelete;
    violations.push_back(Violation{
        deleting ? "metadata.name" : "spec",
        std::string(deleting ? "deleting" : "this change removes") + " the last default-deny for " +
            DescribePolicyTypes(uncovered) + " in namespace " + namespace_name,
        "NetworkPolicy " + object.metadata.name +
            " is the only policy there that selects every pod and allows no " +
            DescribePolicyTypes(uncovered) + " traffic" + DescribeCovered(coverage, covered),
        deleting ? "create another default-deny in the namespace first, or delete the namespace"
                 : "keep `podSelector: {}` with no " + DescribePolicyTypes(uncovered) +
                       " rules, or create another default-deny first"});
  }

  std::vector<PolicyType> types_;
  std::optional<LabelSelector> covered_namespaces_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  auto types = ReadPolicyTypes(params, "policyTypes", {PolicyType::kIngress, PolicyType::kEgress});
  auto covered_namespaces = ReadCoveredNamespaces(params);
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(
      std::make_unique<RequireDefaultDenyCheck>(std::move(types), std::move(covered_namespaces)));
}

}  // namespace

RuleKind RequireDefaultDenyKind() {
  RuleKind kind{
      "RequireDefaultDeny",
      "Every namespace keeps a NetworkPolicy that selects all its pods and denies everything in "
      "the named directions, unless a cluster policy's Deny rule does so for it: pods are "
      "refused until one exists, and the last copy cannot be deleted or weakened.",
      Target::kNetworkPolicyOrPodTemplate,
      {{"policyTypes", "list of Ingress, Egress (default both)",
        "the directions that must be denied by default"},
       CoveredNamespacesDoc()},
      Compile,
  };
  kind.checks_delete = true;
  kind.needs_cluster = true;
  kind.confirm_with_fresh_read = true;
  kind.about_namespace = true;
  return kind;
}

}  // namespace netadmit
