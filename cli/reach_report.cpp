#include "cli/reach_report.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "cli/json_output.h"

namespace netadmit::cli {

namespace {

std::string WithoutTrailingSpaces(std::string text) {
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

void WritePort(JsonWriter& writer, const PortProtocol& port) {
  WriteJsonString(writer, "port");
  writer.Int(port.port);
  WriteJsonString(writer, "protocol");
  WriteJsonString(writer, ProtocolName(port.protocol));
}

void WritePortList(JsonWriter& writer, const std::vector<PortProtocol>& ports) {
  WriteJsonString(writer, "ports");
  writer.StartArray();
  for (const PortProtocol& port : ports) {
    WriteJsonString(writer, port.ToString());
  }
  writer.EndArray();
}

// "prod" for "prod/web-1"; nothing for an address or a CIDR (a namespace name has no '.' or ':').
std::string NamespaceOf(const std::string& endpoint) {
  const auto slash = endpoint.find('/');
  if (slash == std::string::npos || endpoint.find_first_of(".:") < slash) {
    return std::string();
  }
  return endpoint.substr(0, slash);
}

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + '"';
}

void WriteStrings(JsonWriter& writer, std::string_view key, const std::vector<std::string>& items) {
  WriteJsonString(writer, key);
  writer.StartArray();
  for (const std::string& item : items) {
    WriteJsonString(writer, item);
  }
  writer.EndArray();
}

const char* ChangeName(ClusterPolicyChange::How how) {
  switch (how) {
    case ClusterPolicyChange::How::kAdded:
      return "added";
    case ClusterPolicyChange::How::kRemoved:
      return "removed";
    case ClusterPolicyChange::How::kChanged:
      break;
  }
  return "changed";
}

const char* TierName(DecidingTier tier) {
  switch (tier) {
    case DecidingTier::kAdmin:
      return "AdminTier";
    case DecidingTier::kNetworkPolicy:
      return "NetworkPolicy";
    case DecidingTier::kBaseline:
      return "BaselineTier";
    case DecidingTier::kNone:
      break;
  }
  return "default";
}

// {"kind", "name", "tier", "priority", "rule", "ruleName", "path", "action", "failClosed"}
void WriteClusterRule(JsonWriter& writer, std::string_view key, const ClusterState& state,
                      const ClusterRuleMatch& match, bool ingress) {
  const ClusterPolicyInfo& policy = state.cluster_policies[match.policy];
  const ClusterPolicyRule& rule = (ingress ? policy.spec.ingress : policy.spec.egress)[match.rule];
  WriteJsonString(writer, key);
  writer.StartObject();
  WriteMember(writer, "kind", ClusterPolicyKindName(policy.spec.kind));
  WriteMember(writer, "name", policy.name);
  WriteMember(writer, "tier", ClusterPolicyTierName(policy.spec.tier));
  WriteMember(writer, "priority", policy.spec.priority);
  WriteMember(writer, "rule", static_cast<int>(match.rule));
  WriteMember(writer, "ruleName", rule.name);
  WriteMember(writer, "path", match.path);
  WriteMember(writer, "action", ClusterRuleActionName(policy.spec.kind, match.action));
  WriteJsonString(writer, "failClosed");
  writer.Bool(match.fail_closed);
  writer.EndObject();
}

void WriteDirection(JsonWriter& writer, std::string_view key, const Connectivity& engine,
                    const DirectionDecision& decision, bool ingress) {
  const ClusterState& state = engine.state();
  WriteJsonString(writer, key);
  writer.StartObject();
  WriteJsonString(writer, "applies");
  writer.Bool(decision.applies);
  WriteJsonString(writer, "allowed");
  writer.Bool(decision.Allowed());
  const DecidingTier tier = decision.DecidedBy();
  WriteMember(writer, "decidedBy", TierName(tier));
  if (tier == DecidingTier::kAdmin) {
    WriteClusterRule(writer, "clusterPolicy", state, *decision.admin, ingress);
  } else if (tier == DecidingTier::kBaseline) {
    WriteClusterRule(writer, "clusterPolicy", state, *decision.baseline, ingress);
  }
  if (decision.admin && tier != DecidingTier::kAdmin) {
    WriteClusterRule(writer, "passedBy", state, *decision.admin, ingress);
  }
  if (decision.baseline && tier == DecidingTier::kNone) {
    WriteClusterRule(writer, "baselinePassedBy", state, *decision.baseline, ingress);
  }
  std::vector<std::string> isolating;
  for (std::size_t index : decision.isolating) {
    isolating.push_back(state.policies[index].namespace_name + '/' + state.policies[index].name);
  }
  WriteStrings(writer, "isolatedBy", isolating);
  WriteJsonString(writer, "allowedBy");
  writer.StartArray();
  for (const RuleMatch& match : decision.allowing) {
    writer.StartObject();
    const PolicyInfo& policy = state.policies[match.policy];
    WriteMember(writer, "policy", policy.namespace_name + '/' + policy.name);
    WriteMember(writer, "path", match.path);
    writer.EndObject();
  }
  writer.EndArray();
  std::vector<std::string> conflicts;
  for (const PriorityConflict& conflict : decision.conflicts) {
    conflicts.push_back(DescribePriorityConflict(state, conflict));
  }
  WriteStrings(writer, "warnings", conflicts);
  writer.EndObject();
}

std::string PortList(const std::vector<PortProtocol>& ports) {
  std::string out;
  for (const PortProtocol& port : ports) {
    if (!out.empty()) {
      out += ", ";
    }
    out += port.ToString();
  }
  return out;
}

// "prod/web-1 -> prod/db-0 5432/TCP, seen 4 times, last 2024-05-01T10:00:08Z", and the pods the
// log named that the input lacks.
std::string DescribeObserved(const ReplayedConnection& connection) {
  std::string out = connection.from + " -> " + connection.to + ' ' + connection.port.ToString() +
                    ", seen " + std::to_string(connection.observations) +
                    (connection.observations == 1 ? " time" : " times");
  if (!connection.last_seen.empty()) {
    out += ", last " + connection.last_seen;
  }
  for (const auto& [name, end] : {std::pair{&connection.from_unknown_pod, "source"},
                                  std::pair{&connection.to_unknown_pod, "destination"}}) {
    if (!name->empty()) {
      out += std::string("; the ") + end + " was " + *name + ", not in the input";
    }
  }
  return out;
}

// Explain's lines under its first (which repeats the connection), indented under the entry.
std::string IndentedReason(const std::string& reason) {
  std::string out;
  std::size_t start = reason.find('\n');
  while (start != std::string::npos && start + 1 < reason.size()) {
    const std::size_t end = reason.find('\n', start + 1);
    out += "  " + reason.substr(start + 1, end - start);
    start = end;
  }
  return out;
}

void WriteObserved(JsonWriter& writer, const ReplayedConnection& connection) {
  writer.StartObject();
  WriteMember(writer, "from", connection.from);
  WriteMember(writer, "to", connection.to);
  WritePort(writer, connection.port);
  WriteJsonString(writer, "observations");
  writer.Uint64(connection.observations);
  WriteMember(writer, "lastSeen", connection.last_seen);
  WriteJsonString(writer, "allowed");
  writer.Bool(connection.allowed);
  if (!connection.from_unknown_pod.empty()) {
    WriteMember(writer, "fromUnknownPod", connection.from_unknown_pod);
  }
  if (!connection.to_unknown_pod.empty()) {
    WriteMember(writer, "toUnknownPod", connection.to_unknown_pod);
  }
  if (!connection.reason.empty()) {
    WriteMember(writer, "reason", connection.reason);
  }
  writer.EndObject();
}

// A digraph's opening and its nodes: one box per pod, grouped by namespace, and one ellipse per
// address.
std::string DotHead(const std::set<std::string>& nodes) {
  std::map<std::string, std::vector<std::string>> by_namespace;
  for (const std::string& node : nodes) {
    by_namespace[NamespaceOf(node)].push_back(node);
  }
  std::string out = "digraph reach {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  for (const auto& [ns, members] : by_namespace) {
    std::string indent = "  ";
    if (!ns.empty()) {
      out += "  subgraph " + Quote("cluster_" + ns) + " {\n    label=" + Quote(ns) + ";\n";
      indent = "    ";
    }
    for (const std::string& node : members) {
      const std::string label = ns.empty() ? node : node.substr(ns.size() + 1);
      out += indent + Quote(node) + " [label=" + Quote(label) +
             (ns.empty() ? ", shape=ellipse" : "") + "];\n";
    }
    if (!ns.empty()) {
      out += "  }\n";
    }
  }
  return out;
}

}  // namespace

std::string RenderReachText(const ReachTable& table) {
  // The first column as wide as the longest source, every other as wide as its destination.
  std::size_t first = 1;
  for (const std::string& name : table.sources) {
    first = std::max(first, name.size());
  }
  auto pad = [](std::string_view text, std::size_t width) {
    return std::string(text) + std::string(width + 1 - std::min(width, text.size()), ' ');
  };
  std::string out;
  for (std::size_t p = 0; p < table.ports.size(); ++p) {
    if (p > 0) {
      out += '\n';
    }
    out += table.ports[p].ToString() + " (rows: from, columns: to; . allowed, X blocked)\n";
    std::string header = pad("-", first);
    for (const std::string& destination : table.destinations) {
      header += pad(destination, destination.size());
    }
    out += WithoutTrailingSpaces(header) + '\n';
    for (std::size_t s = 0; s < table.sources.size(); ++s) {
      std::string line = pad(table.sources[s], first);
      for (std::size_t d = 0; d < table.destinations.size(); ++d) {
        line += pad(table.Allowed(p, s, d) ? "." : "X", table.destinations[d].size());
      }
      out += WithoutTrailingSpaces(line) + '\n';
    }
  }
  return out;
}

std::string RenderReachJson(const ReachTable& table) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WritePortList(writer, table.ports);
  WriteJsonString(writer, "connections");
  writer.StartArray();
  for (std::size_t p = 0; p < table.ports.size(); ++p) {
    for (std::size_t s = 0; s < table.sources.size(); ++s) {
      for (std::size_t d = 0; d < table.destinations.size(); ++d) {
        writer.StartObject();
        WriteJsonString(writer, "from");
        WriteJsonString(writer, table.sources[s]);
        WriteJsonString(writer, "to");
        WriteJsonString(writer, table.destinations[d]);
        WritePort(writer, table.ports[p]);
        WriteJsonString(writer, "allowed");
        writer.Bool(table.Allowed(p, s, d));
        writer.EndObject();
      }
    }
  }
  writer.EndArray();
  WriteJsonString(writer, "summary");
  writer.StartArray();
  for (std::size_t p = 0; p < table.ports.size(); ++p) {
    const auto allowed = std::count(table.allowed[p].begin(), table.allowed[p].end(), 1);
    writer.StartObject();
    WritePort(writer, table.ports[p]);
    WriteJsonString(writer, "allowed");
    writer.Int64(allowed);
    WriteJsonString(writer, "blocked");
    writer.Int64(static_cast<int64_t>(table.allowed[p].size()) - allowed);
    writer.EndObject();
  }
  writer.EndArray();
  WriteStrings(writer, "warnings", table.warnings);
  writer.EndObject();
  return output.Text();
}

std::string RenderReachDot(const ReachTable& table) {
  std::set<std::string> nodes(table.sources.begin(), table.sources.end());
  nodes.insert(table.destinations.begin(), table.destinations.end());
  std::string out = DotHead(nodes);
  for (std::size_t s = 0; s < table.sources.size(); ++s) {
    for (std::size_t d = 0; d < table.destinations.size(); ++d) {
      if (table.sources[s] == table.destinations[d]) {
        continue;
      }
      std::vector<PortProtocol> ports;
      for (std::size_t p = 0; p < table.ports.size(); ++p) {
        if (table.Allowed(p, s, d)) {
          ports.push_back(table.ports[p]);
        }
      }
      if (!ports.empty()) {
        out += "  " + Quote(table.sources[s]) + " -> " + Quote(table.destinations[d]) +
               " [label=" + Quote(PortList(ports)) + "];\n";
      }
    }
  }
  return out + "}\n";
}

std::string RenderDiffText(const ReachDiff& diff) {
  std::string out;
  int gained = 0;
  for (const ReachChange& change : diff.changes) {
    out += std::string(change.gained ? "+ " : "- ") + change.from + " -> " + change.to + ' ' +
           change.port.ToString() + '\n';
    gained += change.gained ? 1 : 0;
  }
  const int lost = static_cast<int>(diff.changes.size()) - gained;
  std::array<int, 3> counts{};
  for (const ClusterPolicyChange& change : diff.cluster_policies) {
    out += std::string("cluster policy ") + ChangeName(change.how) + ": " + change.policy + '\n';
    ++counts[static_cast<std::size_t>(change.how)];
  }
  out += std::to_string(gained) + " connection" + (gained == 1 ? "" : "s") + " gained, " +
         std::to_string(lost) + " lost on " + PortList(diff.ports);
  if (diff.any_cluster_policies) {
    out += "; cluster policies: " + std::to_string(counts[0]) + " added, " +
           std::to_string(counts[1]) + " removed, " + std::to_string(counts[2]) + " changed";
  }
  return out + '\n';
}

std::string RenderDiffJson(const ReachDiff& diff) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WritePortList(writer, diff.ports);
  for (const bool gained : {true, false}) {
    WriteJsonString(writer, gained ? "gained" : "lost");
    writer.StartArray();
    for (const ReachChange& change : diff.changes) {
      if (change.gained != gained) {
        continue;
      }
      writer.StartObject();
      WriteJsonString(writer, "from");
      WriteJsonString(writer, change.from);
      WriteJsonString(writer, "to");
      WriteJsonString(writer, change.to);
      WritePort(writer, change.port);
      writer.EndObject();
    }
    writer.EndArray();
  }
  WriteJsonString(writer, "clusterPolicies");
  writer.StartObject();
  for (const auto how : {ClusterPolicyChange::How::kAdded, ClusterPolicyChange::How::kRemoved,
                         ClusterPolicyChange::How::kChanged}) {
    std::vector<std::string> names;
    for (const ClusterPolicyChange& change : diff.cluster_policies) {
      if (change.how == how) {
        names.push_back(change.policy);
      }
    }
    WriteStrings(writer, ChangeName(how), names);
  }
  writer.EndObject();
  WriteStrings(writer, "warnings", diff.warnings);
  writer.EndObject();
  return output.Text();
}

std::string RenderExposureText(const Exposure& exposure) {
  std::string out;
  auto pods_section = [&](const char* title, const std::vector<ExposedPod>& pods) {
    out += std::string(title) + ": " + std::to_string(pods.size()) + '\n';
    for (const ExposedPod& pod : pods) {
      out += "  " + pod.pod + " on " + PortList(pod.ports) + '\n';
    }
  };
  auto names_section = [&](const char* title, const std::vector<std::string>& names) {
    out += std::string(title) + ": " + std::to_string(names.size()) + '\n';
    for (const std::string& name : names) {
      out += "  " + name + '\n';
    }
  };
  pods_section("Reachable from outside the cluster", exposure.from_outside);
  pods_section("Reachable from every namespace", exposure.from_every_namespace);
  names_section("Not isolated for ingress (some connections allowed only by default)",
                exposure.ingress_not_isolated);
  names_section("Not isolated for egress (some connections allowed only by default)",
                exposure.egress_not_isolated);
  return out;
}

std::string RenderExposureJson(const Exposure& exposure) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WritePortList(writer, exposure.ports);
  for (const auto& [key, pods] :
       {std::pair{"fromOutside", &exposure.from_outside},
        std::pair{"fromEveryNamespace", &exposure.from_every_namespace}}) {
    WriteJsonString(writer, key);
    writer.StartArray();
    for (const ExposedPod& pod : *pods) {
      writer.StartObject();
      WriteJsonString(writer, "pod");
      WriteJsonString(writer, pod.pod);
      WritePortList(writer, pod.ports);
      writer.EndObject();
    }
    writer.EndArray();
  }
  for (const auto& [key, names] : {std::pair{"ingressNotIsolated", &exposure.ingress_not_isolated},
                                   std::pair{"egressNotIsolated", &exposure.egress_not_isolated}}) {
    WriteStrings(writer, key, *names);
  }
  WriteStrings(writer, "warnings", exposure.warnings);
  writer.EndObject();
  return output.Text();
}

std::string RenderExplainJson(const Connectivity& engine, const Endpoint& from, const Endpoint& to,
                              const std::vector<PortProtocol>& ports) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WriteMember(writer, "from", engine.Describe(from));
  WriteMember(writer, "to", engine.Describe(to));
  WriteJsonString(writer, "connections");
  writer.StartArray();
  for (const PortProtocol& port : ports) {
    const Decision decision = engine.Decide(from, to, port);
    writer.StartObject();
    WritePort(writer, port);
    WriteJsonString(writer, "allowed");
    writer.Bool(decision.Allowed());
    WriteDirection(writer, "egress", engine, decision.egress, false);
    WriteDirection(writer, "ingress", engine, decision.ingress, true);
    WriteMember(writer, "explanation", engine.Explain(from, to, port));
    writer.EndObject();
  }
  writer.EndArray();
  WriteMember(writer, "clusterPolicies", engine.ExplainClusterPolicies(from, to));
  WriteStrings(writer, "warnings", PriorityWarnings(engine));
  writer.EndObject();
  return output.Text();
}

std::string RenderFlowsText(const ReplaySummary& summary, const std::string& source) {
  const auto plural = [](uint64_t count, const char* one, const char* many) {
    return std::to_string(count) + ' ' + (count == 1 ? one : many);
  };
  std::string out = plural(summary.lines, "line", "lines") + " read, " +
                    plural(summary.observations, "connection", "connections") + " observed, " +
                    std::to_string(summary.connections.size()) +
                    " distinct: " + std::to_string(summary.Count(false, true)) + " allowed, " +
                    std::to_string(summary.Count(false, false)) + " denied, " +
                    std::to_string(summary.Count(true, true) + summary.Count(true, false)) +
                    " dropped by the network; " + std::to_string(summary.skipped()) + " skipped (" +
                    plural(summary.replies, "reply", "replies") + ", " +
                    std::to_string(summary.without_port) + " without a port, " +
                    plural(summary.not_flows, "other event", "other events") + "), " +
                    std::to_string(summary.malformed) + " malformed\n";
  std::vector<const ReplayedConnection*> denied;
  std::vector<const ReplayedConnection*> dropped;
  for (const ReplayedConnection& connection : summary.connections) {
    if (connection.dropped) {
      dropped.push_back(&connection);
    } else if (!connection.allowed) {
      denied.push_back(&connection);
    }
  }
  if (summary.comparing) {
    denied = summary.NewlyDenied();
    out += std::to_string(denied.size()) + " observed " +
           (denied.size() == 1 ? "connection the change would start denying"
                               : "connections the change would start denying") +
           '\n';
  }
  if (!denied.empty()) {
    out += summary.comparing ? "\nNewly denied (allowed before):\n" : "\nDenied:\n";
    for (const ReplayedConnection* connection : denied) {
      out += "- " + DescribeObserved(*connection) + '\n' + IndentedReason(connection->reason);
    }
  }
  if (!dropped.empty() && !summary.comparing) {
    out += "\nAlready dropped by the network:\n";
    for (const ReplayedConnection* connection : dropped) {
      out += "- " + DescribeObserved(*connection) + "; the policies given " +
             (connection->allowed ? "allow it" : "deny it too") + '\n';
    }
  }
  if (summary.malformed > 0) {
    out += "\nMalformed lines";
    if (summary.malformed > summary.first_errors.size()) {
      out += " (the first " + std::to_string(summary.first_errors.size()) + " of " +
             std::to_string(summary.malformed) + ')';
    }
    out += ":\n";
    for (Error error : summary.first_errors) {
      error.file = source;
      out += "  " + error.ToString() + '\n';
    }
  }
  return out;
}

std::string RenderFlowsJson(const ReplaySummary& summary,
                            const std::vector<std::string>& warnings) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WriteJsonString(writer, "summary");
  writer.StartObject();
  for (const auto& [key, count] : {
           std::pair{"lines", summary.lines},
           std::pair{"observations", summary.observations},
           std::pair{"distinct", static_cast<uint64_t>(summary.connections.size())},
           std::pair{"allowed", static_cast<uint64_t>(summary.Count(false, true))},
           std::pair{"denied", static_cast<uint64_t>(summary.Count(false, false))},
           std::pair{"dropped",
                     static_cast<uint64_t>(summary.Count(true, true) + summary.Count(true, false))},
           std::pair{"skipped", summary.skipped()},
           std::pair{"replies", summary.replies},
           std::pair{"withoutPort", summary.without_port},
           std::pair{"otherEvents", summary.not_flows},
           std::pair{"malformed", summary.malformed},
       }) {
    WriteJsonString(writer, key);
    writer.Uint64(count);
  }
  writer.EndObject();
  const auto list = [&](const char* key, auto keep) {
    WriteJsonString(writer, key);
    writer.StartArray();
    for (const ReplayedConnection& connection : summary.connections) {
      if (keep(connection)) {
        WriteObserved(writer, connection);
      }
    }
    writer.EndArray();
  };
  list("denied", [](const ReplayedConnection& c) { return !c.dropped && !c.allowed; });
  list("allowed", [](const ReplayedConnection& c) { return !c.dropped && c.allowed; });
  list("dropped", [](const ReplayedConnection& c) { return c.dropped; });
  if (summary.comparing) {
    list("newlyDenied",
         [](const ReplayedConnection& c) { return !c.dropped && c.allowed_before && !c.allowed; });
  }
  WriteJsonString(writer, "malformed");
  writer.StartArray();
  for (const Error& error : summary.first_errors) {
    writer.StartObject();
    WriteMember(writer, "line", error.line);
    WriteMember(writer, "column", error.column);
    WriteMember(writer, "path", error.path);
    WriteMember(writer, "message", error.message);
    writer.EndObject();
  }
  writer.EndArray();
  WriteStrings(writer, "warnings", warnings);
  writer.EndObject();
  return output.Text();
}

std::string RenderFlowsDot(const ReplaySummary& summary, const ReachTable& allowed) {
  std::set<std::string> nodes(allowed.sources.begin(), allowed.sources.end());
  std::set<std::tuple<std::string, std::string, PortProtocol>> observed;
  for (const ReplayedConnection& connection : summary.connections) {
    nodes.insert(connection.from);
    nodes.insert(connection.to);
    observed.emplace(connection.from, connection.to, connection.port);
  }
  std::string out = DotHead(nodes);
  // What the policies allow and nobody was seen using: thin and grey, under the observed.
  for (std::size_t s = 0; s < allowed.sources.size(); ++s) {
    for (std::size_t d = 0; d < allowed.destinations.size(); ++d) {
      std::vector<PortProtocol> ports;
      for (std::size_t p = 0; p < allowed.ports.size(); ++p) {
        if (allowed.sources[s] != allowed.destinations[d] && allowed.Allowed(p, s, d) &&
            !observed.contains({allowed.sources[s], allowed.destinations[d], allowed.ports[p]})) {
          ports.push_back(allowed.ports[p]);
        }
      }
      if (!ports.empty()) {
        out += "  " + Quote(allowed.sources[s]) + " -> " + Quote(allowed.destinations[d]) +
               " [label=" + Quote(PortList(ports)) + ", color=gray, fontcolor=gray];\n";
      }
    }
  }
  for (const ReplayedConnection& connection : summary.connections) {
    std::string style = ", penwidth=2";
    if (connection.dropped) {
      style = ", style=dotted";
    } else if (!connection.allowed) {
      style = ", color=red, fontcolor=red, penwidth=2";
    }
    out += "  " + Quote(connection.from) + " -> " + Quote(connection.to) + " [label=" +
           Quote(connection.port.ToString() + " x" + std::to_string(connection.observations)) +
           style + "];\n";
  }
  return out + "}\n";
}

}  // namespace netadmit::cli
