#pragma once

// What stands in for a namespace's default-deny NetworkPolicy besides its NetworkPolicies, for
// RequireDefaultDeny and RequirePodSelected: a Deny rule of a cluster-scoped policy that denies a
// direction to every pod of the namespace (or to the pod), and the coveredNamespaces declaration.
//
// A rule of an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy (Admin or
// Baseline tier alike) denies everything in a direction when
//   - its action is Deny: Allow/Accept opens what it names, and Pass hands it to the next tier;
//   - it has no ports/protocols: every port of every protocol;
//   - some peer matches every peer of the direction:
//       ingress: `namespaces: {}`, or `pods` with both selectors empty (ingress peers can name
//       only pods, so this is the most a cluster policy can deny; sources outside the cluster,
//       which a NetworkPolicy default-deny also refuses, are not covered by it);
//       both directions: `networks` holding 0.0.0.0/0 and ::/0 in one rule (they match every
//       address, pods' own included);
//       a peer with no field netadmit knows (a newer API): upstream makes such a Deny rule a
//       deny-all.
//     For egress a Deny to every pod is not enough: it leaves every address outside the cluster
//     open, which a default-deny does not.
// and its subject selects every pod of the namespace (`namespaces` matching the namespace's
// labels, or `pods` whose namespaceSelector matches them and whose podSelector is empty), or the
// pod itself. Earlier rules and policies that allow or pass something only open what they name,
// as other NetworkPolicies do beside a default-deny; a Baseline deny applies to the pods no
// NetworkPolicy isolates, and NetworkPolicies deny the rest.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/model/model.h"
#include "netadmit/rules/params.h"
#include "netadmit/rules/rule.h"

namespace netadmit {

// The coveredNamespaces param: namespaces whose labels it selects count as covered in every
// direction by cluster-wide policies netadmit does not read (Calico GlobalNetworkPolicy, Cilium
// CiliumClusterwideNetworkPolicy). A declaration, not a proof.
std::optional<LabelSelector> ReadCoveredNamespaces(ParamReader& params);
ParamDoc CoveredNamespacesDoc();

// Whether the rule denies every peer of `type` on every port (see above).
bool DeniesEverything(const ClusterPolicyRule& rule, PolicyType type);

// The cluster policies and the declaration, as seen from one namespace (and, for a pod, its
// labels). Reads the cluster view's cluster policies once.
class ClusterCoverage {
 public:
  // `pod_labels` null: every pod of the namespace must be covered. It must outlive the object.
  ClusterCoverage(const ClusterView& cluster, const std::string& namespace_name,
                  const Labels* pod_labels, const std::optional<LabelSelector>& declared);

  // What covers `type`, for messages ("BaselineAdminNetworkPolicy default spec.ingress[0]",
  // "declaration coveredNamespaces"), or nullopt when nothing does. A cluster policy is named
  // before the declaration; among policies, the one evaluated first (Admin before Baseline,
  // lower priority first).
  std::optional<std::string> CoveredBy(PolicyType type) const;

  // Removes from `types` the directions covered, and returns them.
  std::vector<PolicyType> TakeCovered(std::vector<PolicyType>& types) const;

 private:
  std::vector<std::shared_ptr<const CachedClusterPolicy>> policies_;
  Labels namespace_labels_;
  const Labels* pod_labels_;
  bool declared_ = false;
};

// "; Ingress is covered by AdminNetworkPolicy deny-all spec.ingress[0]" for each direction of
// `types` that `coverage` covers, to append to a message's detail; empty when it covers none.
std::string DescribeCovered(const ClusterCoverage& coverage, const std::vector<PolicyType>& types);

}  // namespace netadmit
