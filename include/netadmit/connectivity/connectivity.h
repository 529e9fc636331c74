#pragma once

// The connectivity engine: given namespaces, pods and NetworkPolicies, decides whether a
// connection from a source (a pod, or an address outside the cluster) to a destination on a port
// and protocol is allowed, following the Kubernetes NetworkPolicy specification, and says why.
// The full matrix groups pods that behave the same (namespace, labels, named ports, the ipBlocks
// their addresses fall in) into classes, so that it costs classes², not pods².

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/cluster_policy.h"
#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

namespace netadmit {

struct NamespaceInfo {
  std::string name;
  Labels labels;  // kubernetes.io/metadata.name is added when missing, as the API server does
};

struct PodInfo {
  std::string namespace_name;
  std::string name;
  Labels labels;
  std::vector<NamedPort> ports;  // container ports that have a name
  std::vector<std::string> ips;  // status.podIPs, when known ("10.0.0.5", "fd00::5")
};

struct PolicyInfo {
  std::string namespace_name;
  std::string name;
  NetworkPolicySpec spec;
};

// An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy (cluster-scoped).
struct ClusterPolicyInfo {
  std::string name;
  ClusterPolicySpec spec;
};

// What the engine is built from. Namespaces that only appear in pods or policies are added.
struct ClusterState {
  std::vector<NamespaceInfo> namespaces;
  std::vector<PodInfo> pods;
  std::vector<PolicyInfo> policies;
  std::vector<ClusterPolicyInfo> cluster_policies;
};

struct PortProtocol {
  int32_t port = 0;
  Protocol protocol = Protocol::kTCP;

  // "80/TCP", "53/udp", or "8080" (TCP). Fails on a port outside 1..65535 or another protocol.
  static Result<PortProtocol> Parse(std::string_view text);
  std::string ToString() const;  // "80/TCP"
  auto operator<=>(const PortProtocol&) const = default;
};

// A pod of the state (by index), or an address outside the cluster.
struct Endpoint {
  std::optional<std::size_t> pod;
  std::string ip;  // when `pod` is empty

  static Endpoint Pod(std::size_t index) { return Endpoint{index, {}}; }
  static Endpoint External(std::string address) {
    return Endpoint{std::nullopt, std::move(address)};
  }
};

// One rule of a policy that lets the connection through, and the peer in it that matched.
struct RuleMatch {
  std::size_t policy = 0;           // index into ClusterState::policies
  std::size_t rule = 0;             // index into spec.ingress or spec.egress
  std::optional<std::size_t> peer;  // index into from/to; empty when the rule has no peers
  std::string path;                 // "spec.ingress[0].from[1]" or "spec.egress[2]"
};

// One direction of a connection: the source's egress or the destination's ingress.
struct DirectionDecision {
  bool applies = true;                 // false for an address outside the cluster
  std::vector<std::size_t> isolating;  // policies that select the pod for this direction
  std::vector<RuleMatch> allowing;     // rules of those policies that allow the connection

  bool Allowed() const { return !applies || isolating.empty() || !allowing.empty(); }
};

struct Decision {
  DirectionDecision egress;   // of the source
  DirectionDecision ingress;  // of the destination
  bool Allowed() const { return egress.Allowed() && ingress.Allowed(); }
};

class Connectivity;

// The answer for every ordered pair of pods (a pod to itself included) on each port asked.
class ReachMatrix {
 public:
  std::span<const PortProtocol> ports() const { return ports_; }
  bool Allowed(std::size_t port_index, std::size_t from_pod, std::size_t to_pod) const;
  // Ordered pod pairs allowed on one port (pairs of a pod with itself included).
  uint64_t AllowedPairs(std::size_t port_index) const;

 private:
  friend class Connectivity;
  std::vector<PortProtocol> ports_;
  std::vector<uint32_t> class_of_pod_;
  std::vector<uint64_t> class_size_;
  std::size_t classes_ = 0;
  std::size_t words_ = 0;                       // 64-bit words per row
  std::vector<std::vector<uint64_t>> allowed_;  // per port: row per source class, bit per dest
};

class Connectivity {
 public:
  // Checks and compiles the state. Fails naming the policy and field of an invalid ipBlock
  // CIDR, or the pod of an invalid IP address.
  static Result<Connectivity> Build(ClusterState state);

  Connectivity(Connectivity&&) noexcept;
  Connectivity& operator=(Connectivity&&) noexcept;
  ~Connectivity();

  const ClusterState& state() const;
  std::optional<std::size_t> FindPod(std::string_view namespace_name, std::string_view name) const;
  const NamespaceInfo* FindNamespace(std::string_view name) const;

  // The decision for one connection, with the policies and rules behind it. A destination that
  // is not a pod has no ingress isolation; a source that is not a pod has no egress isolation.
  Decision Decide(const Endpoint& from, const Endpoint& to, const PortProtocol& port) const;
  // Decide() rendered for a person, several lines ending in a newline.
  std::string Explain(const Endpoint& from, const Endpoint& to, const PortProtocol& port) const;
  // "ns/pod" or the address.
  std::string Describe(const Endpoint& endpoint) const;

  // The full matrix; same answers as Decide() for every pair of pods.
  ReachMatrix ComputeMatrix(std::span<const PortProtocol> ports) const;

  std::size_t class_count() const;
  std::size_t ClassOf(std::size_t pod) const;

  struct Compiled;

 private:
  explicit Connectivity(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

// "ns=x,app in (a,b),!tier" — a selector as kubectl writes one; "{}" for the empty selector.
std::string FormatSelector(const LabelSelector& selector);

}  // namespace netadmit
