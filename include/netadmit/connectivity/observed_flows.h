#pragma once

// Observed flows replayed against policies: for every connection a flow log saw (Cilium Hubble's
// `hubble observe -o json` / `-o jsonpb`, or a neutral JSON-lines form), whether the policies of
// a Connectivity engine allow it, and why not. The caller hands over one line at a time; memory
// grows with the distinct connections seen, not with the lines.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "netadmit/connectivity/connectivity.h"
#include "netadmit/model/labels.h"
#include "netadmit/model/result.h"

namespace netadmit {

// One end of an observed flow, as the log names it. Any field may be empty.
struct ObservedEnd {
  std::string namespace_name;
  std::string pod_name;
  std::string address;  // an IP address, or (a neutral source only) a CIDR
  Labels labels;        // Hubble's "k8s:" labels, without the prefix
};

// A connection the log saw: the first packet's direction, never a reply.
struct ObservedFlow {
  std::string time;  // as written ("2024-05-01T10:00:00.5Z"); empty when absent
  ObservedEnd from;
  ObservedEnd to;
  PortProtocol port;
  bool dropped = false;  // the network dropped it (verdict DROPPED)
};

// What one line holds. Lines that are not connections of their own are told apart so they can
// be counted: replies, flows without a destination port (ICMP, no L4), Hubble responses that
// carry no flow (lost events, node status), and blank lines.
struct FlowLine {
  enum class Kind { kConnection, kReply, kNoPort, kNotAFlow, kBlank };
  Kind kind = Kind::kBlank;
  ObservedFlow flow;  // for kConnection
};

// Reads one line: a Hubble Flow, bare or wrapped as a GetFlowsResponse {"flow": {...}}, or the
// neutral form {"from": "ns/pod" | IP | CIDR, "to": "ns/pod" | IP, "port": 5432,
// "protocol": "TCP", "verdict": "FORWARDED" | "DROPPED", "time": "..."}. Fails on bad JSON,
// wrong types, a missing or out-of-range port, an unknown protocol or address, with the line
// number and the field path ("flow.l4.TCP.destination_port").
Result<FlowLine> ParseFlowLine(std::string_view line, int line_number);

// One distinct connection: its ends (a pod's class, or an address) and port, judged once.
struct ReplayedConnection {
  std::string from;  // an example: "ns/pod" or the address
  std::string to;
  // When the log named a pod the input lacks and the address stood for it: "ns/pod".
  std::string from_unknown_pod;
  std::string to_unknown_pod;
  PortProtocol port;
  uint64_t observations = 0;
  std::string last_seen;        // the latest time written (RFC 3339 sorts as text); may be empty
  bool dropped = false;         // dropped by the network, kept apart from the rest
  bool allowed = false;         // by the policies (the head's, when replaying a difference)
  std::string reason;           // when denied: Explain's text for the example
  bool allowed_before = false;  // when replaying a difference: by the base's policies
};

struct ReplaySummary {
  uint64_t lines = 0;         // lines fed, blank ones included
  uint64_t observations = 0;  // connections seen (every kConnection line)
  uint64_t replies = 0;
  uint64_t without_port = 0;
  uint64_t not_flows = 0;
  uint64_t malformed = 0;
  std::vector<Error> first_errors;  // the first kMaxErrors
  // Sorted: by port, then from, then to; dropped ones after the others of the same connection.
  std::vector<ReplayedConnection> connections;
  bool comparing = false;  // replayed against a base and a head

  static constexpr std::size_t kMaxErrors = 10;

  uint64_t skipped() const { return replies + without_port + not_flows; }
  std::size_t Count(bool dropped, bool allowed) const;
  // With a base: the connections the base allows and the head denies (not dropped ones).
  std::vector<const ReplayedConnection*> NewlyDenied() const;
};

// Replays flows against one engine, or against a base and a head (`reach --diff`), which must
// outlive it. Ends resolve, in each engine: a pod by namespace and name; else the pod whose IP
// is the flow's address (status.podIPs); else, for a Hubble endpoint with a namespace, the pod of
// that namespace whose labels the endpoint carries, most labels first (a workload standing for
// its pods); else the address, outside the cluster. Connections are one when each end is the same
// pod class (Connectivity::ClassOf) or address in every engine and the port is the same.
class FlowReplay {
 public:
  explicit FlowReplay(const Connectivity& engine);
  FlowReplay(const Connectivity& base, const Connectivity& head);

  // Parses and replays one line; a malformed line is counted and its error kept (the first
  // kMaxErrors), and the replay goes on.
  void Feed(std::string_view line, int line_number);
  // Replays one parsed flow; fails (counting nothing) when an end has neither a pod of the
  // input nor an address.
  Status Add(const ObservedFlow& flow, int line_number);

  ReplaySummary Summary() const;

  std::size_t distinct() const { return connections_.size(); }

 private:
  // One end as an engine sees it: `key` is the same for ends no policy can tell apart.
  struct Resolved {
    Endpoint endpoint;
    std::string key;          // "c" and the pod's class, or "a" and the address
    std::string name;         // "ns/pod", the address, or the CIDR
    std::string unknown_pod;  // "ns/pod" the log named and the input lacks
  };
  struct Engine {
    const Connectivity* connectivity;
    std::unordered_map<std::string, std::size_t> pod_by_address;  // canonical address
    // Ends already resolved, by namespace, pod and address: a log names the same few ends
    // over and over.
    std::unordered_map<std::string, Resolved> resolved;
  };

  explicit FlowReplay(std::vector<const Connectivity*> engines);
  Result<Resolved> Resolve(Engine& engine, const ObservedEnd& end, std::string_view which,
                           int line_number);
  void AddError(Error error);

  std::vector<Engine> engines_;                         // the base first when comparing
  std::unordered_map<std::string, std::size_t> index_;  // connection key to connections_
  std::vector<ReplayedConnection> connections_;
  ReplaySummary counts_;  // everything but `connections`
};

}  // namespace netadmit
