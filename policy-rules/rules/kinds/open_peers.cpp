// Shared by NoOpenEgress and NoOpenIngress. Inspects, for each rule of spec.egress (`to`) or
// spec.ingress (`from`): its `ports`, and each peer's ipBlock.cidr/except, namespaceSelector and
// podSelector. Allows rules limited to specific peers, and any rule whose ports all lie in the
// allowed ports.

#include "rules/kinds/open_peers.h"

#include <algorithm>

#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

// True when every port lo..hi of `protocol` lies in the union of the allowed specs. Sweeps
// upwards from lo, each pass taking the spec that reaches furthest from where the sweep stands:
// quadratic in the few specs a rule set lists, and without allocating.
bool RangeCovered(Protocol protocol, int32_t lo, int32_t hi, const std::vector<PortSpec>& allowed) {
  // int64 so that end_port + 1 cannot overflow.
  int64_t next = lo;
  while (next <= hi) {
    int64_t reach = next;
    for (const auto& spec : allowed) {
      if (spec.protocol == protocol && spec.port <= next) {
        reach = std::max<int64_t>(reach, static_cast<int64_t>(spec.end_port) + 1);
      }
    }
    if (reach == next) {
      return false;  // no spec covers `next`
    }
    next = reach;
  }
  return true;
}

class Reporter {
 public:
  Reporter(const PeerDirection& direction, const OpenPeerParams& params,
           std::vector<Violation>& violations)
      : direction_(direction), params_(params), violations_(violations) {}

  void NoPeers(const std::string& rule_path, const NetworkPolicyRule& rule) {
    Add(rule_path,
        std::string(direction_.rules_field) + " rule has no `" +
            std::string(direction_.peers_field) + "`, so it allows every " +
            std::string(direction_.peer_noun),
        "on " + DescribeRulePorts(rule.ports),
        "add `" + std::string(direction_.peers_field) + "` with " + Bounded());
  }

  void Everything(const std::string& cidr_path, const IPBlock& block, const Cidr& cidr) {
    std::string detail = "ipBlock " + block.cidr;
    if (cidr.ToString() != block.cidr) {
      detail += ", which is " + cidr.ToString();
    }
    if (!block.except.empty()) {
      detail += " minus " + std::to_string(block.except.size()) +
                (block.except.size() == 1 ? " except block" : " except blocks");
    }
    Add(cidr_path, Rule() + " allows every " + std::string(direction_.peer_noun), detail,
        "use " + Bounded());
  }

  void Outside(const std::string& cidr_path, const IPBlock& block) {
    Add(cidr_path,
        Rule() + " allows " + std::string(direction_.peer_plural) + " outside allowedCIDRs",
        "ipBlock " + block.cidr, "use " + Bounded());
  }

  void Invalid(const std::string& cidr_path, const IPBlock& block) {
    Add(cidr_path, "ipBlock is not a valid CIDR", "cidr \"" + block.cidr + "\"",
        "write it as address/prefix, e.g. 10.0.0.0/8");
  }

  void ClusterWide(const std::string& peer_path, const NetworkPolicyPeer& peer) {
    Add(peer_path + ".namespaceSelector", Rule() + " allows every pod in every namespace",
        peer.pod_selector ? "namespaceSelector: {} and podSelector: {}" : "namespaceSelector: {}",
        "select namespaces by label, e.g. kubernetes.io/metadata.name" + Exempt());
  }

 private:
  std::string Rule() const { return std::string(direction_.rules_field) + " rule"; }

  // What a bounded peer looks like, plus the exemption.
  std::string Bounded() const {
    std::string out = "pod/namespace selectors or ";
    out += params_.allowed_cidrs.empty() ? std::string("narrower CIDRs")
                                         : "CIDRs inside " + DescribeCidrs(params_.allowed_cidrs);
    return out + Exempt();
  }

  std::string Exempt() const {
    if (params_.allowed_ports.empty()) {
      return "";
    }
    return "; " + DescribePortSpecs(params_.allowed_ports) + " alone are exempt";
  }

  void Add(std::string path, std::string problem, std::string detail, std::string fix) {
    violations_.push_back(
        Violation{std::move(path), std::move(problem), std::move(detail), std::move(fix)});
  }

  const PeerDirection& direction_;
  const OpenPeerParams& params_;
  std::vector<Violation>& violations_;
};

bool SelectsEveryPodEverywhere(const NetworkPolicyPeer& peer) {
  return peer.namespace_selector && peer.namespace_selector->Empty() &&
         (!peer.pod_selector || peer.pod_selector->Empty());
}

// `peer_path()` builds the peer's field path; called only for a violation, since most peers
// have none and the evaluation of a request is mostly this loop.
template <typename PathFn>
void CheckIpBlock(const PathFn& peer_path, const IPBlock& block, const OpenPeerParams& params,
                  Reporter& report) {
  auto cidr = Cidr::Parse(block.cidr);
  if (!cidr) {
    report.Invalid(peer_path() + ".ipBlock.cidr", block);
    return;
  }
  if (cidr->IsEverything()) {
    // `except` carves holes, but what is left is still (nearly) the whole address space.
    report.Everything(peer_path() + ".ipBlock.cidr", block, *cidr);
    return;
  }
  if (!params.allowed_cidrs.empty() &&
      std::none_of(params.allowed_cidrs.begin(), params.allowed_cidrs.end(),
                   [&](const Cidr& allowed) { return allowed.Contains(*cidr); })) {
    report.Outside(peer_path() + ".ipBlock.cidr", block);
  }
}

}  // namespace

OpenPeerParams ReadOpenPeerParams(ParamReader& params) {
  OpenPeerParams out;
  out.allowed_cidrs = params.CidrList("allowedCIDRs");
  out.allowed_ports = params.PortList("allowedPorts");
  out.cluster_wide_is_open = params.Bool("clusterWideIsOpen", false);
  return out;
}

std::vector<ParamDoc> OpenPeerParamDocs(const PeerDirection& direction) {
  const bool egress = direction.rules_field == kEgress.rules_field;
  return {
      {"allowedCIDRs", "list of CIDRs",
       egress ? "destination ipBlocks must lie inside one of these; without it only 0.0.0.0/0 "
                "and ::/0 count as open"
              : "source ipBlocks must lie inside one of these; without it only 0.0.0.0/0 and "
                "::/0 count as open"},
      {"allowedPorts", "list of {protocol, port, endPort}",
       "a rule whose ports all lie in these is exempt (e.g. DNS: 53/UDP and 53/TCP)"},
      {"clusterWideIsOpen", "bool (default false)",
       "also flag peers selecting every pod of every namespace (namespaceSelector: {})"},
  };
}

bool PortsWithin(const std::vector<NetworkPolicyPort>& ports,
                 const std::vector<PortSpec>& allowed) {
  if (ports.empty() || allowed.empty()) {
    return false;  // no ports listed: every port
  }
  return std::all_of(ports.begin(), ports.end(), [&](const NetworkPolicyPort& port) {
    if (!port.port) {
      return false;  // a named port, or every port of the protocol
    }
    const int32_t lo = *port.port;
    const int32_t hi = port.end_port.value_or(lo);
    return hi >= lo && RangeCovered(port.protocol, lo, hi, allowed);
  });
}

void CheckOpenPeers(const NetworkPolicySpec& spec, const PeerDirection& direction,
                    const OpenPeerParams& params, std::vector<Violation>& violations) {
  const bool egress = direction.rules_field == kEgress.rules_field;
  // Rules of a direction the policy types leave out have no effect.
  if (egress ? !spec.AffectsEgress() : !spec.AffectsIngress()) {
    return;
  }
  const std::vector<NetworkPolicyRule>& rules = egress ? spec.egress : spec.ingress;
  const std::string rules_path = "spec." + std::string(direction.rules_field);
  Reporter report(direction, params, violations);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const NetworkPolicyRule& rule = rules[i];
    if (PortsWithin(rule.ports, params.allowed_ports)) {
      continue;
    }
    if (rule.peers.empty()) {
      report.NoPeers(Indexed(rules_path, i), rule);
      continue;
    }
    for (std::size_t j = 0; j < rule.peers.size(); ++j) {
      const NetworkPolicyPeer& peer = rule.peers[j];
      const auto peer_path = [&] {
        return Indexed(Indexed(rules_path, i) + "." + std::string(direction.peers_field), j);
      };
      if (peer.ip_block) {
        CheckIpBlock(peer_path, *peer.ip_block, params, report);
      }
      if (params.cluster_wide_is_open && SelectsEveryPodEverywhere(peer)) {
        report.ClusterWide(peer_path(), peer);
      }
    }
  }
}

}  // namespace netadmit
