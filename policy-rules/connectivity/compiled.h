#pragma once

// The compiled form of a ClusterState shared by the connectivity engine's files: namespaces and
// pods by index, policies with parsed CIDRs, the cluster-scoped policies in the order their tiers
// evaluate them, and the pod classes the matrix is computed over.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "netadmit/connectivity/connectivity.h"
#include "netadmit/model/cidr.h"

namespace netadmit {

struct ConnIpBlock {
  uint32_t id = 0;  // index into Connectivity::Compiled::ip_blocks
  Cidr cidr;
  std::vector<Cidr> except;

  bool Matches(const Cidr& host) const;
};

struct ConnPeer {
  const NetworkPolicyPeer* peer = nullptr;
  std::optional<ConnIpBlock> ip_block;
};

struct ConnRule {
  const NetworkPolicyRule* rule = nullptr;
  std::vector<ConnPeer> peers;
};

struct ConnPolicy {
  uint32_t namespace_index = 0;
  bool affects_ingress = false;
  bool affects_egress = false;
  std::vector<ConnRule> ingress;
  std::vector<ConnRule> egress;
};

// A peer of a cluster-scoped policy rule; `networks` holds the parsed CIDRs of a kNetworks peer.
struct ConnClusterPeer {
  const ClusterPolicyPeer* peer = nullptr;
  std::vector<ConnIpBlock> networks;
};

struct ConnClusterRule {
  const ClusterPolicyRule* rule = nullptr;
  // Fail closed: a peer with no known field makes a Deny or Pass rule deny every connection of
  // its subject, whatever its other peers and ports (upstream's "treat the rule as Deny all").
  std::optional<std::size_t> deny_all_peer;
  std::vector<ConnClusterPeer> peers;
};

struct ConnClusterPolicy {
  std::vector<ConnClusterRule> ingress;
  std::vector<ConnClusterRule> egress;
};

struct Connectivity::Compiled {
  ClusterState state;
  std::map<std::string, uint32_t, std::less<>> namespace_index;
  std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> pod_index;
  std::vector<uint32_t> pod_namespace;           // per pod
  std::vector<std::vector<Cidr>> pod_addresses;  // per pod, host blocks (/32, /128)
  std::vector<ConnPolicy> policies;
  std::vector<std::vector<std::size_t>> policies_by_namespace;
  std::vector<const ConnIpBlock*> ip_blocks;
  std::vector<ConnClusterPolicy> cluster_policies;  // by index into state.cluster_policies
  // Evaluation order, indexes into cluster_policies: the Admin tier by priority, then kind and
  // name; the Baseline tier by priority and name, BaselineAdminNetworkPolicies last.
  std::vector<std::size_t> admin_order;
  std::vector<std::size_t> baseline_order;

  // Classes: pods that no policy can tell apart, by ClassKey.
  std::unordered_map<std::string, uint32_t> class_ids;
  std::vector<uint32_t> class_of_pod;
  std::vector<std::size_t> class_representative;  // a pod of the class
  std::vector<uint64_t> class_size;
  std::vector<std::vector<uint32_t>> classes_by_namespace;
  std::vector<std::vector<uint32_t>> classes_in_ip_block;  // per ip block id

  // What in-place updates (update.cpp) need besides: ipBlock and `networks` ids by their text,
  // where each NetworkPolicy and cluster policy is, and which entries an update removed. A
  // removed pod or policy keeps its index (decisions name policies by index), out of every
  // lookup and evaluation order; a removed pod's class keeps it as its representative.
  std::map<std::string, uint32_t> block_ids;
  std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> policy_index;
  std::map<std::pair<int, std::string>, std::size_t, std::less<>> cluster_policy_index;
  std::vector<uint8_t> pod_live;             // per pod: 0 once removed
  std::vector<uint8_t> policy_live;          // per NetworkPolicy
  std::vector<uint8_t> cluster_policy_live;  // per cluster policy
  std::size_t removed = 0;                   // pods and policies removed since the build

  const Labels& NamespaceLabels(uint32_t index) const { return state.namespaces[index].labels; }
};

// Compile steps Build and the in-place updates share (connectivity.cpp).
uint32_t AddNamespace(Connectivity::Compiled& compiled, const std::string& name);
// The policy compiled against its place in compiled.state.policies (its rules are pointed at).
Result<ConnPolicy> CompilePolicy(const PolicyInfo& policy, Connectivity::Compiled& compiled,
                                 std::map<std::string, uint32_t>& block_ids);
Result<ConnClusterPolicy> CompileClusterPolicy(const ClusterPolicyInfo& policy,
                                               std::map<std::string, uint32_t>& block_ids);
// Sets admin_order and baseline_order from the cluster policies that are not removed.
void OrderTiers(Connectivity::Compiled& compiled);
// Puts the pod into the class of its key, making the class when it is new.
void AssignClass(Connectivity::Compiled& compiled, std::size_t pod);
// Every ipBlock and `networks` block of the policy, for Compiled::ip_blocks.
void ForEachBlock(const ConnPolicy& policy, const std::function<void(const ConnIpBlock&)>& each);
void ForEachBlock(const ConnClusterPolicy& policy,
                  const std::function<void(const ConnIpBlock&)>& each);

// Parses "10.0.0.1" or "fd00::1" into a host block; nullopt when it is not an address.
std::optional<Cidr> ParseAddress(std::string_view text);

// Whether the pod `to` has a container port named `name` that is `port`.
bool NamedPortMatches(const Connectivity::Compiled& compiled, std::string_view name,
                      const PortProtocol& port, const Endpoint& to);
// Whether a policy port admits `port` towards `to` (named ports resolve on the pod `to`).
bool PortMatches(const Connectivity::Compiled& compiled, const NetworkPolicyPort& policy_port,
                 const PortProtocol& port, const Endpoint& to);
bool RulePortsMatch(const Connectivity::Compiled& compiled, const NetworkPolicyRule& rule,
                    const PortProtocol& port, const Endpoint& to);
// The same for a cluster policy port and rule (no ports: every port of every protocol).
bool ClusterPortMatches(const Connectivity::Compiled& compiled, const ClusterPolicyPort& rule_port,
                        const PortProtocol& port, const Endpoint& to);
bool ClusterRulePortsMatch(const Connectivity::Compiled& compiled, const ClusterPolicyRule& rule,
                           const PortProtocol& port, const Endpoint& to);

}  // namespace netadmit
