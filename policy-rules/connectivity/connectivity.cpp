// The connectivity engine: compiles namespaces, pods, NetworkPolicies and the cluster-scoped
// policies (ordered by tier and priority), and decides single connections tier by tier with the
// policies and rules behind each answer. The matrix over pod classes is in
// connectivity/matrix.cpp.

#include "netadmit/connectivity/connectivity.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "connectivity/compiled.h"

namespace netadmit {

namespace {

constexpr int32_t kMaxPort = 65535;

// Appends `text` to `out`, after `separator` unless `out` is empty. (Written out rather than as
// `(empty ? "" : ",") + text`, which GCC 12 misreports under -O3 as an overlapping memcpy.)
void Join(std::string& out, std::string_view separator, std::string_view text) {
  if (!out.empty()) {
    out += separator;
  }
  out += text;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Error StateError(std::string path, std::string message) {
  Error error;
  error.path = std::move(path);
  error.message = std::move(message);
  return error;
}

std::string PolicyName(const PolicyInfo& policy) {
  return policy.namespace_name + '/' + policy.name;
}

// Equal blocks share an id, so that pods are tested once per distinct block; an ipBlock without
// `except` and a `networks` CIDR of the same block are one block.
uint32_t BlockId(const ConnIpBlock& block, std::map<std::string, uint32_t>& block_ids) {
  std::string key = block.cidr.ToString();
  for (const Cidr& except : block.except) {
    key += ' ' + except.ToString();
  }
  return block_ids.try_emplace(key, static_cast<uint32_t>(block_ids.size())).first->second;
}

std::string Indexed(std::string_view name, std::size_t index) {
  return std::string(name) + '[' + std::to_string(index) + ']';
}

// Compiles the peers of one rule; `list` is "from" or "to".
Result<ConnRule> CompileRule(const NetworkPolicyRule& rule, const std::string& rule_path,
                             std::string_view list, std::map<std::string, uint32_t>& block_ids) {
  ConnRule compiled;
  compiled.rule = &rule;
  for (std::size_t i = 0; i < rule.peers.size(); ++i) {
    const NetworkPolicyPeer& peer = rule.peers[i];
    ConnPeer out;
    out.peer = &peer;
    if (peer.ip_block) {
      const std::string path =
          rule_path + '.' + std::string(list) + '[' + std::to_string(i) + "].ipBlock";
      auto cidr = Cidr::Parse(peer.ip_block->cidr);
      if (!cidr) {
        return StateError(path + ".cidr", cidr.error().message);
      }
      ConnIpBlock block;
      block.cidr = *cidr;
      for (std::size_t j = 0; j < peer.ip_block->except.size(); ++j) {
        auto except = Cidr::Parse(peer.ip_block->except[j]);
        if (!except) {
          return StateError(path + ".except[" + std::to_string(j) + ']', except.error().message);
        }
        block.except.push_back(*except);
      }
      block.id = BlockId(block, block_ids);
      out.ip_block = std::move(block);
    }
    compiled.peers.push_back(std::move(out));
  }
  return compiled;
}

// Compiles the peers of one cluster policy rule: parses `networks`, and notes the first peer with
// no known field, which makes a Deny or Pass rule deny everything.
Result<ConnClusterRule> CompileClusterRule(const ClusterPolicyRule& rule,
                                           const std::string& rule_path, std::string_view list,
                                           std::map<std::string, uint32_t>& block_ids) {
  ConnClusterRule compiled;
  compiled.rule = &rule;
  for (std::size_t i = 0; i < rule.peers.size(); ++i) {
    const ClusterPolicyPeer& peer = rule.peers[i];
    ConnClusterPeer out;
    out.peer = &peer;
    if (peer.kind == ClusterPeerKind::kNetworks) {
      for (std::size_t k = 0; k < peer.networks.size(); ++k) {
        auto cidr = Cidr::Parse(peer.networks[k]);
        if (!cidr) {
          return StateError(rule_path + '.' + Indexed(list, i) + '.' + Indexed("networks", k),
                            cidr.error().message);
        }
        ConnIpBlock block;
        block.cidr = *cidr;
        block.id = BlockId(block, block_ids);
        out.networks.push_back(std::move(block));
      }
    }
    if (peer.kind == ClusterPeerKind::kUnknown && rule.action != ClusterRuleAction::kAllow &&
        !compiled.deny_all_peer) {
      compiled.deny_all_peer = i;
    }
    compiled.peers.push_back(std::move(out));
  }
  return compiled;
}

// Whether the endpoint's address lies in the block: the outside address, or any pod IP.
bool InBlock(const Connectivity::Compiled& compiled, const ConnIpBlock& block,
             const Endpoint& endpoint, const std::optional<Cidr>& external_address) {
  if (!endpoint.pod) {
    return external_address && block.Matches(*external_address);
  }
  const auto& addresses = compiled.pod_addresses[*endpoint.pod];
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const Cidr& host) { return block.Matches(host); });
}

bool PeerMatches(const Connectivity::Compiled& compiled, uint32_t policy_namespace,
                 const ConnPeer& peer, const Endpoint& endpoint,
                 const std::optional<Cidr>& external_address) {
  if (peer.ip_block) {
    return InBlock(compiled, *peer.ip_block, endpoint, external_address);
  }
  const NetworkPolicyPeer& spec = *peer.peer;
  if (!endpoint.pod || (!spec.namespace_selector && !spec.pod_selector)) {
    return false;
  }
  const std::size_t pod = *endpoint.pod;
  const uint32_t pod_namespace = compiled.pod_namespace[pod];
  if (spec.namespace_selector) {
    if (!spec.namespace_selector->Matches(compiled.NamespaceLabels(pod_namespace))) {
      return false;
    }
  } else if (pod_namespace != policy_namespace) {
    return false;
  }
  return !spec.pod_selector || spec.pod_selector->Matches(compiled.state.pods[pod].labels);
}

// Whether a peer of a cluster policy rule matches the other end. `nodes` and `domainNames` name
// node addresses and DNS names, which pod-to-pod analysis does not see; a peer with no known
// field matches nothing here (CompileClusterRule made a Deny or Pass rule with one deny all).
bool ClusterPeerMatches(const Connectivity::Compiled& compiled, const ConnClusterPeer& peer,
                        const Endpoint& endpoint, const std::optional<Cidr>& external_address) {
  const ClusterPolicyPeer& spec = *peer.peer;
  switch (spec.kind) {
    case ClusterPeerKind::kNamespaces:
    case ClusterPeerKind::kPods: {
      if (!endpoint.pod) {
        return false;
      }
      const std::size_t pod = *endpoint.pod;
      return spec.namespace_selector.Matches(
                 compiled.NamespaceLabels(compiled.pod_namespace[pod])) &&
             (spec.kind == ClusterPeerKind::kNamespaces ||
              spec.pod_selector.Matches(compiled.state.pods[pod].labels));
    }
    case ClusterPeerKind::kNetworks:
      return std::any_of(peer.networks.begin(), peer.networks.end(), [&](const ConnIpBlock& block) {
        return InBlock(compiled, block, endpoint, external_address);
      });
    case ClusterPeerKind::kNodes:
    case ClusterPeerKind::kDomainNames:
    case ClusterPeerKind::kUnknown:
      return false;
  }
  return false;
}

// The rule as a match when it matches the connection (`peer` is the other end, `to` the
// destination whose named ports resolve the rule's ports), naming the first peer that matches
// (and, with `explain`, its path).
std::optional<ClusterRuleMatch> MatchClusterRule(const Connectivity::Compiled& compiled,
                                                 std::size_t policy, std::size_t index,
                                                 bool ingress, const Endpoint& peer,
                                                 const std::optional<Cidr>& peer_address,
                                                 const Endpoint& to, const PortProtocol& port,
                                                 bool explain) {
  const auto& rules = ingress ? compiled.cluster_policies[policy].ingress
                              : compiled.cluster_policies[policy].egress;
  const ConnClusterRule& rule = rules[index];
  ClusterRuleMatch match;
  match.policy = policy;
  match.rule = index;
  match.action = rule.rule->action;
  if (rule.deny_all_peer) {
    match.peer = *rule.deny_all_peer;
    match.action = ClusterRuleAction::kDeny;
    match.fail_closed = true;
  } else {
    if (!ClusterRulePortsMatch(compiled, *rule.rule, port, to)) {
      return std::nullopt;
    }
    const auto found =
        std::find_if(rule.peers.begin(), rule.peers.end(), [&](const ConnClusterPeer& candidate) {
          return ClusterPeerMatches(compiled, candidate, peer, peer_address);
        });
    if (found == rule.peers.end()) {
      return std::nullopt;
    }
    match.peer = static_cast<std::size_t>(found - rule.peers.begin());
  }
  if (explain) {
    match.path = Indexed(ingress ? "spec.ingress" : "spec.egress", index) + '.' +
                 Indexed(ingress ? "from" : "to", match.peer);
  }
  return match;
}

// The first rule of a tier that matches, in the tier's order, among the policies that select
// the pod `subject`. With `conflicts` (the Admin tier), the other policies of the deciding
// priority that match are paired with it there. Without `explain`, matches carry no path.
std::optional<ClusterRuleMatch> DecideTier(const Connectivity::Compiled& compiled,
                                           const std::vector<std::size_t>& order, bool ingress,
                                           std::size_t subject, const Endpoint& peer,
                                           const std::optional<Cidr>& peer_address,
                                           const Endpoint& to, const PortProtocol& port,
                                           std::vector<PriorityConflict>* conflicts, bool explain) {
  const Labels& namespace_labels = compiled.NamespaceLabels(compiled.pod_namespace[subject]);
  const Labels& labels = compiled.state.pods[subject].labels;
  const auto& policies = compiled.state.cluster_policies;
  std::optional<ClusterRuleMatch> first;
  std::vector<std::size_t> matched;
  for (std::size_t index : order) {
    const ClusterPolicySpec& spec = policies[index].spec;
    if (first && (conflicts == nullptr || spec.priority != policies[first->policy].spec.priority)) {
      break;
    }
    if (!spec.subject.Matches(namespace_labels, labels)) {
      continue;
    }
    const std::size_t rules = (ingress ? spec.ingress : spec.egress).size();
    for (std::size_t r = 0; r < rules; ++r) {
      auto match =
          MatchClusterRule(compiled, index, r, ingress, peer, peer_address, to, port, explain);
      if (match) {
        if (!first) {
          first = std::move(match);
        }
        matched.push_back(index);
        break;
      }
    }
  }
  if (conflicts != nullptr) {
    for (std::size_t i = 0; i < matched.size(); ++i) {
      for (std::size_t j = i + 1; j < matched.size(); ++j) {
        conflicts->push_back(PriorityConflict{matched[i], matched[j]});
      }
    }
  }
  return first;
}

// Whether the NetworkPolicy `index` isolates the pod with `labels` (in its namespace) for the
// direction.
bool Isolates(const Connectivity::Compiled& compiled, std::size_t index, bool ingress,
              const Labels& labels) {
  const ConnPolicy& policy = compiled.policies[index];
  return (ingress ? policy.affects_ingress : policy.affects_egress) &&
         compiled.state.policies[index].spec.pod_selector.Matches(labels);
}

// One direction, with every rule that decides it and its path: `subject` is the pod the
// policies select, `peer` the other end, `to` the destination whose named ports resolve the
// policy ports. Each tier is asked only when the ones before it left the connection undecided.
// (DirectionAllows works out the verdict alone.)
DirectionDecision DecideDirection(const Connectivity::Compiled& compiled, bool ingress,
                                  const Endpoint& subject, const Endpoint& peer, const Endpoint& to,
                                  const PortProtocol& port) {
  DirectionDecision decision;
  if (!subject.pod) {
    decision.applies = false;
    return decision;
  }
  const std::size_t pod = *subject.pod;
  const uint32_t pod_namespace = compiled.pod_namespace[pod];
  std::optional<Cidr> peer_address;
  if (!peer.pod) {
    peer_address = ParseAddress(peer.ip);
  }
  decision.admin = DecideTier(compiled, compiled.admin_order, ingress, pod, peer, peer_address, to,
                              port, &decision.conflicts, true);
  if (decision.admin && decision.admin->action != ClusterRuleAction::kPass) {
    return decision;
  }
  for (std::size_t index : compiled.policies_by_namespace[pod_namespace]) {
    if (!Isolates(compiled, index, ingress, compiled.state.pods[pod].labels)) {
      continue;
    }
    decision.isolating.push_back(index);
    const ConnPolicy& policy = compiled.policies[index];
    const auto& rules = ingress ? policy.ingress : policy.egress;
    const std::string prefix = ingress ? "spec.ingress[" : "spec.egress[";
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const ConnRule& rule = rules[r];
      if (!RulePortsMatch(compiled, *rule.rule, port, to)) {
        continue;
      }
      const std::string rule_path = prefix + std::to_string(r) + ']';
      if (rule.peers.empty()) {
        decision.allowing.push_back(RuleMatch{index, r, std::nullopt, rule_path});
        continue;
      }
      for (std::size_t p = 0; p < rule.peers.size(); ++p) {
        if (PeerMatches(compiled, pod_namespace, rule.peers[p], peer, peer_address)) {
          decision.allowing.push_back(RuleMatch{
              index, r, p, rule_path + (ingress ? ".from[" : ".to[") + std::to_string(p) + ']'});
          break;  // one peer per rule is enough to name
        }
      }
    }
  }
  if (decision.isolating.empty()) {
    decision.baseline = DecideTier(compiled, compiled.baseline_order, ingress, pod, peer,
                                   peer_address, to, port, nullptr, true);
  }
  return decision;
}

// What the NetworkPolicies isolating `pod` for the direction make of a connection: the pod is
// not isolated, or one of their rules admits it (`admits`), or none does.
enum class IsolatingVerdict { kNotIsolated, kAdmitted, kRefused };

template <typename Admits>
IsolatingVerdict AskIsolatingPolicies(const Connectivity::Compiled& compiled, bool ingress,
                                      std::size_t pod, Admits admits) {
  const Labels& labels = compiled.state.pods[pod].labels;
  bool isolated = false;
  for (std::size_t index : compiled.policies_by_namespace[compiled.pod_namespace[pod]]) {
    if (!Isolates(compiled, index, ingress, labels)) {
      continue;
    }
    isolated = true;
    const ConnPolicy& policy = compiled.policies[index];
    for (const ConnRule& rule : ingress ? policy.ingress : policy.egress) {
      if (admits(rule)) {
        return IsolatingVerdict::kAdmitted;
      }
    }
  }
  return isolated ? IsolatingVerdict::kRefused : IsolatingVerdict::kNotIsolated;
}

// Whether one of the rule's peers matches the other end (every end when it has none).
bool RulePeersMatch(const Connectivity::Compiled& compiled, const ConnRule& rule,
                    uint32_t policy_namespace, const Endpoint& peer,
                    const std::optional<Cidr>& peer_address) {
  return rule.peers.empty() ||
         std::any_of(rule.peers.begin(), rule.peers.end(), [&](const ConnPeer& candidate) {
           return PeerMatches(compiled, policy_namespace, candidate, peer, peer_address);
         });
}

// The verdict of one direction alone: DecideDirection(...).Allowed(), without building the
// decision (no vectors, no strings), stopping at the first rule that allows. Asked per pair and
// port when a change is judged, thousands of times per judgement.
bool DirectionAllows(const Connectivity::Compiled& compiled, bool ingress, const Endpoint& subject,
                     const Endpoint& peer, const Endpoint& to, const PortProtocol& port) {
  if (!subject.pod) {
    return true;  // an address outside the cluster: no policy of ours decides its side
  }
  const std::size_t pod = *subject.pod;
  std::optional<Cidr> peer_address;
  if (!peer.pod) {
    peer_address = ParseAddress(peer.ip);
  }
  if (!compiled.admin_order.empty()) {
    const auto admin = DecideTier(compiled, compiled.admin_order, ingress, pod, peer, peer_address,
                                  to, port, nullptr, false);
    if (admin && admin->action != ClusterRuleAction::kPass) {
      return admin->action == ClusterRuleAction::kAllow;
    }
  }
  const uint32_t pod_namespace = compiled.pod_namespace[pod];
  const IsolatingVerdict verdict =
      AskIsolatingPolicies(compiled, ingress, pod, [&](const ConnRule& rule) {
        return RulePortsMatch(compiled, *rule.rule, port, to) &&
               RulePeersMatch(compiled, rule, pod_namespace, peer, peer_address);
      });
  if (verdict != IsolatingVerdict::kNotIsolated) {
    return verdict == IsolatingVerdict::kAdmitted;
  }
  if (compiled.baseline_order.empty()) {
    return true;
  }
  const auto baseline = DecideTier(compiled, compiled.baseline_order, ingress, pod, peer,
                                   peer_address, to, port, nullptr, false);
  return !baseline || baseline->action != ClusterRuleAction::kDeny;
}

// Whether NetworkPolicies isolate `subject` for the direction and none of their rules admits
// `peer` (a pod) on any port: then the NetworkPolicy tier refuses every port, and the Baseline
// tier is not asked.
bool IsolatedFromPeer(const Connectivity::Compiled& compiled, bool ingress, std::size_t subject,
                      const Endpoint& peer) {
  const uint32_t subject_namespace = compiled.pod_namespace[subject];
  return AskIsolatingPolicies(compiled, ingress, subject, [&](const ConnRule& rule) {
           return RulePeersMatch(compiled, rule, subject_namespace, peer, std::nullopt);
         }) == IsolatingVerdict::kRefused;
}

std::string FormatRequirement(const SelectorRequirement& requirement) {
  std::string values;
  for (const std::string& value : requirement.values) {
    Join(values, ",", value);
  }
  switch (requirement.op) {
    case SelectorOperator::kIn:
      return requirement.key + " in (" + values + ')';
    case SelectorOperator::kNotIn:
      return requirement.key + " notin (" + values + ')';
    case SelectorOperator::kExists:
      return requirement.key;
    case SelectorOperator::kDoesNotExist:
      return '!' + requirement.key;
  }
  return requirement.key;
}

std::string FormatPeer(const NetworkPolicyPeer& peer) {
  std::string out;
  if (peer.namespace_selector) {
    out += "namespaceSelector {" + FormatSelector(*peer.namespace_selector) + '}';
  }
  if (peer.pod_selector) {
    Join(out, " ", "podSelector {");
    out += FormatSelector(*peer.pod_selector);
    out += '}';
  }
  if (peer.ip_block) {
    out += "ipBlock " + peer.ip_block->cidr;
    if (!peer.ip_block->except.empty()) {
      std::string except;
      for (const std::string& block : peer.ip_block->except) {
        Join(except, ", ", block);
      }
      out += " except " + except;
    }
  }
  return out.empty() ? std::string("empty peer (matches nothing)") : out;
}

std::string PolicyList(const Connectivity::Compiled& compiled,
                       const std::vector<std::size_t>& policies) {
  std::string out;
  for (std::size_t index : policies) {
    Join(out, ", ", PolicyName(compiled.state.policies[index]));
  }
  return out;
}

std::string JoinAll(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    Join(out, ", ", item);
  }
  return out;
}

std::string FormatClusterPeer(const ClusterPolicyPeer& peer) {
  switch (peer.kind) {
    case ClusterPeerKind::kNamespaces:
      return "namespaces {" + FormatSelector(peer.namespace_selector) + '}';
    case ClusterPeerKind::kPods:
      return "pods {" + FormatSelector(peer.pod_selector) + "} in namespaces {" +
             FormatSelector(peer.namespace_selector) + '}';
    case ClusterPeerKind::kNetworks:
      return "networks " + JoinAll(peer.networks);
    case ClusterPeerKind::kNodes:
      return "nodes {" + FormatSelector(peer.node_selector) + '}';
    case ClusterPeerKind::kDomainNames:
      return "domainNames " + JoinAll(peer.domain_names);
    case ClusterPeerKind::kUnknown:
      break;
  }
  return "a peer with no field netadmit knows";
}

const ClusterPolicyRule& RuleOf(const ClusterState& state, const ClusterRuleMatch& match,
                                bool ingress) {
  const ClusterPolicySpec& spec = state.cluster_policies[match.policy].spec;
  return (ingress ? spec.ingress : spec.egress)[match.rule];
}

// `AdminNetworkPolicy deny-prod (priority 10) spec.egress[0] "deny-to-prod" (Deny, to[0]
// namespaces {env=prod})`.
std::string DescribeClusterMatch(const ClusterState& state, const ClusterRuleMatch& match,
                                 bool ingress) {
  const ClusterPolicyInfo& policy = state.cluster_policies[match.policy];
  const ClusterPolicyRule& rule = RuleOf(state, match, ingress);
  std::string out = DescribeClusterPolicy(policy) + ' ' +
                    Indexed(ingress ? "spec.ingress" : "spec.egress", match.rule);
  if (!rule.name.empty()) {
    out += " \"" + rule.name + '"';
  }
  const std::string peer = Indexed(ingress ? "from" : "to", match.peer);
  if (match.fail_closed) {
    return out + " (" + ClusterRuleActionName(policy.spec.kind, rule.action) + ", " + peer +
           " has no field netadmit knows: the rule fails closed and denies every connection)";
  }
  return out + " (" + ClusterRuleActionName(policy.spec.kind, match.action) + ", " + peer + ' ' +
         FormatClusterPeer(rule.peers[match.peer]) + ')';
}

void ExplainDirection(const Connectivity::Compiled& compiled, const DirectionDecision& decision,
                      bool ingress, const std::string& subject, std::string& out) {
  const char* direction = ingress ? "ingress" : "egress";
  out += "  ";
  out += direction;
  out += " of " + subject + ": ";
  if (!decision.applies) {
    out += "outside the cluster, no policy applies\n";
    return;
  }
  const ClusterState& state = compiled.state;
  const DecidingTier tier = decision.DecidedBy();
  const std::string verdict = decision.Allowed() ? "allowed" : "blocked";
  std::string notes;  // lines under the first one
  for (const PriorityConflict& conflict : decision.conflicts) {
    notes += "    warning: " + DescribePriorityConflict(state, conflict) + "; both match, " +
             ClusterPolicyKindName(state.cluster_policies[conflict.first].spec.kind) + ' ' +
             state.cluster_policies[conflict.first].name + " was applied\n";
  }
  if (tier == DecidingTier::kAdmin) {
    out += verdict + " by " + DescribeClusterMatch(state, *decision.admin, ingress) + '\n' + notes;
    return;
  }
  if (decision.admin) {
    notes += "    passed on by " + DescribeClusterMatch(state, *decision.admin, ingress) + '\n';
  }
  const std::string not_isolated =
      std::string("not isolated (no NetworkPolicy selects it for ") + direction + ')';
  if (tier == DecidingTier::kBaseline) {
    out += verdict + " by " + DescribeClusterMatch(state, *decision.baseline, ingress) + '\n' +
           notes + "    " + not_isolated + '\n';
    return;
  }
  if (tier == DecidingTier::kNone) {
    out += "allowed, " + not_isolated + '\n' + notes;
    if (decision.baseline) {
      out += "    passed on to the default by " +
             DescribeClusterMatch(state, *decision.baseline, ingress) + '\n';
    }
    return;
  }
  out += verdict + ", isolated by " + PolicyList(compiled, decision.isolating) + '\n' + notes;
  if (decision.allowing.empty()) {
    out += "    no ";
    out += direction;
    out += " rule of these policies allows it\n";
    return;
  }
  for (const RuleMatch& match : decision.allowing) {
    const PolicyInfo& policy = state.policies[match.policy];
    const auto& rules = ingress ? policy.spec.ingress : policy.spec.egress;
    const NetworkPolicyRule& rule = rules[match.rule];
    out += "    allowed by " + PolicyName(policy) + ' ' + match.path + " (";
    out += match.peer ? FormatPeer(rule.peers[*match.peer])
                      : std::string(ingress ? "no from: every source" : "no to: every destination");
    out += rule.ports.empty() ? ", every port" : "";
    out += ")\n";
  }
}

// The classes whose pods a policy's subject selects.
std::vector<uint32_t> SubjectClasses(const Connectivity::Compiled& compiled,
                                     const ClusterPolicySubject& subject) {
  std::vector<uint32_t> out;
  for (uint32_t cls = 0; cls < compiled.class_representative.size(); ++cls) {
    if (compiled.class_size[cls] == 0) {
      continue;  // emptied by in-place updates
    }
    const std::size_t pod = compiled.class_representative[cls];
    if (subject.Matches(compiled.NamespaceLabels(compiled.pod_namespace[pod]),
                        compiled.state.pods[pod].labels)) {
      out.push_back(cls);
    }
  }
  return out;
}

// A rule no pod can match: every peer is `nodes` or `domainNames`.
bool OutsidePodAnalysis(const ClusterPolicyRule& rule) {
  return !rule.peers.empty() &&
         std::all_of(rule.peers.begin(), rule.peers.end(), [](const ClusterPolicyPeer& peer) {
           return peer.kind == ClusterPeerKind::kNodes ||
                  peer.kind == ClusterPeerKind::kDomainNames;
         });
}

// The class key of a pod: everything a NetworkPolicy or a cluster policy can look at: its
// namespace (and so that namespace's labels), its labels, its named ports, and the ipBlocks and
// `networks` its addresses fall in.
std::string ClassKey(const Connectivity::Compiled& compiled, std::size_t pod,
                     const std::vector<uint32_t>& blocks) {
  const PodInfo& info = compiled.state.pods[pod];
  std::string key = std::to_string(compiled.pod_namespace[pod]);
  key += '\x1e';
  for (const auto& [name, value] : info.labels) {
    key += name;
    key += '\x1f';
    key += value;
    key += '\x1f';
  }
  key += '\x1e';
  std::vector<std::tuple<std::string, int32_t, int>> ports;
  for (const NamedPort& port : info.ports) {
    ports.emplace_back(port.name, port.port, static_cast<int>(port.protocol));
  }
  std::sort(ports.begin(), ports.end());
  for (const auto& [name, number, protocol] : ports) {
    key += name + '\x1f' + std::to_string(number) + '\x1f' + std::to_string(protocol) + '\x1f';
  }
  key += '\x1e';
  for (uint32_t block : blocks) {
    key += std::to_string(block) + ',';
  }
  return key;
}

}  // namespace

uint32_t AddNamespace(Connectivity::Compiled& compiled, const std::string& name) {
  auto found = compiled.namespace_index.find(name);
  if (found != compiled.namespace_index.end()) {
    return found->second;
  }
  const auto index = static_cast<uint32_t>(compiled.state.namespaces.size());
  // The API server labels every namespace with its name.
  compiled.state.namespaces.push_back(
      NamespaceInfo{name, {{std::string(kNamespaceNameLabel), name}}});
  compiled.namespace_index.emplace(name, index);
  compiled.policies_by_namespace.resize(compiled.state.namespaces.size());
  compiled.classes_by_namespace.resize(compiled.state.namespaces.size());
  return index;
}

Result<ConnPolicy> CompilePolicy(const PolicyInfo& policy, Connectivity::Compiled& compiled,
                                 std::map<std::string, uint32_t>& block_ids) {
  ConnPolicy out;
  out.namespace_index = AddNamespace(compiled, policy.namespace_name);
  // The API server defaults an empty policyTypes list as if it were absent.
  NetworkPolicySpec types;
  types.egress = policy.spec.egress;
  if (policy.spec.policy_types && !policy.spec.policy_types->empty()) {
    types.policy_types = policy.spec.policy_types;
  }
  out.affects_ingress = types.AffectsIngress();
  out.affects_egress = types.AffectsEgress();
  for (int ingress = 1; ingress >= 0; --ingress) {
    const auto& rules = ingress == 1 ? policy.spec.ingress : policy.spec.egress;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const std::string path =
          std::string(ingress == 1 ? "spec.ingress[" : "spec.egress[") + std::to_string(r) + ']';
      auto rule = CompileRule(rules[r], path, ingress == 1 ? "from" : "to", block_ids);
      if (!rule) {
        Error error = rule.error();
        error.message = "NetworkPolicy " + PolicyName(policy) + ": " + error.message;
        return error;
      }
      (ingress == 1 ? out.ingress : out.egress).push_back(std::move(*rule));
    }
  }
  return out;
}

Result<ConnClusterPolicy> CompileClusterPolicy(const ClusterPolicyInfo& policy,
                                               std::map<std::string, uint32_t>& block_ids) {
  ConnClusterPolicy out;
  for (const bool ingress : {true, false}) {
    const auto& rules = ingress ? policy.spec.ingress : policy.spec.egress;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      auto rule = CompileClusterRule(rules[r], Indexed(ingress ? "spec.ingress" : "spec.egress", r),
                                     ingress ? "from" : "to", block_ids);
      if (!rule) {
        Error error = rule.error();
        error.message = std::string(ClusterPolicyKindName(policy.spec.kind)) + ' ' + policy.name +
                        ": " + error.message;
        return error;
      }
      (ingress ? out.ingress : out.egress).push_back(std::move(*rule));
    }
  }
  return out;
}

// The evaluation order of each tier. Upstream leaves equal priorities undefined; kind and name
// make the order deterministic (PriorityConflicts names the pairs it affects).
void OrderTiers(Connectivity::Compiled& c) {
  const auto& policies = c.state.cluster_policies;
  c.admin_order.clear();
  c.baseline_order.clear();
  // A policy being put is in state before it is live (PutClusterPolicy): not yet in the order.
  for (std::size_t i = 0; i < c.cluster_policy_live.size(); ++i) {
    if (c.cluster_policy_live[i] == 0) {
      continue;
    }
    (policies[i].spec.tier == ClusterPolicyTier::kAdmin ? c.admin_order : c.baseline_order)
        .push_back(i);
  }
  auto key = [&](std::size_t i) {
    const ClusterPolicyInfo& policy = policies[i];
    const bool banp = policy.spec.kind == ClusterPolicyKind::kBaselineAdminNetworkPolicy;
    return std::make_tuple(banp, policy.spec.priority,
                           std::string_view(ClusterPolicyKindName(policy.spec.kind)),
                           std::string_view(policy.name), i);
  };
  for (auto* order : {&c.admin_order, &c.baseline_order}) {
    std::sort(order->begin(), order->end(),
              [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  }
}

void AssignClass(Connectivity::Compiled& compiled, std::size_t pod) {
  std::vector<uint32_t> blocks;
  const auto& addresses = compiled.pod_addresses[pod];
  if (!addresses.empty()) {
    for (const ConnIpBlock* block : compiled.ip_blocks) {
      if (std::any_of(addresses.begin(), addresses.end(),
                      [&](const Cidr& host) { return block->Matches(host); })) {
        blocks.push_back(block->id);
      }
    }
  }
  auto [found, inserted] = compiled.class_ids.try_emplace(
      ClassKey(compiled, pod, blocks), static_cast<uint32_t>(compiled.class_ids.size()));
  const uint32_t id = found->second;
  if (pod >= compiled.class_of_pod.size()) {
    compiled.class_of_pod.resize(pod + 1);
  }
  compiled.class_of_pod[pod] = id;
  if (inserted) {
    compiled.class_representative.push_back(pod);
    compiled.class_size.push_back(0);
    compiled.classes_by_namespace[compiled.pod_namespace[pod]].push_back(id);
    for (uint32_t block : blocks) {
      compiled.classes_in_ip_block[block].push_back(id);
    }
  }
  ++compiled.class_size[id];
}

void ForEachBlock(const ConnPolicy& policy, const std::function<void(const ConnIpBlock&)>& each) {
  for (const auto* rules : {&policy.ingress, &policy.egress}) {
    for (const ConnRule& rule : *rules) {
      for (const ConnPeer& peer : rule.peers) {
        if (peer.ip_block) {
          each(*peer.ip_block);
        }
      }
    }
  }
}

void ForEachBlock(const ConnClusterPolicy& policy,
                  const std::function<void(const ConnIpBlock&)>& each) {
  for (const auto* rules : {&policy.ingress, &policy.egress}) {
    for (const ConnClusterRule& rule : *rules) {
      for (const ConnClusterPeer& peer : rule.peers) {
        for (const ConnIpBlock& block : peer.networks) {
          each(block);
        }
      }
    }
  }
}

DecidingTier DirectionDecision::DecidedBy() const {
  if (!applies) {
    return DecidingTier::kNone;
  }
  if (admin && admin->action != ClusterRuleAction::kPass) {
    return DecidingTier::kAdmin;
  }
  if (!isolating.empty()) {
    return DecidingTier::kNetworkPolicy;
  }
  if (baseline && baseline->action != ClusterRuleAction::kPass) {
    return DecidingTier::kBaseline;
  }
  return DecidingTier::kNone;
}

bool DirectionDecision::Allowed() const {
  switch (DecidedBy()) {
    case DecidingTier::kAdmin:
      return admin->action == ClusterRuleAction::kAllow;
    case DecidingTier::kNetworkPolicy:
      return !allowing.empty();
    case DecidingTier::kBaseline:
      return baseline->action == ClusterRuleAction::kAllow;
    case DecidingTier::kNone:
      return true;
  }
  return true;
}

bool ConnIpBlock::Matches(const Cidr& host) const {
  return cidr.Contains(host) && std::none_of(except.begin(), except.end(),
                                             [&](const Cidr& e) { return e.Contains(host); });
}

std::optional<Cidr> ParseAddress(std::string_view text) {
  if (text.empty() || text.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  const bool v6 = text.find(':') != std::string_view::npos;
  auto parsed = Cidr::Parse(std::string(text) + (v6 ? "/128" : "/32"));
  if (!parsed) {
    return std::nullopt;
  }
  return *parsed;
}

bool NamedPortMatches(const Connectivity::Compiled& compiled, std::string_view name,
                      const PortProtocol& port, const Endpoint& to) {
  if (!to.pod) {
    return false;  // a named port resolves only on a pod
  }
  const auto& ports = compiled.state.pods[*to.pod].ports;
  return std::any_of(ports.begin(), ports.end(), [&](const NamedPort& named) {
    return named.name == name && named.protocol == port.protocol && named.port == port.port;
  });
}

bool PortMatches(const Connectivity::Compiled& compiled, const NetworkPolicyPort& policy_port,
                 const PortProtocol& port, const Endpoint& to) {
  if (policy_port.protocol != port.protocol) {
    return false;
  }
  if (policy_port.AllPorts()) {
    return true;
  }
  if (policy_port.port) {
    const int32_t first = *policy_port.port;
    const int32_t last = policy_port.end_port ? *policy_port.end_port : first;
    return port.port >= first && port.port <= last;
  }
  return NamedPortMatches(compiled, *policy_port.named_port, port, to);
}

bool RulePortsMatch(const Connectivity::Compiled& compiled, const NetworkPolicyRule& rule,
                    const PortProtocol& port, const Endpoint& to) {
  return rule.ports.empty() ||
         std::any_of(rule.ports.begin(), rule.ports.end(), [&](const NetworkPolicyPort& p) {
           return PortMatches(compiled, p, port, to);
         });
}

bool ClusterPortMatches(const Connectivity::Compiled& compiled, const ClusterPolicyPort& rule_port,
                        const PortProtocol& port, const Endpoint& to) {
  if (rule_port.named_port) {
    // The container port's own protocol decides, whatever `protocol` says.
    return NamedPortMatches(compiled, *rule_port.named_port, port, to);
  }
  return rule_port.protocol == port.protocol && port.port >= rule_port.first &&
         port.port <= std::max(rule_port.first, rule_port.last);
}

bool ClusterRulePortsMatch(const Connectivity::Compiled& compiled, const ClusterPolicyRule& rule,
                           const PortProtocol& port, const Endpoint& to) {
  // An empty list is not valid upstream (minItems 1); it is read as the absent field.
  return !rule.ports || rule.ports->empty() ||
         std::any_of(rule.ports->begin(), rule.ports->end(), [&](const ClusterPolicyPort& p) {
           return ClusterPortMatches(compiled, p, port, to);
         });
}

Result<PortProtocol> PortProtocol::Parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view number = text.substr(0, slash);
  const std::string protocol =
      slash == std::string_view::npos ? std::string("TCP") : Upper(text.substr(slash + 1));
  PortProtocol out;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), out.port);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
      out.port < 1 || out.port > kMaxPort) {
    return StateError("", "invalid port \"" + std::string(text) +
                              "\": write PORT/PROTOCOL with a port from 1 to 65535, e.g. 80/TCP");
  }
  if (protocol == "TCP") {
    out.protocol = Protocol::kTCP;
  } else if (protocol == "UDP") {
    out.protocol = Protocol::kUDP;
  } else if (protocol == "SCTP") {
    out.protocol = Protocol::kSCTP;
  } else {
    return StateError("",
                      "invalid protocol in \"" + std::string(text) + "\": use TCP, UDP or SCTP");
  }
  return out;
}

std::string PortProtocol::ToString() const {
  return std::to_string(port) + '/' + ProtocolName(protocol);
}

std::string DescribeClusterPolicy(const ClusterPolicyInfo& policy) {
  const ClusterPolicySpec& spec = policy.spec;
  std::string out = std::string(ClusterPolicyKindName(spec.kind)) + ' ' + policy.name;
  switch (spec.kind) {
    case ClusterPolicyKind::kAdminNetworkPolicy:
      return out + " (priority " + std::to_string(spec.priority) + ')';
    case ClusterPolicyKind::kBaselineAdminNetworkPolicy:
      return out;
    case ClusterPolicyKind::kClusterNetworkPolicy:
      break;
  }
  return out + " (" + ClusterPolicyTierName(spec.tier) + " tier, priority " +
         std::to_string(spec.priority) + ')';
}

std::string ClusterRuleName(const ClusterState& state, const ClusterRuleMatch& match) {
  const ClusterPolicyInfo& policy = state.cluster_policies[match.policy];
  return std::string(ClusterPolicyKindName(policy.spec.kind)) + ' ' + policy.name + ' ' +
         match.path;
}

std::string DescribePriorityConflict(const ClusterState& state, const PriorityConflict& conflict) {
  const ClusterPolicyInfo& first = state.cluster_policies[conflict.first];
  const ClusterPolicyInfo& second = state.cluster_policies[conflict.second];
  return std::string(ClusterPolicyKindName(first.spec.kind)) + ' ' + first.name + " and " +
         ClusterPolicyKindName(second.spec.kind) + ' ' + second.name + " have the same priority (" +
         std::to_string(first.spec.priority) +
         "): which one applies to a connection both match is undefined";
}

std::string FormatSelector(const LabelSelector& selector) {
  std::string out;
  for (const auto& [key, value] : selector.match_labels) {
    Join(out, ",", key);
    out += '=';
    out += value;
  }
  for (const SelectorRequirement& requirement : selector.match_expressions) {
    Join(out, ",", FormatRequirement(requirement));
  }
  return out;
}

Result<Connectivity> Connectivity::Build(ClusterState state) {
  auto compiled = std::make_unique<Compiled>();
  Compiled& c = *compiled;
  c.state.pods = std::move(state.pods);
  c.state.policies = std::move(state.policies);
  c.state.cluster_policies = std::move(state.cluster_policies);
  for (NamespaceInfo& ns : state.namespaces) {
    auto found = c.namespace_index.find(ns.name);
    if (found != c.namespace_index.end()) {
      c.state.namespaces[found->second] = std::move(ns);  // the last definition wins
      continue;
    }
    c.namespace_index.emplace(ns.name, static_cast<uint32_t>(c.state.namespaces.size()));
    c.state.namespaces.push_back(std::move(ns));
  }
  // The API server labels every namespace with its name.
  for (NamespaceInfo& ns : c.state.namespaces) {
    ns.labels.try_emplace(std::string(kNamespaceNameLabel), ns.name);
  }
  c.policies_by_namespace.assign(c.state.namespaces.size(), {});
  c.classes_by_namespace.assign(c.state.namespaces.size(), {});
  for (std::size_t i = 0; i < c.state.pods.size(); ++i) {
    const PodInfo& pod = c.state.pods[i];
    c.pod_namespace.push_back(AddNamespace(c, pod.namespace_name));
    c.pod_index.emplace(std::make_pair(pod.namespace_name, pod.name), i);
    std::vector<Cidr> addresses;
    for (const std::string& ip : pod.ips) {
      auto address = ParseAddress(ip);
      if (!address) {
        return StateError("status.podIPs", "pod " + pod.namespace_name + '/' + pod.name +
                                               ": invalid IP \"" + ip + '"');
      }
      addresses.push_back(*address);
    }
    c.pod_addresses.push_back(std::move(addresses));
  }
  c.pod_live.assign(c.state.pods.size(), 1);
  for (std::size_t i = 0; i < c.state.policies.size(); ++i) {
    const PolicyInfo& policy = c.state.policies[i];
    auto compiled_policy = CompilePolicy(policy, c, c.block_ids);
    if (!compiled_policy) {
      return compiled_policy.error();
    }
    c.policies.push_back(std::move(*compiled_policy));
    c.policy_index[std::make_pair(policy.namespace_name, policy.name)] = i;
  }
  c.policy_live.assign(c.state.policies.size(), 1);
  for (std::size_t i = 0; i < c.state.cluster_policies.size(); ++i) {
    const ClusterPolicyInfo& policy = c.state.cluster_policies[i];
    auto compiled_policy = CompileClusterPolicy(policy, c.block_ids);
    if (!compiled_policy) {
      return compiled_policy.error();
    }
    c.cluster_policies.push_back(std::move(*compiled_policy));
    c.cluster_policy_index[std::make_pair(static_cast<int>(policy.spec.kind), policy.name)] = i;
  }
  c.cluster_policy_live.assign(c.state.cluster_policies.size(), 1);
  OrderTiers(c);
  for (std::size_t i = 0; i < c.policies.size(); ++i) {
    c.policies_by_namespace[c.policies[i].namespace_index].push_back(i);
  }
  // Peers hold their own copy of the block; the index points at those copies.
  c.ip_blocks.assign(c.block_ids.size(), nullptr);
  const auto index_block = [&](const ConnIpBlock& block) {
    if (c.ip_blocks[block.id] == nullptr) {
      c.ip_blocks[block.id] = &block;
    }
  };
  for (const ConnPolicy& policy : c.policies) {
    ForEachBlock(policy, index_block);
  }
  for (const ConnClusterPolicy& policy : c.cluster_policies) {
    ForEachBlock(policy, index_block);
  }
  c.classes_in_ip_block.assign(c.ip_blocks.size(), {});
  for (std::size_t pod = 0; pod < c.state.pods.size(); ++pod) {
    AssignClass(c, pod);
  }
  return Connectivity(std::move(compiled));
}

Connectivity::Connectivity(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
Connectivity::Connectivity(Connectivity&&) noexcept = default;
Connectivity& Connectivity::operator=(Connectivity&&) noexcept = default;
Connectivity::~Connectivity() = default;

const ClusterState& Connectivity::state() const { return compiled_->state; }

std::optional<std::size_t> Connectivity::FindPod(std::string_view namespace_name,
                                                 std::string_view name) const {
  auto found =
      compiled_->pod_index.find(std::make_pair(std::string(namespace_name), std::string(name)));
  if (found == compiled_->pod_index.end()) {
    return std::nullopt;
  }
  return found->second;
}

const NamespaceInfo* Connectivity::FindNamespace(std::string_view name) const {
  auto found = compiled_->namespace_index.find(name);
  if (found == compiled_->namespace_index.end()) {
    return nullptr;
  }
  return &compiled_->state.namespaces[found->second];
}

Decision Connectivity::Decide(const Endpoint& from, const Endpoint& to,
                              const PortProtocol& port) const {
  Decision decision;
  decision.egress = DecideDirection(*compiled_, false, from, to, to, port);
  decision.ingress = DecideDirection(*compiled_, true, to, from, to, port);
  return decision;
}

bool Connectivity::Allowed(const Endpoint& from, const Endpoint& to,
                           const PortProtocol& port) const {
  // Ingress first: an isolated destination refuses most sources, and then egress is not asked.
  return DirectionAllows(*compiled_, true, to, from, to, port) &&
         DirectionAllows(*compiled_, false, from, to, to, port);
}

bool Connectivity::ClosedOnEveryPort(const Endpoint& from, const Endpoint& to) const {
  const Compiled& c = *compiled_;
  if (!from.pod || !to.pod || !c.admin_order.empty()) {
    return false;
  }
  return IsolatedFromPeer(c, true, *to.pod, from) || IsolatedFromPeer(c, false, *from.pod, to);
}

std::string Connectivity::Describe(const Endpoint& endpoint) const {
  if (!endpoint.pod) {
    return endpoint.ip;
  }
  const PodInfo& pod = compiled_->state.pods[*endpoint.pod];
  return pod.namespace_name + '/' + pod.name;
}

std::string Connectivity::Explain(const Endpoint& from, const Endpoint& to,
                                  const PortProtocol& port) const {
  const Decision decision = Decide(from, to, port);
  std::string out = Describe(from) + " -> " + Describe(to) + " on " + port.ToString() + ": " +
                    (decision.Allowed() ? "allowed" : "blocked") + '\n';
  ExplainDirection(*compiled_, decision.egress, false, Describe(from), out);
  ExplainDirection(*compiled_, decision.ingress, true, Describe(to), out);
  return out;
}

std::vector<PriorityConflict> Connectivity::PriorityConflicts() const {
  const Compiled& c = *compiled_;
  const auto& policies = c.state.cluster_policies;
  std::vector<std::vector<uint32_t>> subjects(policies.size());
  for (std::size_t index : c.admin_order) {
    subjects[index] = SubjectClasses(c, policies[index].spec.subject);
  }
  std::vector<PriorityConflict> conflicts;
  for (std::size_t i = 0; i < c.admin_order.size(); ++i) {
    const ClusterPolicySpec& a = policies[c.admin_order[i]].spec;
    for (std::size_t j = i + 1; j < c.admin_order.size(); ++j) {
      const ClusterPolicySpec& b = policies[c.admin_order[j]].spec;
      if (b.priority != a.priority) {
        break;  // the order is by priority first
      }
      const bool same_direction =
          (!a.ingress.empty() && !b.ingress.empty()) || (!a.egress.empty() && !b.egress.empty());
      const auto& x = subjects[c.admin_order[i]];
      const auto& y = subjects[c.admin_order[j]];
      std::vector<uint32_t> common;
      std::set_intersection(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(common));
      if (same_direction && !common.empty()) {
        conflicts.push_back(PriorityConflict{c.admin_order[i], c.admin_order[j]});
      }
    }
  }
  return conflicts;
}

std::string Connectivity::ExplainClusterPolicies(const Endpoint& from, const Endpoint& to) const {
  const Compiled& c = *compiled_;
  if (c.state.cluster_policies.empty()) {
    return "";
  }
  std::string out;
  for (const bool ingress : {false, true}) {
    const Endpoint& endpoint = ingress ? to : from;
    if (!endpoint.pod) {
      continue;
    }
    const std::size_t pod = *endpoint.pod;
    std::string selecting;
    std::string outside;
    for (const auto* order : {&c.admin_order, &c.baseline_order}) {
      for (std::size_t index : *order) {
        const ClusterPolicyInfo& policy = c.state.cluster_policies[index];
        const auto& rules = ingress ? policy.spec.ingress : policy.spec.egress;
        if (rules.empty() || !policy.spec.subject.Matches(c.NamespaceLabels(c.pod_namespace[pod]),
                                                          c.state.pods[pod].labels)) {
          continue;
        }
        Join(selecting, ", ", DescribeClusterPolicy(policy));
        for (std::size_t r = 0; r < rules.size(); ++r) {
          if (OutsidePodAnalysis(rules[r])) {
            outside += "  " + std::string(ClusterPolicyKindName(policy.spec.kind)) + ' ' +
                       policy.name + ' ' + Indexed(ingress ? "spec.ingress" : "spec.egress", r) +
                       (rules[r].name.empty() ? "" : " \"" + rules[r].name + '"') +
                       ": only nodes or domainNames peers, outside pod-to-pod analysis (not "
                       "evaluated)\n";
          }
        }
      }
    }
    out += "cluster policies selecting " + Describe(endpoint) + " for " +
           (ingress ? "ingress: " : "egress: ") + (selecting.empty() ? "none" : selecting) + '\n' +
           outside;
  }
  return out;
}

namespace {

// The stretches of `first`..`last` on `protocol` that the given NetworkPolicies, the live
// cluster policies and the named ports of `named_port_pods` cannot tell apart, one port each.
std::vector<PortProtocol> Stretches(const Connectivity::Compiled& c, Protocol protocol,
                                    int32_t first, int32_t last,
                                    const std::vector<std::size_t>& policies,
                                    const std::vector<std::size_t>& named_port_pods) {
  // Where a stretch starts: a rule's port or range admits a stretch's ports all or none. (A
  // vector sorted once at the end: asked per pair when a change is judged.)
  std::vector<int32_t> starts{first};
  const auto cut = [&](int32_t from, int32_t to) {
    for (const int32_t start : {from, to + 1}) {
      if (start > first && start <= last) {
        starts.push_back(start);
      }
    }
  };
  const ClusterState& state = c.state;
  for (const std::size_t index : policies) {
    const PolicyInfo& policy = state.policies[index];
    for (const auto* rules : {&policy.spec.ingress, &policy.spec.egress}) {
      for (const NetworkPolicyRule& rule : *rules) {
        for (const NetworkPolicyPort& port : rule.ports) {
          if (port.protocol == protocol && port.port) {
            cut(*port.port, port.end_port ? *port.end_port : *port.port);
          }
        }
      }
    }
  }
  for (const auto* order : {&c.admin_order, &c.baseline_order}) {
    for (const std::size_t index : *order) {
      const ClusterPolicyInfo& policy = state.cluster_policies[index];
      for (const auto* rules : {&policy.spec.ingress, &policy.spec.egress}) {
        for (const ClusterPolicyRule& rule : *rules) {
          if (!rule.ports) {
            continue;
          }
          for (const ClusterPolicyPort& port : *rule.ports) {
            if (port.protocol == protocol && !port.named_port) {
              cut(port.first, port.last);
            }
          }
        }
      }
    }
  }
  // A named port admits only the number it resolves to on each pod.
  for (const std::size_t pod : named_port_pods) {
    for (const NamedPort& port : state.pods[pod].ports) {
      if (port.protocol == protocol) {
        cut(port.port, port.port);
      }
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  std::vector<PortProtocol> ports;
  ports.reserve(starts.size());
  for (const int32_t start : starts) {
    ports.push_back(PortProtocol{start, protocol});
  }
  return ports;
}

}  // namespace

std::vector<PortProtocol> Connectivity::DistinctPorts(Protocol protocol, int32_t first,
                                                      int32_t last) const {
  const Compiled& c = *compiled_;
  std::vector<std::size_t> policies;
  for (std::size_t index = 0; index < c.policy_live.size(); ++index) {
    if (c.policy_live[index] != 0) {
      policies.push_back(index);
    }
  }
  std::vector<std::size_t> pods;
  for (std::size_t index = 0; index < c.pod_live.size(); ++index) {
    if (c.pod_live[index] != 0) {
      pods.push_back(index);
    }
  }
  return Stretches(c, protocol, first, last, policies, pods);
}

std::vector<PortProtocol> Connectivity::DistinctPorts(Protocol protocol, int32_t first,
                                                      int32_t last, const Endpoint& from,
                                                      const Endpoint& to) const {
  const Compiled& c = *compiled_;
  std::vector<std::size_t> policies;
  for (const Endpoint* end : {&from, &to}) {
    if (end->pod) {
      const auto& in_namespace = c.policies_by_namespace[c.pod_namespace[*end->pod]];
      policies.insert(policies.end(), in_namespace.begin(), in_namespace.end());
    }
  }
  std::vector<std::size_t> pods;
  if (to.pod) {
    pods.push_back(*to.pod);
  }
  return Stretches(c, protocol, first, last, policies, pods);
}

std::size_t Connectivity::class_count() const { return compiled_->class_representative.size(); }

std::size_t Connectivity::ClassOf(std::size_t pod) const { return compiled_->class_of_pod[pod]; }

std::size_t Connectivity::NamespaceOf(std::size_t pod) const {
  return compiled_->pod_namespace[pod];
}

}  // namespace netadmit
