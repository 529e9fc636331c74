#pragma once

// The connectivity engine: given namespaces, pods, NetworkPolicies and the cluster-scoped
// policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy), decides
// whether a connection from a source (a pod, or an address outside the cluster) to a destination
// on a port and protocol is allowed, and says why. Each direction (the source's egress, the
// destination's ingress) goes through the tiers of SIG Network's network-policy-api: the Admin
// tier (first matching rule by priority: Allow and Deny are final, Pass skips the rest of the
// tier), then the NetworkPolicies exactly as the Kubernetes specification says (when any selects
// the pod for that direction, they decide), then the Baseline tier, then the default: allowed.
// The full matrix groups pods that behave the same (namespace, labels, named ports, the ipBlocks
// and `networks` their addresses fall in) into classes, so that it costs classes², not pods².

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

// The rule of a cluster-scoped policy that matched a connection, and the peer in it.
struct ClusterRuleMatch {
  std::size_t policy = 0;  // index into ClusterState::cluster_policies
  std::size_t rule = 0;    // index into spec.ingress or spec.egress
  std::size_t peer = 0;    // index into from/to
  // What the rule does to the connection: its action, except that a Deny or Pass rule with a peer
  // netadmit does not know (`fail_closed`) denies every connection of its subject.
  ClusterRuleAction action = ClusterRuleAction::kDeny;
  bool fail_closed = false;
  std::string path;  // "spec.ingress[0].from[1]"
};

// Two Admin-tier policies of the same priority that both match: upstream leaves undefined which
// one applies (netadmit applies `first`, the one before in kind and name order).
struct PriorityConflict {
  std::size_t first = 0;  // indexes into ClusterState::cluster_policies
  std::size_t second = 0;
  auto operator<=>(const PriorityConflict&) const = default;
};

// Which tier decided a direction; kNone is the default (allowed), nothing decided.
enum class DecidingTier { kNone, kAdmin, kNetworkPolicy, kBaseline };

// One direction of a connection: the source's egress or the destination's ingress.
struct DirectionDecision {
  bool applies = true;  // false for an address outside the cluster
  // The first Admin-tier rule that matched: Allow or Deny decided, Pass handed the connection on.
  std::optional<ClusterRuleMatch> admin;
  // The NetworkPolicy tier, when the Admin tier did not decide.
  std::vector<std::size_t> isolating;  // policies that select the pod for this direction
  std::vector<RuleMatch> allowing;     // rules of those policies that allow the connection
  // The first Baseline-tier rule that matched, when no NetworkPolicy isolates the pod.
  std::optional<ClusterRuleMatch> baseline;
  // Admin-tier policies of the deciding priority that matched too (undefined upstream).
  std::vector<PriorityConflict> conflicts;

  DecidingTier DecidedBy() const;
  bool Allowed() const;
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
  // Whether some connection between pods on the port, into (`ingress`) or out of the pod, is
  // allowed only by default: no Admin, NetworkPolicy or Baseline rule decides it.
  bool AllowedByDefault(std::size_t port_index, std::size_t pod, bool ingress) const;

 private:
  friend class Connectivity;
  std::vector<PortProtocol> ports_;
  std::vector<uint32_t> class_of_pod_;
  std::vector<uint64_t> class_size_;
  std::size_t classes_ = 0;
  std::size_t words_ = 0;                       // 64-bit words per row
  std::vector<std::vector<uint64_t>> allowed_;  // per port: row per source class, bit per dest
  // Per port, per class: bit 0 when some source class reaches its ingress only through the
  // default (no tier decided), bit 1 the same for some destination class of its egress.
  std::vector<std::vector<uint8_t>> by_default_;
};

class Connectivity {
 public:
  // Checks and compiles the state. Fails naming the policy and field of an invalid ipBlock or
  // `networks` CIDR, or the pod of an invalid IP address.
  static Result<Connectivity> Build(ClusterState state);

  Connectivity(Connectivity&&) noexcept;
  Connectivity& operator=(Connectivity&&) noexcept;
  ~Connectivity();

  // In-place updates, for an engine kept current with a changing cluster (the Flows rule kind
  // keeps one per cluster view and applies each watch event): each costs what the object
  // touches, not a build. A Put replaces the object of the same namespace and name (and kind,
  // for cluster policies) or adds it; a Remove of an unknown object does nothing. A Put that
  // fails (an invalid IP or CIDR, named as Build names it) changes nothing. Answers after any
  // sequence of updates are those of a Build of the resulting state. What they remove or
  // replace stays (out of every answer) until Compact().
  Result<Ok> PutPod(PodInfo pod);
  void RemovePod(std::string_view namespace_name, std::string_view name);
  Result<Ok> PutPolicy(PolicyInfo policy);
  void RemovePolicy(std::string_view namespace_name, std::string_view name);
  Result<Ok> PutClusterPolicy(ClusterPolicyInfo policy);
  void RemoveClusterPolicy(ClusterPolicyKind kind, std::string_view name);
  // Sets a namespace's labels (kubernetes.io/metadata.name is added), adding it when unknown.
  void PutNamespace(NamespaceInfo ns);
  // Builds the live state again when removed entries outnumber live ones (and 64): memory
  // stays proportional to the cluster. Pod and policy indexes change; true when it did.
  bool Compact();

  // What the engine holds. After in-place updates it also holds what they removed or replaced,
  // at their old indexes (decisions name policies by index): Live() tells pods apart,
  // FindPolicy and FindClusterPolicy find only live policies. Build() of the live entries gives
  // the same answers.
  const ClusterState& state() const;
  bool Live(std::size_t pod) const;
  std::size_t live_pod_count() const;
  std::optional<std::size_t> FindPod(std::string_view namespace_name, std::string_view name) const;
  std::optional<std::size_t> FindPolicy(std::string_view namespace_name,
                                        std::string_view name) const;
  std::optional<std::size_t> FindClusterPolicy(ClusterPolicyKind kind, std::string_view name) const;
  const NamespaceInfo* FindNamespace(std::string_view name) const;
  // The live state alone, as Build would take it.
  ClusterState LiveState() const;

  // The decision for one connection, with the policies and rules behind it. A destination that
  // is not a pod has no ingress isolation; a source that is not a pod has no egress isolation.
  Decision Decide(const Endpoint& from, const Endpoint& to, const PortProtocol& port) const;
  // Decide().Allowed(), without working out why: several times quicker, for callers that ask
  // many connections and explain few.
  bool Allowed(const Endpoint& from, const Endpoint& to, const PortProtocol& port) const;
  // Whether the connection between two pods is refused on every port and protocol, known without
  // asking port by port: a NetworkPolicy isolates one end and no rule of the policies isolating
  // it admits the other end, whatever its ports (and no Admin-tier policy could allow it first).
  // False when it may be open on some port, or for an address outside the cluster.
  bool ClosedOnEveryPort(const Endpoint& from, const Endpoint& to) const;
  // Decide() rendered for a person, several lines ending in a newline.
  std::string Explain(const Endpoint& from, const Endpoint& to, const PortProtocol& port) const;
  // "ns/pod" or the address.
  std::string Describe(const Endpoint& endpoint) const;

  // The full matrix; same answers as Decide() for every pair of pods.
  ReachMatrix ComputeMatrix(std::span<const PortProtocol> ports) const;

  std::size_t class_count() const;
  std::size_t ClassOf(std::size_t pod) const;
  // The pod's namespace as a number: equal for pods of one namespace, without a name lookup.
  std::size_t NamespaceOf(std::size_t pod) const;

  // One port of every stretch of `first`..`last` on `protocol` within which no policy of the
  // state can tell ports apart (the ends of every port range, port and named port its rules
  // name or resolve to): every decision on a port of the range is the decision on one of these.
  // Ascending, `first` always among them.
  std::vector<PortProtocol> DistinctPorts(Protocol protocol, int32_t first, int32_t last) const;
  // The same for the connections from one endpoint to another only: the policies that can
  // decide them (the source's namespace for egress, the destination's for ingress, the cluster
  // policies) and the destination's named ports; far fewer stretches than the whole state's.
  std::vector<PortProtocol> DistinctPorts(Protocol protocol, int32_t first, int32_t last,
                                          const Endpoint& from, const Endpoint& to) const;

  // Pairs of Admin-tier policies with the same priority whose subjects select a common pod of
  // the state and that both have rules for one direction: which applies to a connection both
  // match is undefined upstream. Sorted; empty without cluster policies.
  std::vector<PriorityConflict> PriorityConflicts() const;
  // For `reach --explain`: the cluster policies that select the source for egress and the
  // destination for ingress, and their rules whose peers are only `nodes` or `domainNames`
  // (outside pod-to-pod analysis, never evaluated). Empty without cluster policies.
  std::string ExplainClusterPolicies(const Endpoint& from, const Endpoint& to) const;

  struct Compiled;

 private:
  explicit Connectivity(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

// "ns=x,app in (a,b),!tier" — a selector as kubectl writes one; "{}" for the empty selector.
std::string FormatSelector(const LabelSelector& selector);

// "AdminNetworkPolicy deny-prod (priority 10)", "BaselineAdminNetworkPolicy default",
// "ClusterNetworkPolicy x (Baseline tier, priority 3)".
std::string DescribeClusterPolicy(const ClusterPolicyInfo& policy);
// "AdminNetworkPolicy deny-prod spec.egress[0].to[1]": the policy's kind and name and the path.
std::string ClusterRuleName(const ClusterState& state, const ClusterRuleMatch& match);
// "warning: AdminNetworkPolicy a and ClusterNetworkPolicy b have the same priority (10) ..."
std::string DescribePriorityConflict(const ClusterState& state, const PriorityConflict& conflict);

}  // namespace netadmit
