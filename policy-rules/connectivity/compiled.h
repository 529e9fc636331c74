#pragma once

// The compiled form of a ClusterState shared by the connectivity engine's files: namespaces and
// pods by index, policies with parsed CIDRs, and the pod classes the matrix is computed over.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
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

struct Connectivity::Compiled {
  ClusterState state;
  std::map<std::string, uint32_t, std::less<>> namespace_index;
  std::map<std::pair<std::string, std::string>, std::size_t, std::less<>> pod_index;
  std::vector<uint32_t> pod_namespace;           // per pod
  std::vector<std::vector<Cidr>> pod_addresses;  // per pod, host blocks (/32, /128)
  std::vector<ConnPolicy> policies;
  std::vector<std::vector<std::size_t>> policies_by_namespace;
  std::vector<const ConnIpBlock*> ip_blocks;

  // Classes: pods that no policy can tell apart.
  std::vector<uint32_t> class_of_pod;
  std::vector<std::size_t> class_representative;  // a pod of the class
  std::vector<uint64_t> class_size;
  std::vector<std::vector<uint32_t>> classes_by_namespace;
  std::vector<std::vector<uint32_t>> classes_in_ip_block;  // per ip block id

  const Labels& NamespaceLabels(uint32_t index) const { return state.namespaces[index].labels; }
};

// Parses "10.0.0.1" or "fd00::1" into a host block; nullopt when it is not an address.
std::optional<Cidr> ParseAddress(std::string_view text);

// Whether a policy port admits `port` towards `to` (named ports resolve on the pod `to`).
bool PortMatches(const Connectivity::Compiled& compiled, const NetworkPolicyPort& policy_port,
                 const PortProtocol& port, const Endpoint& to);
bool RulePortsMatch(const Connectivity::Compiled& compiled, const NetworkPolicyRule& rule,
                    const PortProtocol& port, const Endpoint& to);

}  // namespace netadmit
