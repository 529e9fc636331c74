#pragma once

// The cluster-scoped network policies of SIG Network's network-policy-api, in one model:
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) and
// ClusterNetworkPolicy (v1alpha2, and v1beta1 with the same schema). They differ in names, not
// in meaning: an AdminNetworkPolicy is a ClusterNetworkPolicy of tier Admin, the
// BaselineAdminNetworkPolicy one of tier Baseline, and v1alpha1's Allow is v1alpha2's Accept.
// The kind is kept so that messages use the words the user wrote.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/labels.h"

namespace netadmit {

enum class ClusterPolicyKind {
  kAdminNetworkPolicy,
  kBaselineAdminNetworkPolicy,
  kClusterNetworkPolicy
};
const char* ClusterPolicyKindName(ClusterPolicyKind kind);  // "AdminNetworkPolicy", ...

// The API group of the three kinds.
inline constexpr std::string_view kPolicyApiGroup = "policy.networking.k8s.io";
// The one BaselineAdminNetworkPolicy a cluster may have is named "default".
inline constexpr std::string_view kBaselinePolicyName = "default";

// Admin is evaluated before NetworkPolicies, Baseline after them.
enum class ClusterPolicyTier { kAdmin, kBaseline };
const char* ClusterPolicyTierName(ClusterPolicyTier tier);  // "Admin", "Baseline"

// Allow (v1alpha1) and Accept (v1alpha2) are the same action: final for the direction.
// Pass hands the connection to the next tier (NetworkPolicies, then Baseline).
enum class ClusterRuleAction { kAllow, kDeny, kPass };
// The action as the kind spells it: "Allow" for v1alpha1 kinds, "Accept" for ClusterNetworkPolicy.
const char* ClusterRuleActionName(ClusterPolicyKind kind, ClusterRuleAction action);

// Pods by the labels of their namespace and their own. Empty selectors select everything.
struct NamespacedPodSelector {
  LabelSelector namespace_selector;
  LabelSelector pod_selector;

  bool Matches(const Labels& namespace_labels, const Labels& pod_labels) const {
    return namespace_selector.Matches(namespace_labels) && pod_selector.Matches(pod_labels);
  }
};

// spec.subject: exactly one of `namespaces` (every pod of the selected namespaces) or `pods`.
struct ClusterPolicySubject {
  std::optional<LabelSelector> namespaces;
  std::optional<NamespacedPodSelector> pods;

  // A subject with neither field selects nothing.
  bool Matches(const Labels& namespace_labels, const Labels& pod_labels) const {
    if (namespaces) {
      return namespaces->Matches(namespace_labels);
    }
    return pods && pods->Matches(namespace_labels, pod_labels);
  }
};

// One entry of a rule's `from` or `to`. Only `namespaces`, `pods` and `networks` can match a pod;
// `nodes` and `domainNames` select node addresses and DNS names, which pod-to-pod analysis does
// not see. kUnknown is a peer with no field netadmit knows (a newer API): upstream says to fail
// closed, so it matches nothing in an Allow rule and everything in a Deny or Pass rule.
enum class ClusterPeerKind { kNamespaces, kPods, kNetworks, kNodes, kDomainNames, kUnknown };

struct ClusterPolicyPeer {
  ClusterPeerKind kind = ClusterPeerKind::kUnknown;
  LabelSelector namespace_selector;       // kNamespaces, kPods
  LabelSelector pod_selector;             // kPods
  std::vector<std::string> networks;      // kNetworks: CIDRs, matched against pod IPs too
  LabelSelector node_selector;            // kNodes
  std::vector<std::string> domain_names;  // kDomainNames
};

// A destination port: a number or an inclusive range on one protocol, or a container port name
// resolved on the destination pod (with that port's own protocol).
struct ClusterPolicyPort {
  Protocol protocol = Protocol::kTCP;
  int32_t first = 0;
  int32_t last = 0;  // == first for a single port
  std::optional<std::string> named_port;
};

struct ClusterPolicyRule {
  std::string name;  // optional in the API; may be empty
  ClusterRuleAction action = ClusterRuleAction::kDeny;
  std::vector<ClusterPolicyPeer> peers;  // `from` for ingress, `to` for egress
  // nullopt: the rule has no ports/protocols and matches every port of every protocol.
  std::optional<std::vector<ClusterPolicyPort>> ports;
};

struct ClusterPolicySpec {
  ClusterPolicyKind kind = ClusterPolicyKind::kClusterNetworkPolicy;
  ClusterPolicyTier tier = ClusterPolicyTier::kAdmin;
  int32_t priority =
      0;  // 0..1000, lower first; 0 for the BaselineAdminNetworkPolicy, which has none
  ClusterPolicySubject subject;
  // In precedence order: the first rule that matches a connection decides.
  std::vector<ClusterPolicyRule> ingress;
  std::vector<ClusterPolicyRule> egress;
};

}  // namespace netadmit
