#pragma once

// `netadmit reach`: reads manifests (or `kubectl get ... -o yaml` output), builds the
// connectivity engine of connectivity.h over the pods, namespaces, NetworkPolicies and
// cluster-scoped policies found, and answers who reaches whom on which ports, as a table, JSON or
// Graphviz DOT; explains one pair; lists the connections two sets of manifests differ by; and
// lists exposed pods. Every answer carries the warnings about Admin-tier policies of equal
// priority (PriorityWarnings).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/model/result.h"

namespace netadmit {

// Collects from manifests: Namespaces (labels), NetworkPolicies, AdminNetworkPolicies,
// BaselineAdminNetworkPolicies and ClusterNetworkPolicies, and Pods (labels, named container ports,
// status.podIP/podIPs). Pods on the host network are left out (NetworkPolicy does not apply to
// them). When the input holds no Pod at all, each pod controller (Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job, CronJob, ReplicationController) stands for its pods as one pod named
// after it. Objects without a namespace get `default_namespace`. Fails on an object that does not
// decode, naming file and line.
struct ReachInput {
  ClusterState state;
  // Every declared container port (named or not) per pod, for the default --port list.
  std::vector<std::vector<PortProtocol>> container_ports;
};
Result<ReachInput> BuildReachInput(const std::vector<ManifestObject>& manifests,
                                   std::string_view default_namespace);

// Picks endpoints by the --from/--to syntax:
//   ""                every pod          NS/NAME          one pod
//   NS/* or NS/       pods of NS         NS/app=web,!canary  pods of NS matching the selector
//   app=web,tier!=db  matching pods of every namespace (=, ==, !=, KEY, !KEY)
//   10.1.2.3, fd00::1 an address outside the cluster
// Fails when the text does not parse or selects nothing.
Result<std::vector<Endpoint>> SelectEndpoints(const Connectivity& engine, std::string_view text);

// One line per pair of Connectivity::PriorityConflicts: "AdminNetworkPolicy a and
// AdminNetworkPolicy b have the same priority (10): ...". Empty without such pairs.
std::vector<std::string> PriorityWarnings(const Connectivity& engine);

// The distinct container ports declared by the given pods, sorted; empty when none are.
std::vector<PortProtocol> DeclaredPorts(const ReachInput& input, const std::vector<Endpoint>& pods);

struct ReachTable {
  std::vector<std::string> sources;       // "ns/pod" or an address
  std::vector<std::string> destinations;  // "ns/pod" or an address
  std::vector<PortProtocol> ports;
  // allowed[port][source * destinations.size() + destination]
  std::vector<std::vector<uint8_t>> allowed;
  std::vector<std::string> warnings;  // PriorityWarnings

  bool Allowed(std::size_t port, std::size_t source, std::size_t destination) const {
    return allowed[port][source * destinations.size() + destination] != 0;
  }
};

// The answer for every source, destination and port (pod pairs from the class matrix).
ReachTable ComputeReachTable(const Connectivity& engine, const std::vector<Endpoint>& sources,
                             const std::vector<Endpoint>& destinations,
                             const std::vector<PortProtocol>& ports);

// Connections that differ between two sets of manifests, over the pods of either.
struct ReachChange {
  std::string from;
  std::string to;
  PortProtocol port;
  bool gained = false;  // false: lost
};
// A cluster-scoped policy added, removed or changed between the two sets (by kind and name).
struct ClusterPolicyChange {
  enum class How { kAdded, kRemoved, kChanged };
  std::string policy;  // "AdminNetworkPolicy deny-prod"
  How how = How::kChanged;
};
struct ReachDiff {
  std::vector<PortProtocol> ports;
  std::vector<ReachChange> changes;                   // sorted: lost then gained, by port, from, to
  std::vector<ClusterPolicyChange> cluster_policies;  // by kind and name
  bool any_cluster_policies = false;                  // either side has some
  std::vector<std::string> warnings;                  // PriorityWarnings of the new side
};
struct DiffOptions {
  std::string old_name;  // what the old manifests came from, for errors
  std::string new_name;
  std::string from;                 // as SelectEndpoints, pods only; "" = every pod
  std::string to;                   // as SelectEndpoints, pods only; "" = every pod
  std::vector<PortProtocol> ports;  // empty: the ports declared by the destinations of both
};
Result<ReachDiff> DiffReach(const ReachInput& old_input, const ReachInput& new_input,
                            const DiffOptions& options);

// Pods open to many: reachable from outside the cluster or from every namespace that has pods
// (on which ports), and pods not isolated, per direction: some connection on the ports, with a
// pod or an outside address, is allowed only by default (no Admin-tier rule, NetworkPolicy or
// Baseline-tier rule decides it). A pod whose every connection an Admin or Baseline rule denies is
// not open.
struct ExposedPod {
  std::string pod;                  // "ns/pod"
  std::vector<PortProtocol> ports;  // where it is exposed
};
struct Exposure {
  std::vector<PortProtocol> ports;
  std::vector<ExposedPod> from_outside;
  std::vector<ExposedPod> from_every_namespace;
  std::vector<std::string> ingress_not_isolated;
  std::vector<std::string> egress_not_isolated;
  std::vector<std::string> warnings;  // PriorityWarnings
};
// Outside addresses tried: one address of every ipBlock CIDR and of every ingress `networks`
// CIDR, one just past each `except`, and 192.0.2.1 and 2001:db8::1 for rules that admit every
// source.
Exposure ComputeExposure(const Connectivity& engine, const std::vector<Endpoint>& pods,
                         const std::vector<PortProtocol>& ports);

}  // namespace netadmit
