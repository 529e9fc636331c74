#pragma once

// Flow requirements over the connectivity engine: `forbid` entries name flows that must stay
// closed ("nothing labeled env=dev reaches env=prod"), `require` entries flows that must stay
// open ("every pod reaches kube-dns on 53/UDP"). The evaluator names one concrete source and
// destination per broken entry and the policy rule that opens (or the isolation that closes) it.
// These are the params and the evaluation of the `Flows` rule kind.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "netadmit/connectivity/connectivity.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/rule.h"

namespace netadmit {

// One side of a flow: pods chosen by namespace and pod selectors, or addresses outside the
// cluster (the first address of each CIDR stands for its block).
struct FlowPeer {
  std::optional<LabelSelector> namespace_selector;  // absent: every namespace
  std::optional<LabelSelector> pod_selector;        // absent: every pod
  std::vector<Cidr> cidrs;                          // when not empty: these addresses instead
};

// A port, or an inclusive range of ports, of one protocol.
struct FlowPorts {
  Protocol protocol = Protocol::kTCP;
  int32_t first = 0;
  int32_t last = 0;  // == first for one port

  std::string ToString() const;  // "5432/TCP", "8000-8100/TCP", "all/UDP"
  bool operator==(const FlowPorts&) const = default;
};

struct FlowEntry {
  std::string path;  // "params.forbid[0]"
  FlowPeer from;
  FlowPeer to;
  std::vector<FlowPorts> ports;  // at least one
};

struct FlowsParams {
  std::vector<FlowEntry> forbid;
  std::vector<FlowEntry> require;
};

// Parses {forbid: [{from, to, ports}], require: [...]}, where from/to are
// {namespaceSelector, podSelector} (metav1.LabelSelector) or {cidrs: [...]}, and ports a list of
// "53/UDP", "8000-8100/TCP", "all" (every port of TCP, UDP and SCTP), "all/UDP", or
// {port, endPort, protocol}. A range is judged exactly: a `forbid` entry is broken when any port
// of it is open, a `require` entry when any is closed. Fails at the first wrong type, unknown field
// or invalid value, with line and column; `path` is where the params sit ("spec.rules[0].params").
Result<FlowsParams> ParseFlows(const YAML::Node& params, const std::string& file,
                               const std::string& path);

// How an entry is broken: a `forbid` flow is open, or a `require` flow is closed.
enum class FlowBreak { kForbiddenOpen, kRequiredClosed };

struct BrokenFlow {
  const FlowEntry* entry = nullptr;  // into the FlowsParams evaluated
  FlowBreak how = FlowBreak::kForbiddenOpen;
  Violation violation;  // for people: path at the entry, the pair and the rule or isolation
};

// One BrokenFlow per broken entry (the first pair found), the `forbid` entries first.
std::vector<BrokenFlow> FindBrokenFlows(const Connectivity& engine, const FlowsParams& flows);

// One end of a connection an entry names: a pod, by name and by what policies see of it (its
// namespace, labels and named ports: its shape), or an address outside the cluster.
struct FlowEnd {
  std::string namespace_name;
  std::string name;
  Labels labels;
  std::vector<NamedPort> ports;  // sorted
  std::string ip;                // when `name` is empty

  static FlowEnd Of(const Connectivity& engine, const Endpoint& endpoint);
  // The endpoint in `engine`; nullopt for a pod the engine does not hold.
  std::optional<Endpoint> In(const Connectivity& engine) const;
};

// One connection an entry names, on one port.
struct FlowCell {
  const FlowEntry* entry = nullptr;
  bool forbid = true;  // the entry is a `forbid` one (else `require`)
  FlowEnd from;
  FlowEnd to;
  PortProtocol port;
};

// The cells of `flows` broken in `engine` (a `forbid` connection allowed, a `require` one
// denied) among those with an end in `focus` (pod indexes): the connections a change to those
// pods, or to policies that select only them, can alter. Per entry, one pod per class at the
// other end and one port per stretch that the policies deciding the pair cannot tell apart
// (DistinctPorts for the pair), so it is exact; the pods of `focus` are asked as themselves.
// Entries in the order of `flows`, the `forbid` ones first; within one, every broken cell.
std::vector<FlowCell> FindBrokenCells(const Connectivity& engine, const FlowsParams& flows,
                                      const std::vector<std::size_t>& focus);
// Per cell, whether `engine` has it broken between pods of the same shapes as its ends (pods
// that no policy tells apart but by address: the replicas of one workload): a connection a new
// replica breaks is one its workload broke already.
std::vector<bool> ShapesBroken(const Connectivity& engine, const std::vector<FlowCell>& cells);
// A broken cell as FindBrokenFlows reports one: the pair and port, and the rule that opens it
// or the isolation that closes it. Its pods must be in `engine`.
BrokenFlow DescribeBrokenCell(const Connectivity& engine, const FlowCell& cell);

// The violations of FindBrokenFlows, in its order.
std::vector<Violation> EvaluateFlows(const Connectivity& engine, const FlowsParams& flows);

}  // namespace netadmit
