// DistinctPriorities looks at CREATE and UPDATE of AdminNetworkPolicies and ClusterNetworkPolicies
// (spec.tier, spec.priority, spec.subject), and at the other cluster policies, namespaces and pods
// of the cluster view. It refuses a policy whose priority equals that of another policy of its
// tier when their subjects overlap: some known pod is selected by both, or, when both subjects are
// `namespaces` alone, some namespace is. Upstream leaves the order between such policies
// undefined, so which rule decides a connection of the overlap depends on the implementation.
// An equal priority without overlap passes; so does the BaselineAdminNetworkPolicy, which has no
// priority. Policies of the same kind and name are the one being updated.

#include "rules/kinds/distinct_priorities.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

constexpr int32_t kMinPriority = 0;
constexpr int32_t kMaxPriority = 1000;

// Whether the policy has a priority that orders it in its tier.
bool Prioritized(const ClusterPolicySpec& spec) {
  return spec.kind != ClusterPolicyKind::kBaselineAdminNetworkPolicy;
}

// The namespaces a subject looks at: `namespaces`, or the namespaceSelector of `pods`.
const LabelSelector* NamespacePart(const ClusterPolicySubject& subject) {
  if (subject.namespaces) {
    return &*subject.namespaces;
  }
  return subject.pods ? &subject.pods->namespace_selector : nullptr;
}

// "pod shop/web" or "namespace shop": one place both subjects select, or nullopt.
std::optional<std::string> Overlap(const ClusterPolicySubject& a, const ClusterPolicySubject& b,
                                   const ClusterView& cluster) {
  const LabelSelector* a_namespaces = NamespacePart(a);
  const LabelSelector* b_namespaces = NamespacePart(b);
  if (a_namespaces == nullptr || b_namespaces == nullptr) {
    return std::nullopt;  // a subject with neither field selects nothing
  }
  static const LabelSelector kEveryPod;
  for (const auto& known : cluster.Namespaces()) {
    if (!a_namespaces->Matches(known->labels) || !b_namespaces->Matches(known->labels)) {
      continue;
    }
    if (a.namespaces && b.namespaces) {
      return "namespace " + known->name;
    }
    // Asks the cache for the pods of one side's selector, then tries the other's on each.
    const LabelSelector& selector = a.pods ? a.pods->pod_selector : kEveryPod;
    for (const auto& pod : cluster.Pods(known->name, selector)) {
      if (b.Matches(known->labels, pod->labels)) {
        return "pod " + known->name + "/" + pod->name;
      }
    }
  }
  return std::nullopt;
}

// "9 or 11", "1", or "none": the priorities nearest `priority` that no policy of `taken` uses,
// within the range the API allows. In int64, so that no priority can make the search overflow.
std::string NearestFree(int32_t priority, const std::set<int32_t>& taken) {
  std::vector<std::string> free;
  for (int64_t below = std::min<int64_t>(priority, kMaxPriority + 1) - 1; below >= kMinPriority;
       --below) {
    if (taken.count(static_cast<int32_t>(below)) == 0) {
      free.push_back(std::to_string(below));
      break;
    }
  }
  for (int64_t above = std::max<int64_t>(priority, kMinPriority - 1) + 1; above <= kMaxPriority;
       ++above) {
    if (taken.count(static_cast<int32_t>(above)) == 0) {
      free.push_back(std::to_string(above));
      break;
    }
  }
  if (free.empty()) {
    return "none";
  }
  return free.size() == 1 ? free[0] : free[0] + " or " + free[1];
}

class DistinctPrioritiesCheck final : public RuleCheck {
 public:
  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    const ClusterPolicySpec* spec = object.cluster_policy();
    if (spec == nullptr || context.cluster == nullptr || !Prioritized(*spec)) {
      return;
    }
    std::vector<std::shared_ptr<const CachedClusterPolicy>> same;
    std::set<int32_t> taken;
    for (auto& other : context.cluster->ClusterPolicies()) {
      if (other->spec.tier != spec->tier || !Prioritized(other->spec) ||
          (other->spec.kind == spec->kind && other->name == object.metadata.name)) {
        continue;
      }
      taken.insert(other->spec.priority);
      if (other->spec.priority == spec->priority) {
        same.push_back(std::move(other));
      }
    }
    for (const auto& other : same) {
      const auto overlap = Overlap(spec->subject, other->spec.subject, *context.cluster);
      if (!overlap) {
        continue;
      }
      violations.push_back(Violation{
          "spec.priority",
          "priority " + std::to_string(spec->priority) + " is also that of " +
              DescribeClusterPolicy(other->spec, other->name) + ", whose subject overlaps",
          "both select " + *overlap + "; the order between them is undefined in the " +
              ClusterPolicyTierName(spec->tier) + " tier",
          "use a free priority: " + NearestFree(spec->priority, taken)});
    }
  }
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<DistinctPrioritiesCheck>());
}

}  // namespace

RuleKind DistinctPrioritiesKind() {
  RuleKind kind{
      "DistinctPriorities",
      "An AdminNetworkPolicy or ClusterNetworkPolicy may not share its priority with another "
      "policy of its tier whose subject overlaps its own (a pod, or a namespace, both select), "
      "since upstream leaves the order between them undefined.",
      Target::kClusterPolicy,
      {},
      Compile,
  };
  kind.needs_cluster = true;
  return kind;
}

}  // namespace netadmit
