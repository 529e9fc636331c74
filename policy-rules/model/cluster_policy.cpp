#include "netadmit/model/cluster_policy.h"

namespace netadmit {

const char* ClusterPolicyKindName(ClusterPolicyKind kind) {
  switch (kind) {
    case ClusterPolicyKind::kAdminNetworkPolicy:
      return "AdminNetworkPolicy";
    case ClusterPolicyKind::kBaselineAdminNetworkPolicy:
      return "BaselineAdminNetworkPolicy";
    case ClusterPolicyKind::kClusterNetworkPolicy:
      return "ClusterNetworkPolicy";
  }
  return "ClusterNetworkPolicy";
}

const char* ClusterPolicyTierName(ClusterPolicyTier tier) {
  return tier == ClusterPolicyTier::kAdmin ? "Admin" : "Baseline";
}

const char* ClusterRuleActionName(ClusterPolicyKind kind, ClusterRuleAction action) {
  switch (action) {
    case ClusterRuleAction::kAllow:
      return kind == ClusterPolicyKind::kClusterNetworkPolicy ? "Accept" : "Allow";
    case ClusterRuleAction::kDeny:
      return "Deny";
    case ClusterRuleAction::kPass:
      return "Pass";
  }
  return "Deny";
}

}  // namespace netadmit
