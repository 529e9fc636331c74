// RequirePodSelected looks at Pod CREATE and pod-controller CREATE/UPDATE, and at the labels
// the pods will carry (a Pod's own, a controller's template's). For each named direction, some
// NetworkPolicy of the namespace that is in force for it must select those labels; otherwise
// the pod would be reachable by (or could reach) anything, since Kubernetes isolates only the
// pods some policy selects. A Deny rule of a cluster policy whose subject selects the pod and
// that denies the direction to every peer counts as well, and so does the coveredNamespaces
// declaration (cluster_coverage.h). A refusal rests on policies the cache may not have yet, so
// the server confirms it with a fresh read before denying.

#include "rules/kinds/require_pod_selected.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "rules/kinds/cluster_coverage.h"
#include "rules/kinds/describe.h"
#include "rules/kinds/lifecycle.h"
#include "rules/kinds/policy_types.h"

namespace netadmit {

namespace {

// "{app: web, tier: front}": the labels as a flow-style YAML map for a podSelector.
std::string FlowMap(const Labels& labels, std::size_t max_items) {
  std::vector<std::string> items;
  for (const auto& [key, value] : labels) {
    items.push_back(key + ": " + value);
  }
  // Appended rather than "{" + ... + "}", which GCC 12 at -O3 flags with a false -Wrestrict.
  std::string out = "{";
  out += JoinSome(items, max_items);
  out += '}';
  return out;
}

class RequirePodSelectedCheck final : public RuleCheck {
 public:
  RequirePodSelectedCheck(std::vector<PolicyType> types,
                          std::optional<LabelSelector> covered_namespaces)
      : types_(std::move(types)), covered_namespaces_(std::move(covered_namespaces)) {}

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    const PodTemplate* pod = object.pod_template();
    const std::string& namespace_name = object.metadata.namespace_name;
    if (pod == nullptr || context.cluster == nullptr || namespace_name.empty() ||
        context.operation == Operation::kDelete || object.metadata.deleting ||
        (object.kind == "Pod" && context.operation != Operation::kCreate) ||
        NamespaceBeingEmptied(object, context)) {
      return;
    }
    const auto policies = context.cluster->Policies(namespace_name);
    std::vector<PolicyType> unselected;
    for (const auto type : types_) {
      bool selected = false;
      for (const auto& policy : policies) {
        if (Affects(policy->spec, type) && policy->spec.pod_selector.Matches(pod->labels)) {
          selected = true;
          break;
        }
      }
      if (!selected) {
        unselected.push_back(type);
      }
    }
    if (unselected.empty()) {
      return;
    }
    // Asked only now: most pods are selected by some NetworkPolicy.
    const ClusterCoverage coverage(*context.cluster, namespace_name, &pod->labels,
                                   covered_namespaces_);
    const std::vector<PolicyType> covered = coverage.TakeCovered(unselected);
    if (unselected.empty()) {
      return;
    }
    const std::string directions = DescribePolicyTypes(unselected);
    violations.push_back(Violation{
        pod->metadata_path + ".labels", "no NetworkPolicy selects this pod for " + directions,
        "labels " + FlowMap(pod->labels, 4) + " in namespace " + namespace_name +
            DescribeCovered(coverage, covered),
        "add a NetworkPolicy for " + directions + " whose podSelector matches these labels, " +
            "e.g. podSelector: {matchLabels: " + FlowMap(pod->labels, 2) + "}"});
  }

 private:
  std::vector<PolicyType> types_;
  std::optional<LabelSelector> covered_namespaces_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  auto types = ReadPolicyTypes(params, "policyTypes", {PolicyType::kIngress});
  auto covered_namespaces = ReadCoveredNamespaces(params);
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(
      std::make_unique<RequirePodSelectedCheck>(std::move(types), std::move(covered_namespaces)));
}

}  // namespace

RuleKind RequirePodSelectedKind() {
  RuleKind kind{
      "RequirePodSelected",
      "Every pod is selected by at least one NetworkPolicy for the named directions, or denied "
      "them by a cluster policy's Deny rule, so that none is left open to every other pod.",
      Target::kPodTemplate,
      {{"policyTypes", "list of Ingress, Egress (default [Ingress])",
        "the directions some policy must select the pod for"},
       CoveredNamespacesDoc()},
      Compile,
  };
  kind.needs_cluster = true;
  kind.confirm_with_fresh_read = true;
  return kind;
}

}  // namespace netadmit
