// Observed flows replayed against policies. Hubble's flow JSON follows flow.proto as protojson
// writes it with proto field names (`hubble observe -o json` prints the Flow, `-o jsonpb` the
// GetFlowsResponse around it): `time` (RFC 3339), `verdict` (the enum's name), `IP.source` and
// `IP.destination`, `l4.TCP|UDP|SCTP.destination_port`, `source`/`destination` endpoints
// (`namespace`, `pod_name`, `labels` as "k8s:key=value"), `is_reply`. protojson's default
// lowerCamelCase names (`destinationPort`, `podName`, `isReply`) are read too. Nothing else
// of the flow is looked at.

#include "netadmit/connectivity/observed_flows.h"

#include <arpa/inet.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "netadmit/model/cidr.h"

namespace netadmit {

namespace {

using rapidjson::Value;

Error LineError(int line_number, std::string path, std::string message) {
  Error error;
  error.line = line_number;
  error.path = std::move(path);
  error.message = std::move(message);
  return error;
}

// The member by its proto name or its lowerCamelCase JSON name; nullptr when absent or null
// (protojson leaves out fields at their zero value, and some writers put null).
const Value* Find(const Value& object, std::string_view name, std::string_view json_name = {}) {
  for (std::string_view key : {name, json_name}) {
    if (key.empty()) {
      continue;
    }
    const auto found =
        object.FindMember(Value(key.data(), static_cast<rapidjson::SizeType>(key.size())));
    if (found != object.MemberEnd() && !found->value.IsNull()) {
      return &found->value;
    }
  }
  return nullptr;
}

// The text of an address in its canonical form ("fd00::5" for "fd00:0::5"); nullopt when the
// text is not an IPv4 or IPv6 address.
std::optional<std::string> CanonicalAddress(std::string_view text) {
  const std::string copy(text);
  std::array<uint8_t, 16> bytes{};
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, copy.c_str(), bytes.data()) == 1) {
      std::array<char, INET6_ADDRSTRLEN> buffer{};
      if (inet_ntop(family, bytes.data(), buffer.data(), buffer.size()) != nullptr) {
        return std::string(buffer.data());
      }
    }
  }
  return std::nullopt;
}

// Reads the fields of one line, naming each by its path under `prefix` ("flow." when wrapped).
class FieldReader {
 public:
  FieldReader(int line_number, std::string prefix)
      : line_number_(line_number), prefix_(std::move(prefix)) {}

  Error Fail(std::string_view path, std::string message) const {
    return LineError(line_number_, prefix_ + std::string(path), std::move(message));
  }

  // An optional string member: "" when absent.
  Result<std::string> String(const Value& object, std::string_view path, std::string_view name,
                             std::string_view json_name = {}) const {
    const Value* value = Find(object, name, json_name);
    if (value == nullptr) {
      return std::string();
    }
    if (!value->IsString()) {
      return Fail(Join(path, name), "expected a string");
    }
    return std::string(value->GetString(), value->GetStringLength());
  }

  // An optional object member: nullptr when absent.
  Result<const Value*> Object(const Value& object, std::string_view path, std::string_view name,
                              std::string_view json_name = {}) const {
    const Value* value = Find(object, name, json_name);
    if (value != nullptr && !value->IsObject()) {
      return Fail(Join(path, name), "expected an object");
    }
    return value;
  }

  // A port number, 1 to 65535.
  Result<int32_t> Port(const Value* value, std::string_view path) const {
    if (value == nullptr) {
      return Fail(path, "missing: a connection needs a destination port");
    }
    if (!value->IsInt64()) {
      return Fail(path, "expected a port number");
    }
    const int64_t port = value->GetInt64();
    if (port < 1 || port > 65535) {
      return Fail(path, "port " + std::to_string(port) + " is out of range (1 to 65535)");
    }
    return static_cast<int32_t>(port);
  }

  // An address: canonical, or a failure naming the field.
  Result<std::string> Address(std::string_view text, std::string_view path) const {
    if (text.empty()) {
      return std::string();
    }
    auto canonical = CanonicalAddress(text);
    if (!canonical) {
      return Fail(path, "\"" + std::string(text) + "\" is not an IP address");
    }
    return *canonical;
  }

  static std::string Join(std::string_view path, std::string_view name) {
    return path.empty() ? std::string(name) : std::string(path) + '.' + std::string(name);
  }

 private:
  int line_number_;
  std::string prefix_;
};

// A Hubble Endpoint: namespace, pod name and the Kubernetes labels ("k8s:app=web").
Result<ObservedEnd> ReadEndpoint(const FieldReader& reader, const Value& flow,
                                 std::string_view name) {
  ObservedEnd end;
  auto endpoint = reader.Object(flow, "", name);
  if (!endpoint) {
    return endpoint.error();
  }
  if (*endpoint == nullptr) {
    return end;
  }
  const Value& object = **endpoint;
  auto namespace_name = reader.String(object, name, "namespace");
  auto pod_name = reader.String(object, name, "pod_name", "podName");
  if (!namespace_name) {
    return namespace_name.error();
  }
  if (!pod_name) {
    return pod_name.error();
  }
  end.namespace_name = std::move(*namespace_name);
  end.pod_name = std::move(*pod_name);
  const Value* labels = Find(object, "labels");
  if (labels == nullptr) {
    return end;
  }
  const std::string labels_path = FieldReader::Join(name, "labels");
  if (!labels->IsArray()) {
    return reader.Fail(labels_path, "expected a list");
  }
  constexpr std::string_view kKubernetes = "k8s:";
  for (rapidjson::SizeType i = 0; i < labels->Size(); ++i) {
    const Value& label = (*labels)[i];
    if (!label.IsString()) {
      return reader.Fail(labels_path + '[' + std::to_string(i) + ']', "expected a string");
    }
    // Cilium's other sources ("reserved:world", "cidr:...") are not pod labels.
    const std::string_view text(label.GetString(), label.GetStringLength());
    if (!text.starts_with(kKubernetes)) {
      continue;
    }
    const std::string_view pair = text.substr(kKubernetes.size());
    const auto equals = pair.find('=');
    end.labels[std::string(pair.substr(0, equals))] =
        equals == std::string_view::npos ? std::string() : std::string(pair.substr(equals + 1));
  }
  return end;
}

// is_reply (a BoolValue: absent when unknown, taken as false), or the deprecated `reply`.
Result<bool> ReadIsReply(const FieldReader& reader, const Value& flow) {
  for (const auto& [name, json_name] : {std::pair{"is_reply", "isReply"}, std::pair{"reply", ""}}) {
    const Value* value = Find(flow, name, json_name);
    if (value == nullptr) {
      continue;
    }
    if (!value->IsBool()) {
      return reader.Fail(name, "expected true or false");
    }
    if (value->GetBool()) {
      return true;
    }
  }
  return false;
}

// `verdict` as the enum's name, or its number (protojson writes numbers for values it does not
// know); only DROPPED (2) means the network dropped it.
Result<bool> ReadDropped(const FieldReader& reader, const Value& object) {
  const Value* verdict = Find(object, "verdict");
  if (verdict == nullptr) {
    return false;
  }
  if (verdict->IsString()) {
    return std::string_view(verdict->GetString(), verdict->GetStringLength()) == "DROPPED";
  }
  if (verdict->IsInt()) {
    return verdict->GetInt() == 2;
  }
  return reader.Fail("verdict", "expected a verdict name such as FORWARDED or DROPPED");
}

Result<FlowLine> ReadHubbleFlow(const FieldReader& reader, const Value& flow) {
  FlowLine out;
  auto reply = ReadIsReply(reader, flow);
  if (!reply) {
    return reply.error();
  }
  if (*reply) {
    out.kind = FlowLine::Kind::kReply;
    return out;
  }
  auto l4 = reader.Object(flow, "", "l4");
  if (!l4) {
    return l4.error();
  }
  std::optional<PortProtocol> port;
  if (*l4 != nullptr) {
    for (const auto& [name, protocol] :
         {std::pair{"TCP", Protocol::kTCP}, std::pair{"UDP", Protocol::kUDP},
          std::pair{"SCTP", Protocol::kSCTP}}) {
      auto layer = reader.Object(**l4, "l4", name);
      if (!layer) {
        return layer.error();
      }
      if (*layer == nullptr) {
        continue;
      }
      auto number = reader.Port(Find(**layer, "destination_port", "destinationPort"),
                                std::string("l4.") + name + ".destination_port");
      if (!number) {
        return number.error();
      }
      port = PortProtocol{*number, protocol};
      break;
    }
  }
  if (!port) {
    out.kind = FlowLine::Kind::kNoPort;  // ICMP, or no layer 4 at all
    return out;
  }
  out.kind = FlowLine::Kind::kConnection;
  ObservedFlow& observed = out.flow;
  observed.port = *port;
  auto time = reader.String(flow, "", "time");
  auto dropped = ReadDropped(reader, flow);
  auto ip = reader.Object(flow, "", "IP");
  auto from = ReadEndpoint(reader, flow, "source");
  auto to = ReadEndpoint(reader, flow, "destination");
  for (const Error* error :
       {time ? nullptr : &time.error(), dropped ? nullptr : &dropped.error(),
        ip ? nullptr : &ip.error(), from ? nullptr : &from.error(), to ? nullptr : &to.error()}) {
    if (error != nullptr) {
      return *error;
    }
  }
  observed.time = std::move(*time);
  observed.dropped = *dropped;
  observed.from = std::move(*from);
  observed.to = std::move(*to);
  if (*ip != nullptr) {
    for (auto [end, name] :
         {std::pair{&observed.from, "source"}, std::pair{&observed.to, "destination"}}) {
      auto text = reader.String(**ip, "IP", name);
      if (!text) {
        return text.error();
      }
      auto address = reader.Address(*text, std::string("IP.") + name);
      if (!address) {
        return address.error();
      }
      end->address = std::move(*address);
    }
  }
  return out;
}

// "ns/pod", an IP address, or (`allow_cidr`) a CIDR.
Result<ObservedEnd> ReadNeutralEnd(const FieldReader& reader, const Value& object,
                                   std::string_view name, bool allow_cidr) {
  auto text = reader.String(object, "", name);
  if (!text) {
    return text.error();
  }
  const std::string what =
      allow_cidr ? "NAMESPACE/POD, an IP address or a CIDR" : "NAMESPACE/POD or an IP address";
  if (text->empty()) {
    return reader.Fail(name, "missing: expected " + what);
  }
  ObservedEnd end;
  if (auto address = CanonicalAddress(*text)) {
    end.address = std::move(*address);
    return end;
  }
  const auto slash = text->find('/');
  const auto block = slash == std::string::npos ? Result<Cidr>(Error{}) : Cidr::Parse(*text);
  if (block && allow_cidr) {
    // One address written as a block ("10.0.0.5/32") is that address, perhaps a pod's.
    const std::string written = block->ToString();
    const bool single = block->prefix_length() == (block->is_v6() ? 128 : 32);
    end.address = single ? written.substr(0, written.find('/')) : written;
    return end;
  }
  const bool pod = !block && slash != std::string::npos && slash > 0 && slash + 1 < text->size() &&
                   text->find('/', slash + 1) == std::string::npos;
  if (!pod) {
    return reader.Fail(name, "\"" + *text + "\" is not " + what);
  }
  end.namespace_name = text->substr(0, slash);
  end.pod_name = text->substr(slash + 1);
  return end;
}

Result<FlowLine> ReadNeutralFlow(const FieldReader& reader, const Value& object) {
  FlowLine out;
  out.kind = FlowLine::Kind::kConnection;
  ObservedFlow& flow = out.flow;
  auto from = ReadNeutralEnd(reader, object, "from", true);
  if (!from) {
    return from.error();
  }
  auto to = ReadNeutralEnd(reader, object, "to", false);
  if (!to) {
    return to.error();
  }
  auto port = reader.Port(Find(object, "port"), "port");
  if (!port) {
    return port.error();
  }
  auto protocol = reader.String(object, "", "protocol");
  if (!protocol) {
    return protocol.error();
  }
  auto parsed = PortProtocol::Parse(std::to_string(*port) + '/' +
                                    (protocol->empty() ? std::string("TCP") : *protocol));
  if (!parsed) {
    return reader.Fail("protocol",
                       "unknown protocol \"" + *protocol + "\" (expected TCP, UDP or SCTP)");
  }
  auto verdict = reader.String(object, "", "verdict");
  if (!verdict) {
    return verdict.error();
  }
  if (!verdict->empty() && *verdict != "FORWARDED" && *verdict != "DROPPED") {
    return reader.Fail("verdict",
                       "unknown verdict \"" + *verdict + "\" (expected FORWARDED or DROPPED)");
  }
  auto time = reader.String(object, "", "time");
  if (!time) {
    return time.error();
  }
  flow.from = std::move(*from);
  flow.to = std::move(*to);
  flow.port = *parsed;
  flow.dropped = *verdict == "DROPPED";
  flow.time = std::move(*time);
  return out;
}

bool HasAny(const Value& object, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view name) { return Find(object, name) != nullptr; });
}

std::string PodName(const ObservedEnd& end) { return end.namespace_name + '/' + end.pod_name; }

// The live pod of `namespace_name` whose labels are all among `labels`, with the most of them
// (the first such pod on a tie); pods without labels stand for nothing.
std::optional<std::size_t> StandIn(const Connectivity& engine, std::string_view namespace_name,
                                   const Labels& labels) {
  std::optional<std::size_t> best;
  std::size_t best_size = 0;
  const std::vector<PodInfo>& pods = engine.state().pods;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    const PodInfo& pod = pods[i];
    if (pod.namespace_name != namespace_name || pod.labels.size() <= best_size || !engine.Live(i)) {
      continue;
    }
    const bool carried = std::all_of(pod.labels.begin(), pod.labels.end(), [&](const auto& label) {
      const auto found = labels.find(label.first);
      return found != labels.end() && found->second == label.second;
    });
    if (carried) {
      best = i;
      best_size = pod.labels.size();
    }
  }
  return best;
}

}  // namespace

Result<FlowLine> ParseFlowLine(std::string_view line, int line_number) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    return FlowLine{};
  }
  rapidjson::Document json;
  // Iterative: a deeply nested line must not exhaust the stack.
  json.Parse<rapidjson::kParseIterativeFlag>(line.data(), line.size());
  if (json.HasParseError()) {
    Error error =
        LineError(line_number, "",
                  std::string("not JSON: ") + rapidjson::GetParseError_En(json.GetParseError()));
    error.column = static_cast<int>(json.GetErrorOffset()) + 1;
    return error;
  }
  if (!json.IsObject()) {
    return LineError(line_number, "", "expected a JSON object");
  }
  if (const Value* flow = Find(json, "flow")) {
    const FieldReader reader(line_number, "flow.");
    if (!flow->IsObject()) {
      return LineError(line_number, "flow", "expected an object");
    }
    return ReadHubbleFlow(reader, *flow);
  }
  const FieldReader reader(line_number, "");
  // GetFlowsResponse's other events: no connection in them.
  if (HasAny(json, {"node_status", "nodeStatus", "lost_events", "lostEvents", "agent_event",
                    "agentEvent", "debug_event", "debugEvent"})) {
    return FlowLine{FlowLine::Kind::kNotAFlow, {}};
  }
  if (HasAny(json, {"from", "to", "port"})) {
    return ReadNeutralFlow(reader, json);
  }
  if (HasAny(json,
             {"IP", "l4", "source", "destination", "verdict", "Type", "event_type", "eventType"})) {
    return ReadHubbleFlow(reader, json);
  }
  return LineError(line_number, "",
                   "neither a Hubble flow nor a connection {\"from\", \"to\", \"port\"}");
}

std::size_t ReplaySummary::Count(bool dropped, bool allowed) const {
  return static_cast<std::size_t>(std::count_if(
      connections.begin(), connections.end(),
      [&](const ReplayedConnection& c) { return c.dropped == dropped && c.allowed == allowed; }));
}

std::vector<const ReplayedConnection*> ReplaySummary::NewlyDenied() const {
  std::vector<const ReplayedConnection*> out;
  for (const ReplayedConnection& connection : connections) {
    if (comparing && !connection.dropped && connection.allowed_before && !connection.allowed) {
      out.push_back(&connection);
    }
  }
  return out;
}

FlowReplay::FlowReplay(const Connectivity& engine)
    : FlowReplay(std::vector<const Connectivity*>{&engine}) {}

FlowReplay::FlowReplay(const Connectivity& base, const Connectivity& head)
    : FlowReplay(std::vector<const Connectivity*>{&base, &head}) {
  counts_.comparing = true;
}

FlowReplay::FlowReplay(std::vector<const Connectivity*> engines) {
  for (const Connectivity* connectivity : engines) {
    Engine engine{connectivity, {}, {}};
    const std::vector<PodInfo>& pods = connectivity->state().pods;
    for (std::size_t i = 0; i < pods.size(); ++i) {
      if (!connectivity->Live(i)) {
        continue;
      }
      for (const std::string& ip : pods[i].ips) {
        if (auto address = CanonicalAddress(ip)) {
          engine.pod_by_address.emplace(*address, i);
        }
      }
    }
    engines_.push_back(std::move(engine));
  }
}

Result<FlowReplay::Resolved> FlowReplay::Resolve(Engine& engine, const ObservedEnd& end,
                                                 std::string_view which, int line_number) {
  const bool named = !end.namespace_name.empty() && !end.pod_name.empty();
  const std::string cache_key = end.namespace_name + '\n' + end.pod_name + '\n' + end.address;
  if (const auto cached = engine.resolved.find(cache_key); cached != engine.resolved.end()) {
    return cached->second;
  }
  const Connectivity& connectivity = *engine.connectivity;
  std::optional<std::size_t> pod;
  if (named) {
    pod = connectivity.FindPod(end.namespace_name, end.pod_name);
  }
  Resolved resolved;
  if (named && !pod) {
    resolved.unknown_pod = PodName(end);
  }
  if (!pod && !end.address.empty()) {
    if (const auto found = engine.pod_by_address.find(end.address);
        found != engine.pod_by_address.end()) {
      pod = found->second;
    }
  }
  if (!pod && !end.namespace_name.empty() && !end.labels.empty()) {
    pod = StandIn(connectivity, end.namespace_name, end.labels);
  }
  if (pod) {
    resolved.endpoint = Endpoint::Pod(*pod);
    resolved.key = 'c' + std::to_string(connectivity.ClassOf(*pod));
    resolved.name = connectivity.Describe(resolved.endpoint);
  } else if (!end.address.empty()) {
    // A CIDR (the neutral form's source) is judged as its first address.
    resolved.endpoint = Endpoint::External(end.address.substr(0, end.address.find('/')));
    resolved.key = 'a' + end.address;
    resolved.name = end.address;
  } else {
    return LineError(line_number, std::string(which),
                     named ? "pod " + PodName(end) +
                                 " is not in the input and the flow gives no "
                                 "address for it"
                           : std::string("names neither a pod nor an address"));
  }
  // Logs of a cluster with churn name ever new pods: start the cache over rather than let it
  // grow with the lines.
  constexpr std::size_t kMaxResolved = 1 << 16;
  if (engine.resolved.size() >= kMaxResolved) {
    engine.resolved.clear();
  }
  engine.resolved.emplace(cache_key, resolved);
  return resolved;
}

Status FlowReplay::Add(const ObservedFlow& flow, int line_number) {
  std::vector<Resolved> from;
  std::vector<Resolved> to;
  std::string key;
  for (Engine& engine : engines_) {
    auto source = Resolve(engine, flow.from, "source", line_number);
    if (!source) {
      return source.error();
    }
    auto destination = Resolve(engine, flow.to, "destination", line_number);
    if (!destination) {
      return destination.error();
    }
    key += source->key + '\n' + destination->key + '\n';
    from.push_back(std::move(*source));
    to.push_back(std::move(*destination));
  }
  key += flow.port.ToString() + (flow.dropped ? "\ndropped" : "");
  ++counts_.observations;
  auto [found, added] = index_.emplace(std::move(key), connections_.size());
  if (added) {
    // Judged once, on the first example: every other is the same to every policy.
    const Resolved& head_from = from.back();
    const Resolved& head_to = to.back();
    const Connectivity& head = *engines_.back().connectivity;
    ReplayedConnection connection;
    connection.from = head_from.name;
    connection.to = head_to.name;
    connection.from_unknown_pod = head_from.unknown_pod;
    connection.to_unknown_pod = head_to.unknown_pod;
    connection.port = flow.port;
    connection.dropped = flow.dropped;
    connection.allowed = head.Decide(head_from.endpoint, head_to.endpoint, flow.port).Allowed();
    if (!connection.allowed) {
      connection.reason = head.Explain(head_from.endpoint, head_to.endpoint, flow.port);
    }
    if (engines_.size() > 1) {
      connection.allowed_before =
          engines_.front()
              .connectivity->Decide(from.front().endpoint, to.front().endpoint, flow.port)
              .Allowed();
    }
    connections_.push_back(std::move(connection));
  }
  ReplayedConnection& connection = connections_[found->second];
  ++connection.observations;
  connection.last_seen = std::max(connection.last_seen, flow.time);
  return Ok{};
}

void FlowReplay::AddError(Error error) {
  ++counts_.malformed;
  if (counts_.first_errors.size() < ReplaySummary::kMaxErrors) {
    counts_.first_errors.push_back(std::move(error));
  }
}

void FlowReplay::Feed(std::string_view line, int line_number) {
  ++counts_.lines;
  auto parsed = ParseFlowLine(line, line_number);
  if (!parsed) {
    AddError(parsed.error());
    return;
  }
  switch (parsed->kind) {
    case FlowLine::Kind::kConnection:
      if (Status added = Add(parsed->flow, line_number); !added) {
        AddError(added.error());
      }
      return;
    case FlowLine::Kind::kReply:
      ++counts_.replies;
      return;
    case FlowLine::Kind::kNoPort:
      ++counts_.without_port;
      return;
    case FlowLine::Kind::kNotAFlow:
      ++counts_.not_flows;
      return;
    case FlowLine::Kind::kBlank:
      return;
  }
}

ReplaySummary FlowReplay::Summary() const {
  ReplaySummary summary = counts_;
  summary.connections = connections_;
  std::sort(summary.connections.begin(), summary.connections.end(),
            [](const ReplayedConnection& a, const ReplayedConnection& b) {
              return std::tie(a.port, a.from, a.to, a.dropped) <
                     std::tie(b.port, b.from, b.to, b.dropped);
            });
  return summary;
}

}  // namespace netadmit
