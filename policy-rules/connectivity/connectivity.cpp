// The connectivity engine: compiles namespaces, pods and NetworkPolicies, and decides single
// connections with the policies and rules behind each answer. The matrix over pod classes is in
// connectivity/matrix.cpp.

#include "netadmit/connectivity/connectivity.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
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

uint32_t AddNamespace(Connectivity::Compiled& compiled, const std::string& name) {
  auto found = compiled.namespace_index.find(name);
  if (found != compiled.namespace_index.end()) {
    return found->second;
  }
  const auto index = static_cast<uint32_t>(compiled.state.namespaces.size());
  compiled.state.namespaces.push_back(NamespaceInfo{name, {}});
  compiled.namespace_index.emplace(name, index);
  return index;
}

std::string PolicyName(const PolicyInfo& policy) {
  return policy.namespace_name + '/' + policy.name;
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
      // Equal blocks share an id, so that pods are tested once per distinct block.
      std::string key = block.cidr.ToString();
      for (const Cidr& except : block.except) {
        key += ' ' + except.ToString();
      }
      block.id = block_ids.try_emplace(key, static_cast<uint32_t>(block_ids.size())).first->second;
      out.ip_block = std::move(block);
    }
    compiled.peers.push_back(std::move(out));
  }
  return compiled;
}

// The class key of a pod: everything a policy can look at.
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

void BuildClasses(Connectivity::Compiled& compiled) {
  const std::size_t pods = compiled.state.pods.size();
  compiled.class_of_pod.resize(pods);
  compiled.classes_by_namespace.assign(compiled.state.namespaces.size(), {});
  compiled.classes_in_ip_block.assign(compiled.ip_blocks.size(), {});
  std::unordered_map<std::string, uint32_t> classes;
  std::vector<uint32_t> blocks;
  for (std::size_t pod = 0; pod < pods; ++pod) {
    blocks.clear();
    if (!compiled.pod_addresses[pod].empty()) {
      for (const ConnIpBlock* block : compiled.ip_blocks) {
        const auto& addresses = compiled.pod_addresses[pod];
        if (std::any_of(addresses.begin(), addresses.end(),
                        [&](const Cidr& host) { return block->Matches(host); })) {
          blocks.push_back(block->id);
        }
      }
    }
    auto [found, inserted] =
        classes.try_emplace(ClassKey(compiled, pod, blocks), static_cast<uint32_t>(classes.size()));
    const uint32_t id = found->second;
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
}

bool PeerMatches(const Connectivity::Compiled& compiled, uint32_t policy_namespace,
                 const ConnPeer& peer, const Endpoint& endpoint,
                 const std::optional<Cidr>& external_address) {
  if (peer.ip_block) {
    if (!endpoint.pod) {
      return external_address && peer.ip_block->Matches(*external_address);
    }
    const auto& addresses = compiled.pod_addresses[*endpoint.pod];
    return std::any_of(addresses.begin(), addresses.end(),
                       [&](const Cidr& host) { return peer.ip_block->Matches(host); });
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

// One direction: `subject` is the pod the policies select, `peer` the other end, `to` the
// destination whose named ports resolve the policy ports.
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
  for (std::size_t index : compiled.policies_by_namespace[pod_namespace]) {
    const ConnPolicy& policy = compiled.policies[index];
    const PolicyInfo& info = compiled.state.policies[index];
    if (!(ingress ? policy.affects_ingress : policy.affects_egress) ||
        !info.spec.pod_selector.Matches(compiled.state.pods[pod].labels)) {
      continue;
    }
    decision.isolating.push_back(index);
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
  return decision;
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
  if (decision.isolating.empty()) {
    out += "allowed, not isolated (no NetworkPolicy selects it for ";
    out += direction;
    out += ")\n";
    return;
  }
  out += decision.allowing.empty() ? "blocked" : "allowed";
  out += ", isolated by " + PolicyList(compiled, decision.isolating) + '\n';
  if (decision.allowing.empty()) {
    out += "    no ";
    out += direction;
    out += " rule of these policies allows it\n";
    return;
  }
  for (const RuleMatch& match : decision.allowing) {
    const PolicyInfo& policy = compiled.state.policies[match.policy];
    const auto& rules = ingress ? policy.spec.ingress : policy.spec.egress;
    const NetworkPolicyRule& rule = rules[match.rule];
    out += "    allowed by " + PolicyName(policy) + ' ' + match.path + " (";
    out += match.peer ? FormatPeer(rule.peers[*match.peer])
                      : std::string(ingress ? "no from: every source" : "no to: every destination");
    out += rule.ports.empty() ? ", every port" : "";
    out += ")\n";
  }
}

}  // namespace

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
  if (!to.pod) {
    return false;  // a named port resolves only on a pod
  }
  const auto& ports = compiled.state.pods[*to.pod].ports;
  return std::any_of(ports.begin(), ports.end(), [&](const NamedPort& named) {
    return named.name == *policy_port.named_port && named.protocol == port.protocol &&
           named.port == port.port;
  });
}

bool RulePortsMatch(const Connectivity::Compiled& compiled, const NetworkPolicyRule& rule,
                    const PortProtocol& port, const Endpoint& to) {
  return rule.ports.empty() ||
         std::any_of(rule.ports.begin(), rule.ports.end(), [&](const NetworkPolicyPort& p) {
           return PortMatches(compiled, p, port, to);
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
  for (NamespaceInfo& ns : state.namespaces) {
    auto found = c.namespace_index.find(ns.name);
    if (found != c.namespace_index.end()) {
      c.state.namespaces[found->second] = std::move(ns);  // the last definition wins
      continue;
    }
    c.namespace_index.emplace(ns.name, static_cast<uint32_t>(c.state.namespaces.size()));
    c.state.namespaces.push_back(std::move(ns));
  }
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
  std::map<std::string, uint32_t> blocks;
  for (const PolicyInfo& policy : c.state.policies) {
    ConnPolicy out;
    out.namespace_index = AddNamespace(c, policy.namespace_name);
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
        auto rule = CompileRule(rules[r], path, ingress == 1 ? "from" : "to", blocks);
        if (!rule) {
          Error error = rule.error();
          error.message = "NetworkPolicy " + PolicyName(policy) + ": " + error.message;
          return error;
        }
        (ingress == 1 ? out.ingress : out.egress).push_back(std::move(*rule));
      }
    }
    c.policies.push_back(std::move(out));
  }
  // The API server labels every namespace with its name.
  for (NamespaceInfo& ns : c.state.namespaces) {
    ns.labels.try_emplace(std::string(kNamespaceNameLabel), ns.name);
  }
  c.policies_by_namespace.assign(c.state.namespaces.size(), {});
  for (std::size_t i = 0; i < c.policies.size(); ++i) {
    c.policies_by_namespace[c.policies[i].namespace_index].push_back(i);
  }
  // Peers hold their own copy of the block; the index points at those copies.
  c.ip_blocks.assign(blocks.size(), nullptr);
  for (ConnPolicy& policy : c.policies) {
    for (auto* rules : {&policy.ingress, &policy.egress}) {
      for (ConnRule& rule : *rules) {
        for (ConnPeer& peer : rule.peers) {
          if (peer.ip_block) {
            if (c.ip_blocks[peer.ip_block->id] == nullptr) {
              c.ip_blocks[peer.ip_block->id] = &*peer.ip_block;
            }
          }
        }
      }
    }
  }
  BuildClasses(c);
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

std::size_t Connectivity::class_count() const { return compiled_->class_representative.size(); }

std::size_t Connectivity::ClassOf(std::size_t pod) const { return compiled_->class_of_pod[pod]; }

}  // namespace netadmit
