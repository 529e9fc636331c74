// `netadmit reach`: manifests in, the connectivity engine's answers out — who reaches whom,
// differences between two sets of manifests, and exposed pods. cli/reach_report.cpp renders them.

#include "netadmit/connectivity/reach.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/model/cidr.h"

namespace netadmit {

namespace {

Error ReachError(std::string message) {
  Error error;
  error.message = std::move(message);
  return error;
}

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return "";
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

bool IsAddress(std::string_view text) {
  std::array<uint8_t, 16> bytes{};
  const std::string copy(text);
  return inet_pton(AF_INET, copy.c_str(), bytes.data()) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1;
}

// status.podIPs[].ip, or status.podIP; values of the wrong type are ignored.
std::vector<std::string> PodAddresses(const rapidjson::Value& object) {
  std::vector<std::string> out;
  auto status = object.FindMember("status");
  if (status == object.MemberEnd() || !status->value.IsObject()) {
    return out;
  }
  const rapidjson::Value& value = status->value;
  auto ips = value.FindMember("podIPs");
  if (ips != value.MemberEnd() && ips->value.IsArray()) {
    for (const rapidjson::Value& entry : ips->value.GetArray()) {
      if (!entry.IsObject()) {
        continue;
      }
      auto ip = entry.FindMember("ip");
      if (ip != entry.MemberEnd() && ip->value.IsString()) {
        out.emplace_back(ip->value.GetString(), ip->value.GetStringLength());
      }
    }
  }
  auto ip = value.FindMember("podIP");
  if (out.empty() && ip != value.MemberEnd() && ip->value.IsString() &&
      ip->value.GetStringLength() > 0) {
    out.emplace_back(ip->value.GetString(), ip->value.GetStringLength());
  }
  return out;
}

// Parses a kubectl-style equality selector: "app=web,tier!=db,canary,!legacy".
Result<LabelSelector> ParseSelector(std::string_view text) {
  LabelSelector selector;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string term = Trim(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    auto invalid = [&] {
      return ReachError("invalid selector \"" + std::string(text) + "\" at \"" + term +
                        "\": write KEY=VALUE, KEY!=VALUE, KEY or !KEY, separated by commas");
    };
    if (term.empty()) {
      return invalid();
    }
    if (term[0] == '!') {
      const std::string key = Trim(std::string_view(term).substr(1));
      if (key.empty() || key.find_first_of("=!") != std::string::npos) {
        return invalid();
      }
      selector.match_expressions.push_back({key, SelectorOperator::kDoesNotExist, {}});
      continue;
    }
    const auto bang = term.find("!=");
    if (bang != std::string::npos) {
      const std::string key = Trim(std::string_view(term).substr(0, bang));
      const std::string value = Trim(std::string_view(term).substr(bang + 2));
      if (key.empty() || value.find_first_of("=!") != std::string::npos) {
        return invalid();
      }
      selector.match_expressions.push_back({key, SelectorOperator::kNotIn, {value}});
      continue;
    }
    const auto equals = term.find('=');
    if (equals == std::string::npos) {
      selector.match_expressions.push_back({term, SelectorOperator::kExists, {}});
      continue;
    }
    const std::size_t value_start = term.compare(equals, 2, "==") == 0 ? equals + 2 : equals + 1;
    const std::string key = Trim(std::string_view(term).substr(0, equals));
    const std::string value = Trim(std::string_view(term).substr(value_start));
    if (key.empty() || value.find_first_of("=!") != std::string::npos) {
      return invalid();
    }
    selector.match_labels[key] = value;
  }
  return selector;
}

// SelectEndpoints without the check that something was selected.
Result<std::vector<Endpoint>> Select(const Connectivity& engine, std::string_view text) {
  std::vector<Endpoint> out;
  const std::vector<PodInfo>& pods = engine.state().pods;
  if (text.empty()) {
    for (std::size_t i = 0; i < pods.size(); ++i) {
      out.push_back(Endpoint::Pod(i));
    }
    return out;
  }
  if (IsAddress(text)) {
    out.push_back(Endpoint::External(std::string(text)));
    return out;
  }
  std::optional<std::string> namespace_name;
  std::string_view rest = text;
  const auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    namespace_name = std::string(text.substr(0, slash));
    rest = text.substr(slash + 1);
    if (namespace_name->empty()) {
      return ReachError("invalid endpoint \"" + std::string(text) + "\": the namespace is empty");
    }
    if (!rest.empty() && rest != "*" && rest.find_first_of("=!,") == std::string_view::npos) {
      if (auto pod = engine.FindPod(*namespace_name, rest)) {
        out.push_back(Endpoint::Pod(*pod));
      }
      return out;
    }
  }
  LabelSelector selector;
  if (!rest.empty() && rest != "*") {
    auto parsed = ParseSelector(rest);
    if (!parsed) {
      return parsed.error();
    }
    selector = std::move(*parsed);
  }
  for (std::size_t i = 0; i < pods.size(); ++i) {
    if ((!namespace_name || pods[i].namespace_name == *namespace_name) &&
        selector.Matches(pods[i].labels)) {
      out.push_back(Endpoint::Pod(i));
    }
  }
  return out;
}

// The first address after `block`; nullopt past the end of the address space.
std::optional<std::string> NextBlock(const Cidr& block) {
  const std::string text = block.ToString();
  const std::string address = text.substr(0, text.find('/'));
  std::array<uint8_t, 16> bytes{};
  const int family = block.is_v6() ? AF_INET6 : AF_INET;
  if (inet_pton(family, address.c_str(), bytes.data()) != 1 || block.IsEverything()) {
    return std::nullopt;
  }
  // Add 1 at the last bit of the prefix, carrying towards the first byte.
  const int bit = block.prefix_length() - 1;
  int carry = 1 << (7 - bit % 8);
  for (int i = bit / 8; i >= 0 && carry != 0; --i) {
    const int sum = bytes[i] + carry;
    bytes[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
  }
  if (carry != 0) {
    return std::nullopt;
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes.data(), buffer, sizeof(buffer)) == nullptr) {
    return std::nullopt;
  }
  return std::string(buffer);
}

// The first address of a CIDR ("10.0.0.0" for 10.0.0.0/8); nothing for one that does not parse.
void AddFirstAddress(std::string_view cidr, std::set<std::string>& out) {
  auto block = Cidr::Parse(cidr);
  if (block) {
    const std::string text = block->ToString();
    out.insert(text.substr(0, text.find('/')));
  }
}

std::vector<std::string> OutsideCandidates(const Connectivity& engine) {
  std::set<std::string> out = {"192.0.2.1", "2001:db8::1"};
  for (const ClusterPolicyInfo& policy : engine.state().cluster_policies) {
    for (const ClusterPolicyRule& rule : policy.spec.ingress) {
      for (const ClusterPolicyPeer& peer : rule.peers) {
        for (const std::string& cidr : peer.networks) {
          AddFirstAddress(cidr, out);
        }
      }
    }
  }
  for (const PolicyInfo& policy : engine.state().policies) {
    for (const NetworkPolicyRule& rule : policy.spec.ingress) {
      for (const NetworkPolicyPeer& peer : rule.peers) {
        if (!peer.ip_block) {
          continue;
        }
        AddFirstAddress(peer.ip_block->cidr, out);
        for (const std::string& except : peer.ip_block->except) {
          auto block = Cidr::Parse(except);
          if (!block) {
            continue;
          }
          if (auto next = NextBlock(*block)) {
            out.insert(*next);
          }
        }
      }
    }
  }
  return {out.begin(), out.end()};
}

void WriteSelector(std::string& out, const LabelSelector& selector) {
  out += '{' + FormatSelector(selector) + '}';
}

// Everything a cluster policy says, as text: two policies with equal fingerprints are the same.
std::string Fingerprint(const ClusterPolicySpec& spec) {
  std::string out = std::to_string(static_cast<int>(spec.tier)) + ' ' +
                    std::to_string(spec.priority) + " subject ";
  if (spec.subject.namespaces) {
    WriteSelector(out, *spec.subject.namespaces);
  }
  if (spec.subject.pods) {
    WriteSelector(out, spec.subject.pods->namespace_selector);
    WriteSelector(out, spec.subject.pods->pod_selector);
  }
  for (const auto* rules : {&spec.ingress, &spec.egress}) {
    out += "\n--";
    for (const ClusterPolicyRule& rule : *rules) {
      out += "\n" + rule.name + ' ' + std::to_string(static_cast<int>(rule.action));
      for (const ClusterPolicyPeer& peer : rule.peers) {
        out += " peer " + std::to_string(static_cast<int>(peer.kind));
        WriteSelector(out, peer.namespace_selector);
        WriteSelector(out, peer.pod_selector);
        WriteSelector(out, peer.node_selector);
        for (const auto* list : {&peer.networks, &peer.domain_names}) {
          for (const std::string& item : *list) {
            out += ' ' + item;
          }
          out += ';';
        }
      }
      if (rule.ports) {
        out += " ports";
        for (const ClusterPolicyPort& port : *rule.ports) {
          out += ' ' + (port.named_port
                            ? *port.named_port
                            : std::to_string(port.first) + '-' + std::to_string(port.last) + '/' +
                                  ProtocolName(port.protocol));
        }
      }
    }
  }
  return out;
}

// The cluster policies either side has that the other lacks or holds otherwise, by kind and name.
std::vector<ClusterPolicyChange> ClusterPolicyChanges(const ClusterState& before,
                                                      const ClusterState& after) {
  std::map<std::string, std::array<std::optional<std::string>, 2>> policies;
  for (std::size_t side = 0; side < 2; ++side) {
    for (const ClusterPolicyInfo& policy : (side == 0 ? before : after).cluster_policies) {
      policies[std::string(ClusterPolicyKindName(policy.spec.kind)) + ' ' + policy.name][side] =
          Fingerprint(policy.spec);
    }
  }
  std::vector<ClusterPolicyChange> changes;
  for (const auto& [name, sides] : policies) {
    if (sides[0] == sides[1]) {
      continue;
    }
    const auto how = !sides[0]   ? ClusterPolicyChange::How::kAdded
                     : !sides[1] ? ClusterPolicyChange::How::kRemoved
                                 : ClusterPolicyChange::How::kChanged;
    changes.push_back(ClusterPolicyChange{name, how});
  }
  return changes;
}

}  // namespace

std::vector<std::string> PriorityWarnings(const Connectivity& engine) {
  std::vector<std::string> warnings;
  for (const PriorityConflict& conflict : engine.PriorityConflicts()) {
    warnings.push_back(DescribePriorityConflict(engine.state(), conflict));
  }
  return warnings;
}

Result<ReachInput> BuildReachInput(const std::vector<ManifestObject>& manifests,
                                   std::string_view default_namespace) {
  ReachInput input;
  struct Candidate {
    PodInfo pod;
    std::vector<PortProtocol> ports;
  };
  std::vector<Candidate> pods;
  std::vector<Candidate> workloads;
  {
    for (const ManifestObject& manifest : manifests) {
      auto object = DecodeObject(*manifest.object, default_namespace);
      if (!object) {
        Error error = object.error();
        error.file = manifest.file;
        if (error.line == 0) {
          error.line = manifest.line;
        }
        return error;
      }
      if (object->api_version == "v1" && object->kind == "Namespace") {
        input.state.namespaces.push_back(
            NamespaceInfo{object->metadata.name, object->metadata.labels});
        continue;
      }
      if (const NetworkPolicySpec* spec = object->network_policy()) {
        input.state.policies.push_back(
            PolicyInfo{object->metadata.namespace_name, object->metadata.name, *spec});
        continue;
      }
      if (const ClusterPolicySpec* spec = object->cluster_policy()) {
        input.state.cluster_policies.push_back(ClusterPolicyInfo{object->metadata.name, *spec});
        continue;
      }
      const PodTemplate* pod_template = object->pod_template();
      if (pod_template == nullptr || pod_template->host_network) {
        continue;
      }
      Candidate candidate;
      candidate.pod.namespace_name = object->metadata.namespace_name;
      candidate.pod.name = object->metadata.name;
      candidate.pod.labels = pod_template->labels;
      for (const Container& container : pod_template->containers) {
        for (const ContainerPort& port : container.ports) {
          if (port.container_port <= 0) {
            continue;
          }
          if (!port.name.empty()) {
            candidate.pod.ports.push_back({port.name, port.container_port, port.protocol});
          }
          candidate.ports.push_back(PortProtocol{port.container_port, port.protocol});
        }
      }
      if (object->kind == "Pod") {
        candidate.pod.ips = PodAddresses(*manifest.object);
        pods.push_back(std::move(candidate));
      } else {
        workloads.push_back(std::move(candidate));
      }
    }
  }
  for (Candidate& candidate : pods.empty() ? workloads : pods) {
    input.state.pods.push_back(std::move(candidate.pod));
    input.container_ports.push_back(std::move(candidate.ports));
  }
  return input;
}

Result<std::vector<Endpoint>> SelectEndpoints(const Connectivity& engine, std::string_view text) {
  auto selected = Select(engine, text);
  if (selected && selected->empty()) {
    return ReachError("\"" + std::string(text) + "\" selects no pod");
  }
  return selected;
}

std::vector<PortProtocol> DeclaredPorts(const ReachInput& input,
                                        const std::vector<Endpoint>& pods) {
  std::set<PortProtocol> ports;
  for (const Endpoint& endpoint : pods) {
    if (endpoint.pod && *endpoint.pod < input.container_ports.size()) {
      ports.insert(input.container_ports[*endpoint.pod].begin(),
                   input.container_ports[*endpoint.pod].end());
    }
  }
  return {ports.begin(), ports.end()};
}

ReachTable ComputeReachTable(const Connectivity& engine, const std::vector<Endpoint>& sources,
                             const std::vector<Endpoint>& destinations,
                             const std::vector<PortProtocol>& ports) {
  ReachTable table;
  table.ports = ports;
  table.warnings = PriorityWarnings(engine);
  for (const Endpoint& endpoint : sources) {
    table.sources.push_back(engine.Describe(endpoint));
  }
  for (const Endpoint& endpoint : destinations) {
    table.destinations.push_back(engine.Describe(endpoint));
  }
  const ReachMatrix matrix = engine.ComputeMatrix(ports);
  for (std::size_t p = 0; p < ports.size(); ++p) {
    std::vector<uint8_t> allowed(sources.size() * destinations.size(), 0);
    for (std::size_t s = 0; s < sources.size(); ++s) {
      for (std::size_t d = 0; d < destinations.size(); ++d) {
        const Endpoint& from = sources[s];
        const Endpoint& to = destinations[d];
        const bool yes = from.pod && to.pod ? matrix.Allowed(p, *from.pod, *to.pod)
                                            : engine.Decide(from, to, ports[p]).Allowed();
        allowed[s * destinations.size() + d] = yes ? 1 : 0;
      }
    }
    table.allowed.push_back(std::move(allowed));
  }
  return table;
}

Result<ReachDiff> DiffReach(const ReachInput& old_input, const ReachInput& new_input,
                            const DiffOptions& options) {
  struct Side {
    ReachInput input;
    std::optional<Connectivity> engine;
    std::vector<Endpoint> from;
    std::vector<Endpoint> to;
  };
  std::array<Side, 2> sides;
  const std::array<const ReachInput*, 2> inputs = {&old_input, &new_input};
  const std::array<const std::string*, 2> names = {&options.old_name, &options.new_name};
  for (std::size_t i = 0; i < 2; ++i) {
    sides[i].input = *inputs[i];
    auto engine = Connectivity::Build(sides[i].input.state);
    if (!engine) {
      Error error = engine.error();
      if (error.file.empty()) {
        error.file = *names[i];
      }
      return error;
    }
    sides[i].engine.emplace(std::move(*engine));
    for (auto [text, target] :
         {std::pair{&options.from, &sides[i].from}, std::pair{&options.to, &sides[i].to}}) {
      auto selected = Select(*sides[i].engine, *text);
      if (!selected) {
        return selected.error();
      }
      for (const Endpoint& endpoint : *selected) {
        if (!endpoint.pod) {
          return ReachError("--diff compares pods: \"" + *text + "\" is an address");
        }
      }
      *target = std::move(*selected);
    }
  }
  ReachDiff diff;
  diff.ports = options.ports;
  if (diff.ports.empty()) {
    std::set<PortProtocol> ports;
    for (const Side& side : sides) {
      for (const PortProtocol& port : DeclaredPorts(side.input, side.to)) {
        ports.insert(port);
      }
    }
    diff.ports.assign(ports.begin(), ports.end());
  }
  if (diff.ports.empty()) {
    return ReachError(
        "no container ports declared by the destination pods: name the ports "
        "with --port, e.g. --port 80/TCP");
  }
  // Pods by name on each side, and the names of either side; pairs are looked up in each
  // side's class matrix, so that memory stays at the matrices however many pairs change.
  std::map<std::string, std::array<std::optional<std::size_t>, 2>> from_names;
  std::map<std::string, std::array<std::optional<std::size_t>, 2>> to_names;
  std::array<std::optional<ReachMatrix>, 2> matrices;
  for (std::size_t i = 0; i < 2; ++i) {
    for (const Endpoint& endpoint : sides[i].from) {
      from_names[sides[i].engine->Describe(endpoint)][i] = endpoint.pod;
    }
    for (const Endpoint& endpoint : sides[i].to) {
      to_names[sides[i].engine->Describe(endpoint)][i] = endpoint.pod;
    }
    matrices[i].emplace(sides[i].engine->ComputeMatrix(diff.ports));
  }
  auto allowed = [&](std::size_t side, std::size_t port,
                     const std::array<std::optional<std::size_t>, 2>& from,
                     const std::array<std::optional<std::size_t>, 2>& to) {
    return from[side] && to[side] && matrices[side]->Allowed(port, *from[side], *to[side]);
  };
  std::vector<ReachChange> gained;
  for (std::size_t p = 0; p < diff.ports.size(); ++p) {
    for (const auto& [from_name, from] : from_names) {
      for (const auto& [to_name, to] : to_names) {
        const bool before = allowed(0, p, from, to);
        const bool after = allowed(1, p, from, to);
        if (before != after) {
          (after ? gained : diff.changes)
              .push_back(ReachChange{from_name, to_name, diff.ports[p], after});
        }
      }
    }
  }
  diff.changes.insert(diff.changes.end(), gained.begin(), gained.end());
  diff.cluster_policies = ClusterPolicyChanges(old_input.state, new_input.state);
  diff.any_cluster_policies =
      !old_input.state.cluster_policies.empty() || !new_input.state.cluster_policies.empty();
  diff.warnings = PriorityWarnings(*sides[1].engine);
  return diff;
}

Exposure ComputeExposure(const Connectivity& engine, const std::vector<Endpoint>& pods,
                         const std::vector<PortProtocol>& ports) {
  Exposure exposure;
  exposure.ports = ports;
  exposure.warnings = PriorityWarnings(engine);
  const std::vector<PodInfo>& all = engine.state().pods;
  const std::vector<std::string> outside = OutsideCandidates(engine);
  // A representative pod per class with its namespace's number, and how many namespaces have
  // pods (numbers, not names: the count below runs classes² times).
  std::map<std::size_t, std::size_t> representative;
  std::map<std::string_view, std::size_t> namespace_numbers;
  for (std::size_t i = 0; i < all.size(); ++i) {
    representative.try_emplace(engine.ClassOf(i), i);
    namespace_numbers.try_emplace(all[i].namespace_name, namespace_numbers.size());
  }
  std::vector<std::pair<std::size_t, std::size_t>> sources;  // (pod, namespace number)
  for (const auto& [cls, pod] : representative) {
    sources.emplace_back(pod, namespace_numbers.at(all[pod].namespace_name));
  }
  const std::size_t namespace_count = namespace_numbers.size();
  const ReachMatrix matrix = engine.ComputeMatrix(ports);
  struct ClassExposure {
    std::vector<PortProtocol> outside;
    std::vector<PortProtocol> every_namespace;
    bool ingress_open = false;  // some connection allowed only by default
    bool egress_open = false;
  };
  // Isolation is asked on the ports given, or on one when none is.
  const std::vector<PortProtocol> isolation_ports =
      ports.empty() ? std::vector<PortProtocol>{{1, Protocol::kTCP}} : ports;
  const ReachMatrix isolation =
      ports.empty() ? engine.ComputeMatrix(isolation_ports) : ReachMatrix();
  std::map<std::size_t, ClassExposure> cache;
  for (const Endpoint& endpoint : pods) {
    if (!endpoint.pod) {
      continue;
    }
    const std::size_t pod = *endpoint.pod;
    auto [found, inserted] = cache.try_emplace(engine.ClassOf(pod));
    ClassExposure& result = found->second;
    if (inserted) {
      const Endpoint self = Endpoint::Pod(pod);
      const ReachMatrix& by_default = ports.empty() ? isolation : matrix;
      for (std::size_t p = 0; p < isolation_ports.size(); ++p) {
        for (const std::string& address : outside) {
          const Endpoint somewhere = Endpoint::External(address);
          const PortProtocol& port = isolation_ports[p];
          result.ingress_open =
              result.ingress_open ||
              engine.Decide(somewhere, self, port).ingress.DecidedBy() == DecidingTier::kNone;
          result.egress_open =
              result.egress_open ||
              engine.Decide(self, somewhere, port).egress.DecidedBy() == DecidingTier::kNone;
        }
        result.ingress_open = result.ingress_open || by_default.AllowedByDefault(p, pod, true);
        result.egress_open = result.egress_open || by_default.AllowedByDefault(p, pod, false);
      }
      for (std::size_t p = 0; p < ports.size(); ++p) {
        if (std::any_of(outside.begin(), outside.end(), [&](const std::string& address) {
              return engine.Decide(Endpoint::External(address), self, ports[p]).Allowed();
            })) {
          result.outside.push_back(ports[p]);
        }
        std::vector<uint8_t> reached(namespace_count, 0);
        std::size_t reaching = 0;
        for (const auto& [source, number] : sources) {
          if (reached[number] == 0 && matrix.Allowed(p, source, pod)) {
            reached[number] = 1;
            ++reaching;
          }
        }
        if (namespace_count > 1 && reaching == namespace_count) {
          result.every_namespace.push_back(ports[p]);
        }
      }
    }
    const std::string name = engine.Describe(endpoint);
    if (!result.outside.empty()) {
      exposure.from_outside.push_back(ExposedPod{name, result.outside});
    }
    if (!result.every_namespace.empty()) {
      exposure.from_every_namespace.push_back(ExposedPod{name, result.every_namespace});
    }
    if (result.ingress_open) {
      exposure.ingress_not_isolated.push_back(name);
    }
    if (result.egress_open) {
      exposure.egress_not_isolated.push_back(name);
    }
  }
  return exposure;
}

}  // namespace netadmit
