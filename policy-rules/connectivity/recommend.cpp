// Least-privilege NetworkPolicies from observed connections: each connection becomes a rule of
// its source workload's egress policy and of its destination workload's ingress policy, grouped
// by peer; the set is then built into a fresh engine with the cluster and every connection asked
// again, so that nothing is returned that would not let the observed traffic through.

#include "netadmit/connectivity/recommend.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "netadmit/model/cidr.h"

namespace netadmit {

namespace {

constexpr int32_t kDnsPort = 53;

// A connection's end in one engine: a pod, or an address (or CIDR) outside the cluster.
struct End {
  std::optional<std::size_t> pod;
  std::string address;

  Endpoint endpoint() const {
    // A CIDR (the neutral form's source) is judged as its first address, as FlowReplay does.
    return pod ? Endpoint::Pod(*pod) : Endpoint::External(address.substr(0, address.find('/')));
  }
};

// FlowReplay names a pod "ns/pod" and an address as the log wrote it; a CIDR has a slash too,
// but never names a pod.
End ResolveEnd(const Connectivity& engine, const std::string& name) {
  if (const auto slash = name.find('/'); slash != std::string::npos) {
    if (auto pod = engine.FindPod(name.substr(0, slash), name.substr(slash + 1))) {
      return End{pod, {}};
    }
  }
  return End{std::nullopt, name};
}

std::string Describe(const ReplayedConnection& connection) {
  return connection.from + " -> " + connection.to + ' ' + connection.port.ToString();
}

// Which namespaces the recommendation is for.
class Scope {
 public:
  explicit Scope(std::string only) : only_(std::move(only)) {}
  bool Contains(std::string_view namespace_name) const {
    return only_.empty() || namespace_name == only_;
  }

 private:
  std::string only_;
};

// The selector of a pod's workload: the first label key of `keys` it carries, or all its labels
// but the ones that tell replicas apart.
Labels WorkloadLabels(const Labels& labels, std::span<const std::string> keys) {
  for (const std::string& key : keys) {
    if (const auto found = labels.find(key); found != labels.end()) {
      return Labels{{found->first, found->second}};
    }
  }
  Labels out = labels;
  for (std::string_view replica : kReplicaLabels) {
    if (const auto found = out.find(replica); found != out.end()) {
      out.erase(found);
    }
  }
  return out;
}

// A peer as a policy of `policy_namespace` names pods of `peer_namespace`: by the namespace's
// name label only when it is another namespace.
NetworkPolicyPeer PodPeer(std::string_view policy_namespace, std::string_view peer_namespace,
                          Labels selector) {
  NetworkPolicyPeer peer;
  peer.pod_selector = LabelSelector{std::move(selector), {}};
  if (peer_namespace != policy_namespace) {
    peer.namespace_selector =
        LabelSelector{{{std::string(kNamespaceNameLabel), std::string(peer_namespace)}}, {}};
  }
  return peer;
}

// The block an address outside the cluster is allowed as: exact, or aggregated to the option's
// prefix length (never narrower than a CIDR the log gave).
Result<std::string> BlockOf(const std::string& address, const RecommendOptions& options) {
  const bool v6 = address.find(':') != std::string::npos;
  const auto slash = address.find('/');
  int prefix = v6 ? 128 : 32;
  if (slash != std::string::npos) {
    auto given = Cidr::Parse(address);
    if (!given) {
      return given.error();
    }
    prefix = given->prefix_length();
  }
  if (const std::optional<int>& wanted = v6 ? options.ipv6_prefix : options.ipv4_prefix) {
    prefix = std::min(prefix, *wanted);
  }
  auto block = Cidr::Parse(address.substr(0, slash) + '/' + std::to_string(prefix));
  if (!block) {
    return block.error();
  }
  return block->ToString();
}

// The port as the rule names it: by the destination pod's container port name when it declares
// one with this number and protocol, so that the rule follows the port if the number changes.
NetworkPolicyPort RulePort(const ClusterState& state, const End& destination,
                           const PortProtocol& port) {
  NetworkPolicyPort out;
  out.protocol = port.protocol;
  if (destination.pod) {
    for (const NamedPort& named : state.pods[*destination.pod].ports) {
      if (named.port == port.port && named.protocol == port.protocol) {
        out.named_port = named.name;
        return out;
      }
    }
  }
  out.port = port.port;
  return out;
}

// Rules, grouped by peer, and what they stand for: one direction of one workload.
struct Direction {
  struct Rule {
    NetworkPolicyPeer peer;
    // (protocol, number, name): numbers first, then names, per protocol.
    std::set<std::tuple<Protocol, int32_t, std::string>> ports;
  };
  // By a key that puts peers of the same namespace first, then other namespaces, then blocks.
  std::map<std::string, Rule> rules;
  std::size_t connections = 0;
  uint64_t observations = 0;
  std::string last_seen;
  std::vector<std::string> examples;

  void Add(std::string peer_key, NetworkPolicyPeer peer, const NetworkPolicyPort& port) {
    auto [rule, added] = rules.try_emplace(std::move(peer_key));
    if (added) {
      rule->second.peer = std::move(peer);
    }
    rule->second.ports.emplace(port.protocol, port.port.value_or(0), port.named_port.value_or(""));
  }

  void Count(const ReplayedConnection& connection) {
    ++connections;
    observations += connection.observations;
    last_seen = std::max(last_seen, connection.last_seen);
    if (examples.size() < RecommendedPolicy::kMaxExamples) {
      examples.push_back(Describe(connection));
    }
  }

  std::vector<NetworkPolicyRule> Rules() const {
    std::vector<NetworkPolicyRule> out;
    for (const auto& [key, rule] : rules) {
      NetworkPolicyRule written;
      written.peers.push_back(rule.peer);
      for (const auto& [protocol, number, name] : rule.ports) {
        NetworkPolicyPort port;
        port.protocol = protocol;
        if (name.empty()) {
          port.port = number;
        } else {
          port.named_port = name;
        }
        written.ports.push_back(std::move(port));
      }
      out.push_back(std::move(written));
    }
    return out;
  }
};

Labels DnsLabels() { return {{std::string(kDnsLabelKey), std::string(kDnsLabelValue)}}; }

// DNS on both protocols to (or from) one peer.
void AddDnsPorts(Direction& direction, const std::string& peer_key, const NetworkPolicyPeer& peer) {
  for (Protocol protocol : {Protocol::kUDP, Protocol::kTCP}) {
    NetworkPolicyPort port;
    port.protocol = protocol;
    port.port = kDnsPort;
    direction.Add(peer_key, peer, port);
  }
}

struct Workload {
  std::string namespace_name;
  Labels selector;
  Direction ingress;
  Direction egress;
};

std::string PodPeerKey(std::string_view policy_namespace, std::string_view peer_namespace,
                       const Labels& selector) {
  const LabelSelector written{selector, {}};
  return (peer_namespace == policy_namespace ? "0\n" : "1" + std::string(peer_namespace) + '\n') +
         FormatSelector(written);
}

// "web", "kube-dns", "all-pods": a workload's selector values as a DNS-1123 name part.
std::string WorkloadName(const Labels& selector) {
  if (selector.empty()) {
    return "all-pods";
  }
  std::string name;
  for (const auto& [key, value] : selector) {
    name += (name.empty() ? "" : "-") + value;
  }
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      c = '-';
    }
  }
  const auto first = name.find_first_not_of("-.");
  name = first == std::string::npos ? "" : name.substr(first);
  // Leaves room for "allow-" and "-ingress-NN" within a name's 253 characters.
  constexpr std::size_t kMaxPart = 200;
  name.resize(std::min(name.size(), kMaxPart));
  while (!name.empty() && (name.back() == '-' || name.back() == '.')) {
    name.pop_back();
  }
  return name.empty() ? "workload" : name;
}

// Policy names already taken in a namespace: those made so far and, when the namespace's
// policies stay, theirs.
class Names {
 public:
  Names(const Connectivity& engine, bool keep_existing)
      : engine_(engine), keep_existing_(keep_existing) {}

  std::string Take(const std::string& namespace_name, const std::string& wanted) {
    std::string name = wanted;
    for (int n = 2; Taken(namespace_name, name); ++n) {
      name = wanted + '-' + std::to_string(n);
    }
    taken_.emplace(namespace_name, name);
    return name;
  }

 private:
  bool Taken(const std::string& namespace_name, const std::string& name) const {
    return taken_.contains({namespace_name, name}) ||
           (keep_existing_ && engine_.FindPolicy(namespace_name, name));
  }

  const Connectivity& engine_;
  bool keep_existing_;
  std::set<std::pair<std::string, std::string>> taken_;
};

RecommendedPolicy DefaultDeny(const std::string& namespace_name, std::string name) {
  RecommendedPolicy out;
  out.default_deny = true;
  out.policy.namespace_name = namespace_name;
  out.policy.name = std::move(name);
  out.policy.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress};
  return out;
}

RecommendedPolicy AllowPolicy(const Workload& workload, const Direction& direction, PolicyType type,
                              std::string name) {
  RecommendedPolicy out;
  out.policy.namespace_name = workload.namespace_name;
  out.policy.name = std::move(name);
  out.policy.spec.pod_selector = LabelSelector{workload.selector, {}};
  out.policy.spec.policy_types = std::vector<PolicyType>{type};
  (type == PolicyType::kIngress ? out.policy.spec.ingress : out.policy.spec.egress) =
      direction.Rules();
  out.connections = direction.connections;
  out.observations = direction.observations;
  out.last_seen = direction.last_seen;
  out.examples = direction.examples;
  return out;
}

Result<Connectivity> BuildWith(const Connectivity& engine, std::span<const PolicyInfo> policies,
                               std::span<const std::string> namespaces, bool keep_existing) {
  ClusterState state = engine.LiveState();
  if (!keep_existing) {
    std::erase_if(state.policies, [&](const PolicyInfo& policy) {
      return std::find(namespaces.begin(), namespaces.end(), policy.namespace_name) !=
             namespaces.end();
    });
  }
  state.policies.insert(state.policies.end(), policies.begin(), policies.end());
  return Connectivity::Build(std::move(state));
}

// What the engine with the recommendation in place makes of one observed connection.
struct Judgement {
  enum class Verdict { kAllowed, kDefect, kLeftOut };
  Verdict verdict = Verdict::kAllowed;
  std::string reason;  // why it is left out, or the explanation of the defect
};

Judgement Judge(const Connectivity& after, const ReplayedConnection& connection,
                std::span<const std::string> namespaces) {
  const End from = ResolveEnd(after, connection.from);
  const End to = ResolveEnd(after, connection.to);
  // Most are allowed: the quick answer first, the reasons only for the rest.
  if (after.Allowed(from.endpoint(), to.endpoint(), connection.port)) {
    return {};
  }
  const Decision decision = after.Decide(from.endpoint(), to.endpoint(), connection.port);
  const ClusterState& state = after.state();
  const auto ours = [&](const End& end) {
    return end.pod && std::find(namespaces.begin(), namespaces.end(),
                                state.pods[*end.pod].namespace_name) != namespaces.end();
  };
  const std::pair<const DirectionDecision*, const End*> directions[] = {{&decision.egress, &from},
                                                                        {&decision.ingress, &to}};
  for (const auto& [direction, end] : directions) {
    if (!direction->Allowed() && ours(*end) &&
        direction->DecidedBy() == DecidingTier::kNetworkPolicy) {
      return {Judgement::Verdict::kDefect,
              after.Explain(from.endpoint(), to.endpoint(), connection.port)};
    }
  }
  for (const auto& [direction, end] : directions) {
    if (direction->Allowed()) {
      continue;
    }
    const std::string which = std::string(direction == &decision.egress ? "egress" : "ingress") +
                              " of " + after.Describe(end->endpoint());
    switch (direction->DecidedBy()) {
      case DecidingTier::kAdmin:
        return {Judgement::Verdict::kLeftOut,
                which + " is denied by " + ClusterRuleName(state, *direction->admin)};
      case DecidingTier::kBaseline:
        return {Judgement::Verdict::kLeftOut,
                which + " is denied by " + ClusterRuleName(state, *direction->baseline)};
      case DecidingTier::kNetworkPolicy:
      case DecidingTier::kNone:
        return {Judgement::Verdict::kLeftOut, which + " is denied by the policies of namespace " +
                                                  state.pods[*end->pod].namespace_name +
                                                  ", outside the recommendation"};
    }
  }
  return {};
}

Error Defect(const ReplayedConnection& connection, const std::string& explanation) {
  return Error{"", 0, 0, "",
               "the recommended policies deny the observed connection " + Describe(connection) +
                   " (a defect of netadmit, please report it):\n" + explanation};
}

// The ordered pairs of pod classes, per observed port, that `after` allows with an end in a
// recommended namespace, and how many of them an observed connection stands for. A connection
// stands for every pod of its ends' classes in `before` (FlowReplay judged them as one), which
// may fall into several classes of `after`.
void Score(const Connectivity& before, const Connectivity& after,
           std::span<const ReplayedConnection* const> covered, Recommendation& out) {
  std::set<PortProtocol> port_set;
  for (const ReplayedConnection* connection : covered) {
    port_set.insert(connection->port);
  }
  out.ports.assign(port_set.begin(), port_set.end());
  const ClusterState& state = after.state();
  std::vector<std::optional<std::size_t>> example_of_class(after.class_count());
  for (std::size_t pod = 0; pod < state.pods.size(); ++pod) {
    std::optional<std::size_t>& example = example_of_class[after.ClassOf(pod)];
    if (!example) {
      example = pod;
    }
  }
  std::map<std::size_t, std::set<std::size_t>> after_classes;  // by the class before
  for (std::size_t pod = 0; pod < before.state().pods.size(); ++pod) {
    const PodInfo& info = before.state().pods[pod];
    if (!before.Live(pod)) {
      continue;
    }
    if (auto same = after.FindPod(info.namespace_name, info.name)) {
      after_classes[before.ClassOf(pod)].insert(after.ClassOf(*same));
    }
  }
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> observed;  // port, from, to
  for (const ReplayedConnection* connection : covered) {
    const End from = ResolveEnd(before, connection->from);
    const End to = ResolveEnd(before, connection->to);
    if (!from.pod || !to.pod) {
      continue;
    }
    const auto port = static_cast<std::size_t>(
        std::lower_bound(out.ports.begin(), out.ports.end(), connection->port) - out.ports.begin());
    for (std::size_t from_class : after_classes[before.ClassOf(*from.pod)]) {
      for (std::size_t to_class : after_classes[before.ClassOf(*to.pod)]) {
        observed.emplace(port, from_class, to_class);
      }
    }
  }
  std::map<std::string, NamespaceScore*, std::less<>> scores;
  for (NamespaceScore& score : out.namespaces) {
    scores.emplace(score.name, &score);
  }
  // Classes without a pod of a recommended namespace count only opposite one that has one.
  struct ClassScore {
    std::size_t id;
    std::size_t example;  // a pod of the class
    NamespaceScore* score;
  };
  std::vector<ClassScore> classes;
  for (std::size_t id = 0; id < example_of_class.size(); ++id) {
    if (const std::optional<std::size_t>& example = example_of_class[id]) {
      const auto found = scores.find(state.pods[*example].namespace_name);
      classes.push_back({id, *example, found == scores.end() ? nullptr : found->second});
    }
  }
  const ReachMatrix matrix = after.ComputeMatrix(out.ports);
  for (std::size_t port = 0; port < out.ports.size(); ++port) {
    for (const ClassScore& from : classes) {
      for (const ClassScore& to : classes) {
        if ((from.score == nullptr && to.score == nullptr) ||
            !matrix.Allowed(port, from.example, to.example)) {
          continue;
        }
        const bool seen = observed.contains({port, from.id, to.id});
        for (NamespaceScore* score : {from.score, to.score == from.score ? nullptr : to.score}) {
          if (score != nullptr) {
            ++score->allowed_pairs;
            score->observed_pairs += seen ? 1 : 0;
          }
        }
      }
    }
  }
}

// The first pass over the observed connections: the namespaces recommended for, and the rules
// each workload needs in each direction.
class Collector {
 public:
  Collector(const Connectivity& engine, const RecommendOptions& options)
      : engine_(engine), state_(engine.state()), options_(options), scope_(options.namespace_name) {
    if (!options.namespace_name.empty()) {
      namespaces_.insert(options.namespace_name);
    }
  }

  // Takes one connection: out of scope, dropped (into out.dropped), with a pod the input lacks
  // (into out.left_out), or into the rules of its ends' workloads. Fails on an address that
  // makes no block with the options' prefix lengths.
  Status Take(const ReplayedConnection& connection, Recommendation& out) {
    const End from = ResolveEnd(engine_, connection.from);
    const End to = ResolveEnd(engine_, connection.to);
    if (!InScope(from, connection.from_unknown_pod) && !InScope(to, connection.to_unknown_pod)) {
      return Ok{};
    }
    if (connection.dropped) {
      out.dropped.push_back(connection);
      return Ok{};
    }
    ++out.observed;
    const std::string& unknown = !connection.from_unknown_pod.empty() ? connection.from_unknown_pod
                                                                      : connection.to_unknown_pod;
    if (!unknown.empty()) {
      out.left_out.push_back(
          {connection, "pod " + unknown + " is not in the input: add it to the manifests"});
      return Ok{};
    }
    const bool from_ours = InScope(from, "");
    const bool to_ours = InScope(to, "");
    for (const End* end : {&from, &to}) {
      if (end == &from ? from_ours : to_ours) {
        namespaces_.insert(state_.pods[*end->pod].namespace_name);
      }
    }
    must_allow_.push_back(&connection);
    bool need_egress = from_ours;
    bool need_ingress = to_ours;
    if (options_.keep_existing) {
      // Only what the policies in place deny, and an Admin-tier deny no NetworkPolicy undoes.
      const Decision decision = engine_.Decide(from.endpoint(), to.endpoint(), connection.port);
      need_egress = need_egress && !decision.egress.Allowed() &&
                    decision.egress.DecidedBy() != DecidingTier::kAdmin;
      need_ingress = need_ingress && !decision.ingress.Allowed() &&
                     decision.ingress.DecidedBy() != DecidingTier::kAdmin;
    }
    const NetworkPolicyPort port = RulePort(state_, to, connection.port);
    if (need_egress) {
      if (Status added = Record(connection, *from.pod, &Workload::egress, to, port); !added) {
        return added;
      }
    }
    if (need_ingress) {
      return Record(connection, *to.pod, &Workload::ingress, from, port);
    }
    return Ok{};
  }

  std::vector<std::string> Namespaces() const { return {namespaces_.begin(), namespaces_.end()}; }
  std::map<std::pair<std::string, std::string>, Workload>& workloads() { return workloads_; }
  const std::vector<const ReplayedConnection*>& must_allow() const { return must_allow_; }

 private:
  // A pod end in a namespace recommended for, or a pod the input lacks named in one.
  bool InScope(const End& end, const std::string& unknown_pod) const {
    const std::string namespace_name = end.pod ? state_.pods[*end.pod].namespace_name
                                               : unknown_pod.substr(0, unknown_pod.find('/'));
    return !namespace_name.empty() && scope_.Contains(namespace_name);
  }

  Workload& WorkloadOf(std::size_t pod) {
    const PodInfo& info = state_.pods[pod];
    Labels selector = WorkloadLabels(info.labels, options_.label_keys);
    const std::string key = FormatSelector(LabelSelector{selector, {}});
    Workload& workload = workloads_[{info.namespace_name, key}];
    if (workload.namespace_name.empty()) {
      workload.namespace_name = info.namespace_name;
      workload.selector = std::move(selector);
    }
    return workload;
  }

  // The connection in one direction of `pod`'s workload, `other` as the peer.
  Status Record(const ReplayedConnection& connection, std::size_t pod,
                Direction Workload::*direction, const End& other, const NetworkPolicyPort& port) {
    Workload& workload = WorkloadOf(pod);
    std::string peer_key;
    NetworkPolicyPeer peer;
    if (other.pod) {
      const PodInfo& info = state_.pods[*other.pod];
      Labels selector = WorkloadLabels(info.labels, options_.label_keys);
      peer_key = PodPeerKey(workload.namespace_name, info.namespace_name, selector);
      peer = PodPeer(workload.namespace_name, info.namespace_name, std::move(selector));
    } else {
      auto block = BlockOf(other.address, options_);
      if (!block) {
        return block.error();
      }
      peer_key = "2" + *block;
      peer.ip_block = IPBlock{*block, {}};
    }
    (workload.*direction).Add(std::move(peer_key), std::move(peer), port);
    (workload.*direction).Count(connection);
    return Ok{};
  }

  const Connectivity& engine_;
  const ClusterState& state_;
  const RecommendOptions& options_;
  Scope scope_;
  std::set<std::string> namespaces_;
  std::map<std::pair<std::string, std::string>, Workload> workloads_;  // by namespace, selector
  std::vector<const ReplayedConnection*> must_allow_;
};

// Per namespace, the default deny (unless the policies in place stay) and the workloads'
// ingress and egress policies, DNS kept; in each namespace the default deny first, then by name.
void AssemblePolicies(const Connectivity& engine, const RecommendOptions& options,
                      std::span<const std::string> namespaces,
                      std::map<std::pair<std::string, std::string>, Workload>& workloads,
                      Recommendation& out) {
  if (!options.keep_existing &&
      std::find(namespaces.begin(), namespaces.end(), kDnsNamespace) != namespaces.end()) {
    // The default deny of the DNS namespace must not cut off the DNS every egress policy keeps.
    Workload& dns = workloads[{std::string(kDnsNamespace), FormatSelector({DnsLabels(), {}})}];
    dns.namespace_name = kDnsNamespace;
    dns.selector = DnsLabels();
    NetworkPolicyPeer every_namespace;
    every_namespace.namespace_selector = LabelSelector{};
    AddDnsPorts(dns.ingress, "1*", every_namespace);
  }
  Names names(engine, options.keep_existing);
  for (const std::string& namespace_name : namespaces) {
    const std::size_t first = out.policies.size();
    if (!options.keep_existing) {
      out.policies.push_back(
          DefaultDeny(namespace_name, names.Take(namespace_name, "default-deny")));
    }
    for (auto& [key, workload] : workloads) {
      if (workload.namespace_name != namespace_name) {
        continue;
      }
      const std::string name = WorkloadName(workload.selector);
      if (workload.selector.empty()) {
        out.warnings.push_back("pods of " + namespace_name +
                               " without labels to select them by: the policies for them "
                               "select every pod of the namespace");
      }
      if (!workload.ingress.rules.empty()) {
        out.policies.push_back(
            AllowPolicy(workload, workload.ingress, PolicyType::kIngress,
                        names.Take(namespace_name, "allow-" + name + "-ingress")));
      }
      if (!workload.egress.rules.empty()) {
        AddDnsPorts(workload.egress, PodPeerKey(namespace_name, kDnsNamespace, DnsLabels()),
                    PodPeer(namespace_name, kDnsNamespace, DnsLabels()));
        out.policies.push_back(
            AllowPolicy(workload, workload.egress, PolicyType::kEgress,
                        names.Take(namespace_name, "allow-" + name + "-egress")));
      }
    }
    std::sort(out.policies.begin() + static_cast<std::ptrdiff_t>(first), out.policies.end(),
              [](const RecommendedPolicy& a, const RecommendedPolicy& b) {
                if (a.default_deny != b.default_deny) {
                  return a.default_deny;
                }
                return a.policy.name < b.policy.name;
              });
  }
}

}  // namespace

std::string RecommendedPolicy::ObservedText() const {
  if (default_deny) {
    return "none: denies what the namespace's other policies do not allow";
  }
  std::string out = std::to_string(connections) +
                    (connections == 1 ? " connection (" : " connections (") +
                    std::to_string(observations) + (observations == 1 ? " flow)" : " flows)");
  if (!last_seen.empty()) {
    out += ", last seen " + last_seen;
  }
  return out;
}

Status ProveRecommendation(const Connectivity& engine, std::span<const PolicyInfo> policies,
                           std::span<const ReplayedConnection> must_allow,
                           std::span<const std::string> namespaces,
                           const RecommendOptions& options) {
  auto after = BuildWith(engine, policies, namespaces, options.keep_existing);
  if (!after) {
    return after.error();
  }
  for (const ReplayedConnection& connection : must_allow) {
    if (connection.dropped) {
      continue;
    }
    const Judgement judgement = Judge(*after, connection, namespaces);
    if (judgement.verdict == Judgement::Verdict::kDefect) {
      return Defect(connection, judgement.reason);
    }
  }
  return Ok{};
}

Result<Recommendation> Recommend(const Connectivity& engine,
                                 std::span<const ReplayedConnection> connections,
                                 const RecommendOptions& options) {
  if (!options.namespace_name.empty() && engine.FindNamespace(options.namespace_name) == nullptr) {
    return Error{"", 0, 0, "", "namespace " + options.namespace_name + " is not in the input"};
  }
  Recommendation out;
  Collector collector(engine, options);
  for (const ReplayedConnection& connection : connections) {
    if (Status taken = collector.Take(connection, out); !taken) {
      return taken.error();
    }
  }
  const std::vector<std::string> namespaces = collector.Namespaces();
  AssemblePolicies(engine, options, namespaces, collector.workloads(), out);
  std::vector<PolicyInfo> policies;
  for (const RecommendedPolicy& recommended : out.policies) {
    policies.push_back(recommended.policy);
  }
  auto after = BuildWith(engine, policies, namespaces, options.keep_existing);
  if (!after) {
    return after.error();
  }
  for (const std::string& namespace_name : namespaces) {
    NamespaceScore score;
    score.name = namespace_name;
    score.policies = static_cast<std::size_t>(
        std::count_if(policies.begin(), policies.end(),
                      [&](const PolicyInfo& p) { return p.namespace_name == namespace_name; }));
    out.namespaces.push_back(std::move(score));
  }
  std::vector<const ReplayedConnection*> covered;
  for (const ReplayedConnection* connection : collector.must_allow()) {
    Judgement judgement = Judge(*after, *connection, namespaces);
    switch (judgement.verdict) {
      case Judgement::Verdict::kDefect:
        return Defect(*connection, judgement.reason);
      case Judgement::Verdict::kLeftOut:
        out.left_out.push_back({*connection, std::move(judgement.reason)});
        continue;
      case Judgement::Verdict::kAllowed:
        break;
    }
    covered.push_back(connection);
    ++out.covered;
    out.covered_observations += connection->observations;
    std::set<std::string_view> ends;
    for (const std::string* name : {&connection->from, &connection->to}) {
      if (const End end = ResolveEnd(engine, *name); end.pod) {
        ends.insert(engine.state().pods[*end.pod].namespace_name);
      }
    }
    for (NamespaceScore& score : out.namespaces) {
      score.connections += ends.contains(score.name) ? 1 : 0;
    }
  }
  Score(engine, *after, covered, out);
  return out;
}

}  // namespace netadmit
