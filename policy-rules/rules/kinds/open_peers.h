#pragma once

// The logic NoOpenEgress and NoOpenIngress share: finding the rules of one direction of a
// NetworkPolicy that admit an unbounded set of peers (no `to`/`from`, an ipBlock of 0.0.0.0/0
// or ::/0, an ipBlock outside the allowed CIDRs, optionally every pod of every namespace),
// unless all the rule's ports lie in the allowed ports; and the same for the Allow (Accept)
// rules of the cluster-scoped policies, whose `networks` are judged as ipBlocks are.

#include <string_view>
#include <vector>

#include "netadmit/model/cidr.h"
#include "netadmit/model/model.h"
#include "netadmit/rules/params.h"
#include "netadmit/rules/rule.h"

namespace netadmit {

// The words and field names of one direction, for paths and messages.
struct PeerDirection {
  std::string_view rules_field;  // "egress": the rules sit at spec.egress
  std::string_view peers_field;  // "to"
  std::string_view peer_noun;    // "destination"
  std::string_view peer_plural;  // "destinations"
};

inline constexpr PeerDirection kEgress{"egress", "to", "destination", "destinations"};
inline constexpr PeerDirection kIngress{"ingress", "from", "source", "sources"};

struct OpenPeerParams {
  std::vector<Cidr> allowed_cidrs;      // empty: only 0.0.0.0/0 and ::/0 count as open
  std::vector<PortSpec> allowed_ports;  // a rule whose ports all lie here is exempt
  bool cluster_wide_is_open = false;    // namespaceSelector: {} (all pods everywhere) is open
};

// Reads allowedCIDRs, allowedPorts and clusterWideIsOpen.
OpenPeerParams ReadOpenPeerParams(ParamReader& params);

// Documentation of the params ReadOpenPeerParams reads.
std::vector<ParamDoc> OpenPeerParamDocs(const PeerDirection& direction);

// True when the rule lists ports and every one of them lies within `allowed`. A port entry
// without a number (every port of its protocol) or with a name never does.
bool PortsWithin(const std::vector<NetworkPolicyPort>& ports, const std::vector<PortSpec>& allowed);

// Appends one violation per open peer (or per rule without peers) among the rules of
// `direction`, if the policy's policy types put that direction in force.
void CheckOpenPeers(const NetworkPolicySpec& spec, const PeerDirection& direction,
                    const OpenPeerParams& params, std::vector<Violation>& violations);

// Appends one violation per open peer among the Allow (Accept) rules of `direction` of a
// cluster-scoped policy: each of its `networks` that is 0.0.0.0/0 or ::/0, outside allowedCIDRs
// or not a CIDR, and each peer that selects every pod of every namespace (`namespaces: {}`, or
// `pods` with both selectors empty) — in the Admin tier always, since an Admin Allow is final and
// no NetworkPolicy can narrow it, in the Baseline tier only with clusterWideIsOpen, as in a
// NetworkPolicy. Deny and Pass rules open nothing. A rule whose ports all lie in the allowed
// ports is exempt.
void CheckOpenClusterPeers(const ClusterPolicySpec& spec, const PeerDirection& direction,
                           const OpenPeerParams& params, std::vector<Violation>& violations);

}  // namespace netadmit
