// Shared by RequireDefaultDeny and RequirePodSelected. Reads, of each cluster policy in the
// cluster view: spec.subject, and each rule's action, peers (namespaces, pods, networks) and
// ports/protocols. See cluster_coverage.h for what covers what.

#include "rules/kinds/cluster_coverage.h"

#include <tuple>
#include <vector>

#include "netadmit/model/cidr.h"
#include "netadmit/rules/engine.h"
#include "rules/kinds/describe.h"
#include "rules/kinds/policy_types.h"

namespace netadmit {

namespace {

constexpr char kCoveredNamespaces[] = "coveredNamespaces";

bool SelectsEveryPod(const ClusterPolicyPeer& peer) {
  return (peer.kind == ClusterPeerKind::kNamespaces && peer.namespace_selector.Empty()) ||
         (peer.kind == ClusterPeerKind::kPods && peer.namespace_selector.Empty() &&
          peer.pod_selector.Empty());
}

// Whether the subject selects every pod of a namespace with these labels (`pod_labels` null), or
// the pod with `pod_labels`.
bool SubjectCovers(const ClusterPolicySubject& subject, const Labels& namespace_labels,
                   const Labels* pod_labels) {
  if (subject.namespaces) {
    return subject.namespaces->Matches(namespace_labels);
  }
  if (!subject.pods || !subject.pods->namespace_selector.Matches(namespace_labels)) {
    return false;
  }
  return pod_labels != nullptr ? subject.pods->pod_selector.Matches(*pod_labels)
                               : subject.pods->pod_selector.Empty();
}

}  // namespace

std::optional<LabelSelector> ReadCoveredNamespaces(ParamReader& params) {
  return params.Selector(kCoveredNamespaces);
}

ParamDoc CoveredNamespacesDoc() {
  return {kCoveredNamespaces, "label selector over namespace labels (optional)",
          "namespaces declared covered in every direction by cluster-wide policies netadmit does "
          "not read (Calico GlobalNetworkPolicy, Cilium CiliumClusterwideNetworkPolicy): a "
          "declaration, not a proof"};
}

bool DeniesEverything(const ClusterPolicyRule& rule, PolicyType type) {
  if (rule.action != ClusterRuleAction::kDeny || rule.ports) {
    return false;
  }
  bool every_v4 = false;
  bool every_v6 = false;
  for (const ClusterPolicyPeer& peer : rule.peers) {
    if (peer.kind == ClusterPeerKind::kUnknown ||
        (type == PolicyType::kIngress && SelectsEveryPod(peer))) {
      return true;
    }
    if (peer.kind != ClusterPeerKind::kNetworks) {
      continue;
    }
    for (const std::string& network : peer.networks) {
      const auto cidr = Cidr::Parse(network);
      if (cidr && cidr->IsEverything()) {
        (cidr->is_v6() ? every_v6 : every_v4) = true;
      }
    }
  }
  return every_v4 && every_v6;
}

ClusterCoverage::ClusterCoverage(const ClusterView& cluster, const std::string& namespace_name,
                                 const Labels* pod_labels,
                                 const std::optional<LabelSelector>& declared)
    : policies_(cluster.ClusterPolicies()),
      namespace_labels_(NamespaceLabels(namespace_name, &cluster)),
      pod_labels_(pod_labels),
      declared_(declared && declared->Matches(namespace_labels_)) {}

std::optional<std::string> ClusterCoverage::CoveredBy(PolicyType type) const {
  const CachedClusterPolicy* first = nullptr;
  std::size_t first_rule = 0;
  for (const auto& policy : policies_) {
    const ClusterPolicySpec& spec = policy->spec;
    if (!SubjectCovers(spec.subject, namespace_labels_, pod_labels_)) {
      continue;
    }
    const auto& rules = type == PolicyType::kIngress ? spec.ingress : spec.egress;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (!DeniesEverything(rules[i], type)) {
        continue;
      }
      if (first == nullptr ||
          std::tie(spec.tier, spec.priority) < std::tie(first->spec.tier, first->spec.priority)) {
        first = policy.get();
        first_rule = i;
      }
      break;
    }
  }
  if (first != nullptr) {
    return DescribeClusterPolicy(first->spec, first->name) + " " +
           Indexed(type == PolicyType::kIngress ? "spec.ingress" : "spec.egress", first_rule);
  }
  if (declared_) {
    return std::string("declaration ") + kCoveredNamespaces;
  }
  return std::nullopt;
}

std::vector<PolicyType> ClusterCoverage::TakeCovered(std::vector<PolicyType>& types) const {
  std::vector<PolicyType> covered;
  std::erase_if(types, [&](PolicyType type) {
    if (CoveredBy(type)) {
      covered.push_back(type);
      return true;
    }
    return false;
  });
  return covered;
}

std::string DescribeCovered(const ClusterCoverage& coverage, const std::vector<PolicyType>& types) {
  std::string out;
  for (const PolicyType type : types) {
    if (auto by = coverage.CoveredBy(type)) {
      out += "; ";
      out += PolicyTypeName(type);
      out += " is covered by " + *by;
    }
  }
  return out;
}

}  // namespace netadmit
