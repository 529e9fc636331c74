// Shared by NoOpenEgress and NoOpenIngress. Inspects, for each rule of spec.egress (`to`) or
// spec.ingress (`from`): its `ports`, and each peer's ipBlock.cidr/except, namespaceSelector and
// podSelector; in a cluster-scoped policy, the action, `ports`/`protocols`, and each peer's
// `networks`, `namespaces` and `pods`. Allows rules limited to specific peers, and any rule whose
// ports all lie in the allowed ports.

#include "rules/kinds/open_peers.h"

#include <algorithm>
#include <optional>
#include <string>

#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

// A CIDR as written, with what the messages call it: an ipBlock's `cidr` (and how many `except`
// blocks it has) or one of a cluster policy's `networks`.
struct CidrField {
  std::string_view noun;  // "ipBlock", "network"
  const std::string& text;
  std::size_t excepts = 0;
};

struct PortRange {
  Protocol protocol = Protocol::kTCP;
  int32_t lo = 0;
  int32_t hi = 0;
};

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

  void Everything(const std::string& cidr_path, const CidrField& field, const Cidr& cidr) {
    std::string detail = std::string(field.noun) + " " + field.text;
    if (cidr.ToString() != field.text) {
      detail += ", which is " + cidr.ToString();
    }
    if (field.excepts > 0) {
      detail += " minus " + std::to_string(field.excepts) +
                (field.excepts == 1 ? " except block" : " except blocks");
    }
    Add(cidr_path, Rule() + " allows every " + std::string(direction_.peer_noun), detail,
        "use " + Bounded());
  }

  void Outside(const std::string& cidr_path, const CidrField& field) {
    Add(cidr_path,
        Rule() + " allows " + std::string(direction_.peer_plural) + " outside allowedCIDRs",
        std::string(field.noun) + " " + field.text, "use " + Bounded());
  }

  void Invalid(const std::string& cidr_path, const CidrField& field) {
    Add(cidr_path, std::string(field.noun) + " is not a valid CIDR", "cidr \"" + field.text + "\"",
        "write it as address/prefix, e.g. 10.0.0.0/8");
  }

  // `selector_path`: the field that selects every namespace; `detail`: how, as written.
  void ClusterWide(std::string selector_path, std::string detail) {
    Add(std::move(selector_path), Rule() + " allows every pod in every namespace",
        std::move(detail),
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

// `cidr_path()` builds the CIDR's field path; called only for a violation, since most peers
// have none and the evaluation of a request is mostly this loop.
template <typename PathFn>
void CheckCidr(const PathFn& cidr_path, const CidrField& field, const OpenPeerParams& params,
               Reporter& report) {
  auto cidr = Cidr::Parse(field.text);
  if (!cidr) {
    report.Invalid(cidr_path(), field);
    return;
  }
  if (cidr->IsEverything()) {
    // `except` carves holes, but what is left is still (nearly) the whole address space.
    report.Everything(cidr_path(), field, *cidr);
    return;
  }
  if (!params.allowed_cidrs.empty() &&
      std::none_of(params.allowed_cidrs.begin(), params.allowed_cidrs.end(),
                   [&](const Cidr& allowed) { return allowed.Contains(*cidr); })) {
    report.Outside(cidr_path(), field);
  }
}

// Whether every port entry, as `to_range` gives its protocol and lo..hi (nullopt: a named port
// or every port of a protocol, never within), lies in `allowed`. No entries: every port.
template <typename Ports, typename ToRange>
bool AllWithin(const Ports& ports, const std::vector<PortSpec>& allowed, ToRange to_range) {
  if (ports.empty() || allowed.empty()) {
    return false;
  }
  return std::all_of(ports.begin(), ports.end(), [&](const auto& port) {
    const std::optional<PortRange> range = to_range(port);
    return range && range->hi >= range->lo &&
           RangeCovered(range->protocol, range->lo, range->hi, allowed);
  });
}

std::optional<PortRange> ClusterPortRange(const ClusterPolicyPort& port) {
  if (port.named_port) {
    return std::nullopt;
  }
  return PortRange{port.protocol, port.first, port.last};
}

// "spec.egress[1].to[0]": peer `peer` of rule `rule`.
std::string PeerPath(const std::string& rules_path, std::size_t rule,
                     const PeerDirection& direction, std::size_t peer) {
  return Indexed(Indexed(rules_path, rule) + "." + std::string(direction.peers_field), peer);
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
       egress ? "destination ipBlocks (and cluster policies' networks) must lie inside one of "
                "these; without it only 0.0.0.0/0 and ::/0 count as open"
              : "source ipBlocks (and cluster policies' networks) must lie inside one of these; "
                "without it only 0.0.0.0/0 and ::/0 count as open"},
      {"allowedPorts", "list of {protocol, port, endPort}",
       "a rule whose ports all lie in these is exempt (e.g. DNS: 53/UDP and 53/TCP)"},
      {"clusterWideIsOpen", "bool (default false)",
       "also flag peers selecting every pod of every namespace (namespaceSelector: {}, or "
       "`namespaces: {}` in a Baseline-tier cluster policy; in the Admin tier they are always "
       "flagged)"},
  };
}

bool PortsWithin(const std::vector<NetworkPolicyPort>& ports,
                 const std::vector<PortSpec>& allowed) {
  return AllWithin(ports, allowed, [](const NetworkPolicyPort& port) -> std::optional<PortRange> {
    if (!port.port) {
      return std::nullopt;  // a named port, or every port of the protocol
    }
    return PortRange{port.protocol, *port.port, port.end_port.value_or(*port.port)};
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
      const auto peer_path = [&] { return PeerPath(rules_path, i, direction, j); };
      if (peer.ip_block) {
        CheckCidr([&] { return peer_path() + ".ipBlock.cidr"; },
                  CidrField{"ipBlock", peer.ip_block->cidr, peer.ip_block->except.size()}, params,
                  report);
      }
      if (params.cluster_wide_is_open && SelectsEveryPodEverywhere(peer)) {
        report.ClusterWide(peer_path() + ".namespaceSelector",
                           peer.pod_selector ? "namespaceSelector: {} and podSelector: {}"
                                             : "namespaceSelector: {}");
      }
    }
  }
}

void CheckOpenClusterPeers(const ClusterPolicySpec& spec, const PeerDirection& direction,
                           const OpenPeerParams& params, std::vector<Violation>& violations) {
  const bool egress = direction.rules_field == kEgress.rules_field;
  const std::vector<ClusterPolicyRule>& rules = egress ? spec.egress : spec.ingress;
  const std::string rules_path = "spec." + std::string(direction.rules_field);
  // An Admin Allow is final for the direction; a Baseline one only decides where no
  // NetworkPolicy does, as Kubernetes would allow it anyway.
  const bool cluster_wide_is_open =
      spec.tier == ClusterPolicyTier::kAdmin || params.cluster_wide_is_open;
  Reporter report(direction, params, violations);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const ClusterPolicyRule& rule = rules[i];
    if (rule.action != ClusterRuleAction::kAllow ||
        (rule.ports && AllWithin(*rule.ports, params.allowed_ports, ClusterPortRange))) {
      continue;
    }
    for (std::size_t j = 0; j < rule.peers.size(); ++j) {
      const ClusterPolicyPeer& peer = rule.peers[j];
      const auto peer_path = [&] { return PeerPath(rules_path, i, direction, j); };
      switch (peer.kind) {
        case ClusterPeerKind::kNetworks:
          for (std::size_t k = 0; k < peer.networks.size(); ++k) {
            CheckCidr([&] { return Indexed(peer_path() + ".networks", k); },
                      CidrField{"network", peer.networks[k]}, params, report);
          }
          break;
        case ClusterPeerKind::kNamespaces:
          if (cluster_wide_is_open && peer.namespace_selector.Empty()) {
            report.ClusterWide(peer_path() + ".namespaces", "namespaces: {}");
          }
          break;
        case ClusterPeerKind::kPods:
          if (cluster_wide_is_open && peer.namespace_selector.Empty() &&
              peer.pod_selector.Empty()) {
            report.ClusterWide(peer_path() + ".pods",
                               "pods: {namespaceSelector: {}, podSelector: {}}");
          }
          break;
        case ClusterPeerKind::kNodes:
        case ClusterPeerKind::kDomainNames:
        case ClusterPeerKind::kUnknown:
          // Nodes and DNS names are no pods nor address blocks these kinds judge; an unknown
          // peer matches nothing in an Allow rule.
          break;
      }
    }
  }
}

}  // namespace netadmit
