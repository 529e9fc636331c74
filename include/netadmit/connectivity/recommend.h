#pragma once

// Least-privilege NetworkPolicies recommended from observed traffic (`netadmit recommend`): per
// namespace a default deny and, per workload, one ingress and one egress policy that let through
// exactly the connections a flow log saw (FlowReplay's distinct connections), generalised to the
// workloads that made them. The recommendation is proven before it is returned: the engine built
// over the cluster with it in place allows every observed connection it covers.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/connectivity/connectivity.h"
#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/model/result.h"

namespace netadmit {

// The labels that tell replicas of one workload apart; a pod's workload never selects by them.
inline constexpr std::string_view kReplicaLabels[] = {
    "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index"};

// Where the cluster DNS is: egress to it on 53/UDP and 53/TCP is kept for every workload that
// has egress recommended, observed or not, since a pod that cannot resolve names reaches nothing;
// and when its namespace is recommended for, its ingress from every namespace on those ports.
inline constexpr std::string_view kDnsNamespace = "kube-system";
inline constexpr std::string_view kDnsLabelKey = "k8s-app";
inline constexpr std::string_view kDnsLabelValue = "kube-dns";

// The annotation every recommended policy carries: what it stands for.
inline constexpr std::string_view kObservedAnnotation = "netadmit.io/observed";

struct RecommendOptions {
  // Recommend for this namespace only; empty: for every namespace an observed connection has a
  // pod in.
  std::string namespace_name;
  // The labels that name a pod's workload, the first one the pod carries selecting it; a pod
  // with none of them is selected by all its labels but kReplicaLabels.
  std::vector<std::string> label_keys = {"app.kubernetes.io/name", "app"};
  // Addresses outside the cluster as blocks of this prefix length (IPv4, IPv6); nullopt: the
  // exact address (/32, /128).
  std::optional<int> ipv4_prefix;
  std::optional<int> ipv6_prefix;
  // Keep the namespaces' policies and recommend only what the observed connections they deny
  // need; otherwise the recommendation replaces them.
  bool keep_existing = false;
};

struct RecommendedPolicy {
  PolicyInfo policy;
  bool default_deny = false;
  std::size_t connections = 0;  // distinct observed connections it lets through (its direction)
  uint64_t observations = 0;    // the flows behind them
  std::string last_seen;        // the latest time among them; empty when the log gave none
  // Up to kMaxExamples of those connections: "prod/web-1 -> prod/db-0 5432/TCP".
  std::vector<std::string> examples;

  static constexpr std::size_t kMaxExamples = 10;

  // The value of kObservedAnnotation: "3 connections (17 flows), last seen 2024-05-01T10:00:08Z".
  std::string ObservedText() const;
};

// How close a namespace's recommended policies are to what was observed: the ordered pairs of
// pod classes, on each port observed, with an end in the namespace.
struct NamespaceScore {
  std::string name;
  std::size_t policies = 0;
  std::size_t connections = 0;  // observed connections with a pod here that the set allows
  uint64_t allowed_pairs = 0;   // pairs the policies (with the rest of the cluster's) allow
  uint64_t observed_pairs = 0;  // of those, the ones an observed connection stands for

  uint64_t BeyondObserved() const { return allowed_pairs - observed_pairs; }
};

// An observed connection the recommendation does not let through, and why.
struct LeftOut {
  ReplayedConnection connection;
  std::string reason;
};

struct Recommendation {
  // By namespace; in each the default deny first, then by name.
  std::vector<RecommendedPolicy> policies;
  std::vector<NamespaceScore> namespaces;  // by name
  std::vector<PortProtocol> ports;         // the observed ports the scores count, ascending
  std::size_t observed = 0;           // observed connections (not dropped) with an end in scope
  std::size_t covered = 0;            // of those, the ones the recommendation allows
  uint64_t covered_observations = 0;  // the flows behind them
  std::vector<ReplayedConnection> dropped;  // the network dropped them: nothing recommended
  std::vector<LeftOut> left_out;
  // Workloads selected by every pod of their namespace (pods without labels to tell them apart).
  std::vector<std::string> warnings;
};

// Recommends policies for the observed `connections` (a FlowReplay over `engine`'s cluster) and
// proves them: fails, naming the connection, when the engine built with the recommendation in
// place denies one it should let through (a defect), or when that build fails. Connections the
// recommendation cannot let through (an Admin-tier deny, a pod the input lacks, an end in
// another namespace whose policies deny it) are listed in `left_out`; dropped ones in `dropped`.
Result<Recommendation> Recommend(const Connectivity& engine,
                                 std::span<const ReplayedConnection> connections,
                                 const RecommendOptions& options);

// The proof on its own: with `policies` added to `engine`'s state (the namespaces' own replaced
// unless options.keep_existing), every connection of `must_allow` (not dropped) whose pod ends lie
// in `namespaces` is let through in those ends' directions, unless a cluster-scoped policy decides
// against it. Fails naming the first that is not, with the engine's explanation.
Status ProveRecommendation(const Connectivity& engine, std::span<const PolicyInfo> policies,
                           std::span<const ReplayedConnection> must_allow,
                           std::span<const std::string> namespaces,
                           const RecommendOptions& options);

}  // namespace netadmit
