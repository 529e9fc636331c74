// Flow requirements: parses `forbid`/`require` entries and checks them against the connectivity
// engine, one concrete source and destination per broken entry.

#include "netadmit/connectivity/flow_requirements.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "netadmit/rules/params.h"

namespace netadmit {

namespace {

constexpr int32_t kLastPort = 65535;

Error PortsError(std::string message) {
  Error error;
  error.message = std::move(message);
  return error;
}

// "5432/TCP", "8000-8100/TCP", "all", "all/UDP" (a missing protocol is TCP, or every protocol
// for "all").
Result<std::vector<FlowPorts>> ParseFlowPorts(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view numbers = text.substr(0, slash);
  const std::string_view protocol =
      slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  std::vector<FlowPorts> out;
  if (numbers == "all") {
    if (protocol.empty()) {
      for (const Protocol each : {Protocol::kTCP, Protocol::kUDP, Protocol::kSCTP}) {
        out.push_back(FlowPorts{each, 1, kLastPort});
      }
      return out;
    }
    auto parsed = PortProtocol::Parse("1/" + std::string(protocol));
    if (!parsed) {
      return PortsError("invalid protocol in \"" + std::string(text) + "\": use TCP, UDP or SCTP");
    }
    out.push_back(FlowPorts{parsed->protocol, 1, kLastPort});
    return out;
  }
  const auto dash = numbers.find('-');
  const std::string suffix = protocol.empty() ? std::string() : '/' + std::string(protocol);
  auto first = PortProtocol::Parse(std::string(numbers.substr(0, dash)) + suffix);
  if (!first && dash == std::string_view::npos) {
    return first.error();
  }
  if (!first) {
    return PortsError("invalid port range \"" + std::string(text) +
                      "\": write FIRST-LAST/PROTOCOL with ports from 1 to 65535, e.g. "
                      "8000-8100/TCP");
  }
  FlowPorts ports{first->protocol, first->port, first->port};
  if (dash != std::string_view::npos) {
    auto last = PortProtocol::Parse(std::string(numbers.substr(dash + 1)) + suffix);
    if (!last || last->port < first->port) {
      return PortsError("invalid port range \"" + std::string(text) +
                        "\": the last port must be a port from the first to 65535");
    }
    ports.last = last->port;
  }
  out.push_back(ports);
  return out;
}

class FlowParser {
 public:
  explicit FlowParser(std::string file) : file_(std::move(file)) {}

  std::optional<Error> error() const { return error_; }

  void Fail(const YAML::Node& node, const std::string& path, std::string message) {
    if (!error_) {
      error_ = ErrorAt(node, file_, path, std::move(message));
    }
  }

  // Checks that `node` is a map with only `allowed` keys.
  bool Map(const YAML::Node& node, const std::string& path, std::set<std::string> allowed) {
    if (!node.IsMap()) {
      Fail(node, path, "expected a map");
      return false;
    }
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      if (!allowed.contains(key)) {
        Fail(entry.first, path, "unknown field \"" + key + '"');
        return false;
      }
    }
    return true;
  }

  std::string Scalar(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
      Fail(node, path, "expected a string");
      return {};
    }
    return node.Scalar();
  }

  LabelSelector Selector(const YAML::Node& node, const std::string& path) {
    LabelSelector selector;
    if (!Map(node, path, {"matchLabels", "matchExpressions"})) {
      return selector;
    }
    if (const YAML::Node labels = node["matchLabels"]) {
      if (!labels.IsMap()) {
        Fail(labels, path + ".matchLabels", "expected a map of strings");
        return selector;
      }
      for (const auto& entry : labels) {
        selector.match_labels[Scalar(entry.first, path + ".matchLabels")] =
            Scalar(entry.second, path + ".matchLabels");
      }
    }
    if (const YAML::Node expressions = node["matchExpressions"]) {
      if (!expressions.IsSequence()) {
        Fail(expressions, path + ".matchExpressions", "expected a list");
        return selector;
      }
      for (std::size_t i = 0; i < expressions.size(); ++i) {
        const std::string at = path + ".matchExpressions[" + std::to_string(i) + ']';
        const YAML::Node expression = expressions[i];
        if (!Map(expression, at, {"key", "operator", "values"})) {
          return selector;
        }
        SelectorRequirement requirement;
        requirement.key = Scalar(expression["key"], at + ".key");
        const std::string op = Scalar(expression["operator"], at + ".operator");
        static const std::map<std::string, SelectorOperator> kOperators = {
            {"In", SelectorOperator::kIn},
            {"NotIn", SelectorOperator::kNotIn},
            {"Exists", SelectorOperator::kExists},
            {"DoesNotExist", SelectorOperator::kDoesNotExist}};
        auto found = kOperators.find(op);
        if (found == kOperators.end()) {
          Fail(expression["operator"], at + ".operator",
               "unknown operator \"" + op + "\" (expected In, NotIn, Exists or DoesNotExist)");
          return selector;
        }
        requirement.op = found->second;
        if (const YAML::Node values = expression["values"]) {
          if (!values.IsSequence()) {
            Fail(values, at + ".values", "expected a list of strings");
            return selector;
          }
          for (const auto& value : values) {
            requirement.values.push_back(Scalar(value, at + ".values"));
          }
        }
        selector.match_expressions.push_back(std::move(requirement));
      }
    }
    return selector;
  }

  FlowPeer Peer(const YAML::Node& node, const std::string& path) {
    FlowPeer peer;
    if (!node) {
      return peer;  // every pod
    }
    if (!Map(node, path, {"namespaceSelector", "podSelector", "cidrs"})) {
      return peer;
    }
    if (const YAML::Node cidrs = node["cidrs"]) {
      if (node["namespaceSelector"] || node["podSelector"]) {
        Fail(cidrs, path + ".cidrs", "give either cidrs or selectors, not both");
        return peer;
      }
      if (!cidrs.IsSequence() || cidrs.size() == 0) {
        Fail(cidrs, path + ".cidrs", "expected a non-empty list of CIDRs");
        return peer;
      }
      for (std::size_t i = 0; i < cidrs.size(); ++i) {
        const std::string at = path + ".cidrs[" + std::to_string(i) + ']';
        auto cidr = Cidr::Parse(Scalar(cidrs[i], at));
        if (!cidr) {
          Fail(cidrs[i], at, cidr.error().message);
          return peer;
        }
        peer.cidrs.push_back(*cidr);
      }
    }
    if (const YAML::Node selector = node["namespaceSelector"]) {
      peer.namespace_selector = Selector(selector, path + ".namespaceSelector");
    }
    if (const YAML::Node selector = node["podSelector"]) {
      peer.pod_selector = Selector(selector, path + ".podSelector");
    }
    return peer;
  }

  std::vector<FlowPorts> Ports(const YAML::Node& node, const std::string& path) {
    std::vector<FlowPorts> ports;
    if (!node || !node.IsSequence() || node.size() == 0) {
      Fail(node, path, "expected a non-empty list of ports, e.g. [53/UDP, 53/TCP]");
      return ports;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string at = path + '[' + std::to_string(i) + ']';
      const YAML::Node port = node[i];
      std::string text;
      if (port.IsMap()) {
        if (!Map(port, at, {"port", "endPort", "protocol"})) {
          return ports;
        }
        text = Scalar(port["port"], at + ".port");
        if (port["endPort"]) {
          text += '-' + Scalar(port["endPort"], at + ".endPort");
        }
        if (port["protocol"]) {
          text += '/' + Scalar(port["protocol"], at + ".protocol");
        }
      } else {
        text = Scalar(port, at);
      }
      if (error_) {
        return ports;
      }
      auto parsed = ParseFlowPorts(text);
      if (!parsed) {
        Fail(port, at, parsed.error().message);
        return ports;
      }
      ports.insert(ports.end(), parsed->begin(), parsed->end());
    }
    return ports;
  }

  std::vector<FlowEntry> Entries(const YAML::Node& node, const std::string& path) {
    std::vector<FlowEntry> entries;
    if (!node) {
      return entries;
    }
    if (!node.IsSequence()) {
      Fail(node, path, "expected a list of {from, to, ports}");
      return entries;
    }
    for (std::size_t i = 0; i < node.size() && !error_; ++i) {
      const std::string at = path + '[' + std::to_string(i) + ']';
      if (!Map(node[i], at, {"from", "to", "ports"})) {
        break;
      }
      FlowEntry entry;
      entry.path = at;
      entry.from = Peer(node[i]["from"], at + ".from");
      entry.to = Peer(node[i]["to"], at + ".to");
      if (!node[i]["ports"]) {
        Fail(node[i], at + ".ports", "missing: list the ports, e.g. [53/UDP, 53/TCP]");
        break;
      }
      entry.ports = Ports(node[i]["ports"], at + ".ports");
      entries.push_back(std::move(entry));
    }
    return entries;
  }

 private:
  std::string file_;
  std::optional<Error> error_;
};

// Whether the peer's selectors select the pod (never for a peer of addresses).
bool Selects(const Connectivity& engine, const FlowPeer& peer, std::size_t pod) {
  if (!peer.cidrs.empty()) {
    return false;
  }
  const NamespaceInfo& ns = engine.state().namespaces[engine.NamespaceOf(pod)];
  return (!peer.namespace_selector || peer.namespace_selector->Matches(ns.labels)) &&
         (!peer.pod_selector || peer.pod_selector->Matches(engine.state().pods[pod].labels));
}

std::vector<Endpoint> Choose(const Connectivity& engine, const FlowPeer& peer) {
  std::vector<Endpoint> out;
  if (!peer.cidrs.empty()) {
    for (const Cidr& cidr : peer.cidrs) {
      const std::string text = cidr.ToString();
      out.push_back(Endpoint::External(text.substr(0, text.find('/'))));
    }
    return out;
  }
  // One pod per class: selectors cannot tell the others apart. Per class and per namespace the
  // answer is worked out once (0: not yet, 1: selected, 2: not).
  std::vector<uint8_t> class_seen(engine.class_count(), 0);
  std::vector<uint8_t> namespace_seen(engine.state().namespaces.size(), 0);
  const std::vector<PodInfo>& pods = engine.state().pods;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    if (!engine.Live(i) || class_seen[engine.ClassOf(i)] != 0) {
      continue;
    }
    const std::size_t ns = engine.NamespaceOf(i);
    if (namespace_seen[ns] == 0) {
      namespace_seen[ns] = !peer.namespace_selector || peer.namespace_selector->Matches(
                                                           engine.state().namespaces[ns].labels)
                               ? 1
                               : 2;
    }
    const bool selected = namespace_seen[ns] == 1 &&
                          (!peer.pod_selector || peer.pod_selector->Matches(pods[i].labels));
    class_seen[engine.ClassOf(i)] = selected ? 1 : 2;
    if (selected) {
      out.push_back(Endpoint::Pod(i));
    }
  }
  return out;
}

std::string RuleName(const Connectivity& engine, const RuleMatch& match) {
  const PolicyInfo& policy = engine.state().policies[match.policy];
  return "NetworkPolicy " + policy.namespace_name + '/' + policy.name + ' ' + match.path;
}

std::string PolicyNames(const Connectivity& engine, const std::vector<std::size_t>& policies) {
  std::string out;
  for (std::size_t index : policies) {
    if (!out.empty()) {
      out += ", ";
    }
    out +=
        engine.state().policies[index].namespace_name + '/' + engine.state().policies[index].name;
  }
  return out;
}

// The cluster policy rule that decided a direction, when one did.
std::optional<std::string> ClusterDecider(const Connectivity& engine,
                                          const DirectionDecision& decision) {
  switch (decision.DecidedBy()) {
    case DecidingTier::kAdmin:
      return ClusterRuleName(engine.state(), *decision.admin);
    case DecidingTier::kBaseline:
      return ClusterRuleName(engine.state(), *decision.baseline);
    case DecidingTier::kNetworkPolicy:
    case DecidingTier::kNone:
      break;
  }
  return std::nullopt;
}

// What opens an allowed connection, the ingress side first (where a forbidden flow is usually
// meant to be stopped): a cluster policy rule that allows it, else a NetworkPolicy rule, else
// nothing isolates the pod.
std::string Opening(const Connectivity& engine, const Decision& decision, const std::string& to) {
  if (auto rule = ClusterDecider(engine, decision.ingress)) {
    return "opened by " + *rule;
  }
  if (decision.ingress.applies && !decision.ingress.allowing.empty()) {
    return "opened by " + RuleName(engine, decision.ingress.allowing.front());
  }
  if (decision.ingress.applies) {
    return "no NetworkPolicy isolates " + to + " for ingress";
  }
  if (auto rule = ClusterDecider(engine, decision.egress)) {
    return "opened by " + *rule;
  }
  if (!decision.egress.allowing.empty()) {
    return "opened by " + RuleName(engine, decision.egress.allowing.front());
  }
  return "no NetworkPolicy isolates the source for egress";
}

std::string Closing(const Connectivity& engine, const Decision& decision) {
  const bool egress = !decision.egress.Allowed();
  const DirectionDecision& side = egress ? decision.egress : decision.ingress;
  const std::string direction = egress ? "egress" : "ingress";
  if (auto rule = ClusterDecider(engine, side)) {
    return direction + " closed by " + *rule;
  }
  return direction + " closed by " + PolicyNames(engine, side.isolating) + " (no " + direction +
         " rule allows it)";
}

// The broken flow of an entry, for people: the pair and port, and what opens or closes it.
BrokenFlow Report(const Connectivity& engine, const FlowEntry& entry, bool forbid,
                  const Endpoint& from, const Endpoint& to, const PortProtocol& port) {
  const Decision decision = engine.Decide(from, to, port);
  const std::string pair =
      engine.Describe(from) + " -> " + engine.Describe(to) + " on " + port.ToString();
  if (forbid) {
    return BrokenFlow{&entry, FlowBreak::kForbiddenOpen,
                      Violation{entry.path, "forbidden flow is open",
                                pair + ", " + Opening(engine, decision, engine.Describe(to)),
                                "narrow that rule, or isolate the destination"}};
  }
  return BrokenFlow{
      &entry, FlowBreak::kRequiredClosed,
      Violation{entry.path, "required flow is closed", pair + ", " + Closing(engine, decision),
                "add a rule that allows it in the closing policies"}};
}

std::vector<NamedPort> SortedPorts(std::vector<NamedPort> ports) {
  std::sort(ports.begin(), ports.end());
  return ports;
}

// What policies see of a pod but its address: namespace, labels, named ports (sorted).
struct ShapeKey {
  std::string namespace_name;
  Labels labels;
  std::vector<NamedPort> ports;

  auto operator<=>(const ShapeKey&) const = default;
};

struct StretchKey {
  std::size_t from_namespace;
  std::size_t to_class;
  std::size_t range;
  bool operator==(const StretchKey&) const = default;
};

struct StretchKeyHash {
  std::size_t operator()(const StretchKey& key) const {
    return std::hash<std::size_t>{}(
        (key.from_namespace * 0x9E3779B97F4A7C15ULL ^ key.to_class) * 31 + key.range);
  }
};

struct PodPairHash {
  std::size_t operator()(const std::pair<std::size_t, std::size_t>& pair) const {
    return std::hash<std::size_t>{}(pair.first * 0x9E3779B97F4A7C15ULL ^ pair.second);
  }
};

ShapeKey ShapeOf(const FlowEnd& end) { return ShapeKey{end.namespace_name, end.labels, end.ports}; }

}  // namespace

std::string FlowPorts::ToString() const {
  const std::string protocol_name = ProtocolName(protocol);
  if (first == 1 && last == kLastPort) {
    return "all/" + protocol_name;
  }
  if (first == last) {
    return std::to_string(first) + '/' + protocol_name;
  }
  return std::to_string(first) + '-' + std::to_string(last) + '/' + protocol_name;
}

Result<FlowsParams> ParseFlows(const YAML::Node& params, const std::string& file,
                               const std::string& path) {
  FlowParser parser(file);
  FlowsParams flows;
  try {
    if (parser.Map(params, path, {"forbid", "require"})) {
      flows.forbid = parser.Entries(params["forbid"], path + ".forbid");
      flows.require = parser.Entries(params["require"], path + ".require");
      if (!parser.error() && flows.forbid.empty() && flows.require.empty()) {
        parser.Fail(params, path, "give at least one forbid or require entry");
      }
    }
  } catch (const YAML::Exception& e) {
    parser.Fail(params, path, e.what());
  }
  if (parser.error()) {
    return *parser.error();
  }
  return flows;
}

std::vector<BrokenFlow> FindBrokenFlows(const Connectivity& engine, const FlowsParams& flows) {
  std::vector<BrokenFlow> broken;
  for (const bool forbid : {true, false}) {
    for (const FlowEntry& entry : forbid ? flows.forbid : flows.require) {
      const std::vector<Endpoint> sources = Choose(engine, entry.from);
      const std::vector<Endpoint> destinations = Choose(engine, entry.to);
      // Ranges judged exactly: one port of each stretch the policies cannot tell apart.
      std::vector<PortProtocol> ports;
      for (const FlowPorts& range : entry.ports) {
        const auto distinct = engine.DistinctPorts(range.protocol, range.first, range.last);
        ports.insert(ports.end(), distinct.begin(), distinct.end());
      }
      const ReachMatrix matrix = engine.ComputeMatrix(ports);
      bool found = false;
      for (std::size_t p = 0; p < ports.size() && !found; ++p) {
        for (const Endpoint& from : sources) {
          for (const Endpoint& to : destinations) {
            if (from.pod && to.pod && *from.pod == *to.pod && !forbid) {
              continue;  // a pod need not reach itself to satisfy a requirement
            }
            const bool allowed = from.pod && to.pod ? matrix.Allowed(p, *from.pod, *to.pod)
                                                    : engine.Allowed(from, to, ports[p]);
            if (allowed != forbid) {
              continue;
            }
            broken.push_back(Report(engine, entry, forbid, from, to, ports[p]));
            found = true;
            break;
          }
          if (found) {
            break;
          }
        }
      }
    }
  }
  return broken;
}

FlowEnd FlowEnd::Of(const Connectivity& engine, const Endpoint& endpoint) {
  if (!endpoint.pod) {
    return FlowEnd{{}, {}, {}, {}, endpoint.ip};
  }
  const PodInfo& pod = engine.state().pods[*endpoint.pod];
  return FlowEnd{pod.namespace_name, pod.name, pod.labels, SortedPorts(pod.ports), {}};
}

std::optional<Endpoint> FlowEnd::In(const Connectivity& engine) const {
  if (name.empty()) {
    return Endpoint::External(ip);
  }
  const auto pod = engine.FindPod(namespace_name, name);
  if (!pod) {
    return std::nullopt;
  }
  return Endpoint::Pod(*pod);
}

std::vector<FlowCell> FindBrokenCells(const Connectivity& engine, const FlowsParams& flows,
                                      const std::vector<std::size_t>& focus) {
  // One focus pod per class: the others answer the same.
  std::vector<std::size_t> focused;
  std::set<std::size_t> focused_classes;
  for (const std::size_t pod : focus) {
    if (engine.Live(pod) && focused_classes.insert(engine.ClassOf(pod)).second) {
      focused.push_back(pod);
    }
  }
  std::vector<FlowCell> cells;
  for (const bool forbid : {true, false}) {
    for (const FlowEntry& entry : forbid ? flows.forbid : flows.require) {
      std::vector<Endpoint> focus_from;
      std::vector<Endpoint> focus_to;
      for (const std::size_t pod : focused) {
        if (Selects(engine, entry.from, pod)) {
          focus_from.push_back(Endpoint::Pod(pod));
        }
        if (Selects(engine, entry.to, pod)) {
          focus_to.push_back(Endpoint::Pod(pod));
        }
      }
      if (focus_from.empty() && focus_to.empty()) {
        continue;
      }
      std::vector<std::pair<Endpoint, Endpoint>> pairs;
      // Each pair once: pods by their indexes (most pairs), addresses by their text.
      std::unordered_set<std::pair<std::size_t, std::size_t>, PodPairHash> seen_pods;
      std::set<std::pair<std::string, std::string>> seen_addresses;
      const auto add = [&](const Endpoint& from, const Endpoint& to) {
        if (!forbid && from.pod && to.pod && *from.pod == *to.pod) {
          return;  // a pod need not reach itself to satisfy a requirement
        }
        const bool fresh =
            from.pod && to.pod
                ? seen_pods.emplace(*from.pod, *to.pod).second
                : seen_addresses
                      .emplace((from.pod ? std::to_string(*from.pod) : '@' + from.ip),
                               (to.pod ? std::to_string(*to.pod) : '@' + to.ip))
                      .second;
        if (fresh) {
          pairs.emplace_back(from, to);
        }
      };
      if (!focus_from.empty()) {
        std::vector<Endpoint> destinations = Choose(engine, entry.to);
        destinations.insert(destinations.end(), focus_to.begin(), focus_to.end());
        for (const Endpoint& from : focus_from) {
          for (const Endpoint& to : destinations) {
            add(from, to);
          }
        }
      }
      if (!focus_to.empty()) {
        std::vector<Endpoint> sources = Choose(engine, entry.from);
        sources.insert(sources.end(), focus_from.begin(), focus_from.end());
        for (const Endpoint& to : focus_to) {
          for (const Endpoint& from : sources) {
            add(from, to);
          }
        }
      }
      // The stretches depend on the source's namespace and the destination's class (its
      // namespace and named ports) only: worked out once per such key and port range.
      std::unordered_map<StretchKey, std::vector<PortProtocol>, StretchKeyHash> stretches;
      std::vector<PortProtocol> outside_stretches;  // for a pair with an address outside
      const auto ports_of = [&](const Endpoint& from, const Endpoint& to,
                                std::size_t range) -> const std::vector<PortProtocol>& {
        const FlowPorts& ports = entry.ports[range];
        if (!from.pod || !to.pod) {
          outside_stretches =
              engine.DistinctPorts(ports.protocol, ports.first, ports.last, from, to);
          return outside_stretches;
        }
        auto [found, inserted] = stretches.try_emplace(
            StretchKey{engine.NamespaceOf(*from.pod), engine.ClassOf(*to.pod), range});
        if (inserted) {
          found->second = engine.DistinctPorts(ports.protocol, ports.first, ports.last, from, to);
        }
        return found->second;
      };
      for (const auto& [from, to] : pairs) {
        if (forbid && engine.ClosedOnEveryPort(from, to)) {
          continue;  // most pairs a forbid entry names: no port to ask
        }
        for (std::size_t range = 0; range < entry.ports.size(); ++range) {
          for (const PortProtocol& port : ports_of(from, to, range)) {
            if (engine.Allowed(from, to, port) == forbid) {
              cells.push_back(FlowCell{&entry, forbid, FlowEnd::Of(engine, from),
                                       FlowEnd::Of(engine, to), port});
            }
          }
        }
      }
    }
  }
  return cells;
}

std::vector<bool> ShapesBroken(const Connectivity& engine, const std::vector<FlowCell>& cells) {
  // The pods of each shape the cells name, one per class, in one pass over the pods.
  std::map<ShapeKey, std::vector<Endpoint>> pods_of;
  for (const FlowCell& cell : cells) {
    for (const FlowEnd* end : {&cell.from, &cell.to}) {
      if (!end->name.empty()) {
        pods_of.try_emplace(ShapeOf(*end));
      }
    }
  }
  std::set<std::string, std::less<>> namespaces;  // of those shapes: most pods are in others
  for (const auto& [shape, unused] : pods_of) {
    namespaces.insert(shape.namespace_name);
  }
  // A class is one shape (its key holds the shape), so each class is looked at once.
  std::vector<bool> class_seen(engine.class_count(), false);
  const std::vector<PodInfo>& pods = engine.state().pods;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    if (!engine.Live(i) || class_seen[engine.ClassOf(i)] ||
        !namespaces.contains(pods[i].namespace_name)) {
      continue;
    }
    class_seen[engine.ClassOf(i)] = true;
    const ShapeKey key{pods[i].namespace_name, pods[i].labels, SortedPorts(pods[i].ports)};
    if (const auto shape = pods_of.find(key); shape != pods_of.end()) {
      shape->second.push_back(Endpoint::Pod(i));
    }
  }
  const auto ends = [&](const FlowEnd& end) {
    return end.name.empty() ? std::vector<Endpoint>{Endpoint::External(end.ip)}
                            : pods_of[ShapeOf(end)];
  };
  std::vector<bool> broken;
  for (const FlowCell& cell : cells) {
    bool any = false;
    for (const Endpoint& from : ends(cell.from)) {
      for (const Endpoint& to : ends(cell.to)) {
        if (!cell.forbid && from.pod && to.pod && *from.pod == *to.pod) {
          continue;  // a pod need not reach itself
        }
        if (engine.Allowed(from, to, cell.port) == cell.forbid) {
          any = true;
          break;
        }
      }
      if (any) {
        break;
      }
    }
    broken.push_back(any);
  }
  return broken;
}

BrokenFlow DescribeBrokenCell(const Connectivity& engine, const FlowCell& cell) {
  return Report(engine, *cell.entry, cell.forbid, *cell.from.In(engine), *cell.to.In(engine),
                cell.port);
}

std::vector<Violation> EvaluateFlows(const Connectivity& engine, const FlowsParams& flows) {
  std::vector<Violation> violations;
  for (BrokenFlow& broken : FindBrokenFlows(engine, flows)) {
    violations.push_back(std::move(broken.violation));
  }
  return violations;
}

}  // namespace netadmit
