#pragma once

// Helpers for the tests of the connectivity engine with cluster-scoped policies: short builders
// for AdminNetworkPolicies, BaselineAdminNetworkPolicies and ClusterNetworkPolicies (written as
// the model holds them, so that these tests do not depend on the decoder), and a checked Build.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netadmit/connectivity/connectivity.h"

namespace netadmit::testing {

inline LabelSelector Selector(Labels labels) {
  LabelSelector selector;
  selector.match_labels = std::move(labels);
  return selector;
}

inline ClusterPolicyPeer NamespacesPeer(LabelSelector namespaces) {
  ClusterPolicyPeer peer;
  peer.kind = ClusterPeerKind::kNamespaces;
  peer.namespace_selector = std::move(namespaces);
  return peer;
}

inline ClusterPolicyPeer PodsPeer(LabelSelector namespaces, LabelSelector pods) {
  ClusterPolicyPeer peer;
  peer.kind = ClusterPeerKind::kPods;
  peer.namespace_selector = std::move(namespaces);
  peer.pod_selector = std::move(pods);
  return peer;
}

inline ClusterPolicyPeer NetworksPeer(std::vector<std::string> cidrs) {
  ClusterPolicyPeer peer;
  peer.kind = ClusterPeerKind::kNetworks;
  peer.networks = std::move(cidrs);
  return peer;
}

inline ClusterPolicyPeer OtherPeer(ClusterPeerKind kind) {
  ClusterPolicyPeer peer;
  peer.kind = kind;
  if (kind == ClusterPeerKind::kDomainNames) {
    peer.domain_names = {"*.example.com"};
  }
  return peer;
}

inline ClusterPolicyPort PortNumber(Protocol protocol, int32_t port) {
  return ClusterPolicyPort{protocol, port, port, std::nullopt};
}

inline ClusterPolicyPort PortRange(Protocol protocol, int32_t first, int32_t last) {
  return ClusterPolicyPort{protocol, first, last, std::nullopt};
}

inline ClusterPolicyPort NamedClusterPort(std::string name) {
  return ClusterPolicyPort{Protocol::kTCP, 0, 0, std::move(name)};
}

inline ClusterPolicyRule ClusterRule(std::string name, ClusterRuleAction action,
                                     std::vector<ClusterPolicyPeer> peers,
                                     std::optional<std::vector<ClusterPolicyPort>> ports = {}) {
  return ClusterPolicyRule{std::move(name), action, std::move(peers), std::move(ports)};
}

inline ClusterPolicySubject NamespacesSubject(LabelSelector namespaces) {
  ClusterPolicySubject subject;
  subject.namespaces = std::move(namespaces);
  return subject;
}

inline ClusterPolicySubject PodsSubject(LabelSelector namespaces, LabelSelector pods) {
  ClusterPolicySubject subject;
  subject.pods = NamespacedPodSelector{std::move(namespaces), std::move(pods)};
  return subject;
}

inline ClusterPolicyInfo AdminPolicy(std::string name, int32_t priority,
                                     ClusterPolicySubject subject,
                                     std::vector<ClusterPolicyRule> ingress,
                                     std::vector<ClusterPolicyRule> egress) {
  ClusterPolicyInfo policy;
  policy.name = std::move(name);
  policy.spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
  policy.spec.tier = ClusterPolicyTier::kAdmin;
  policy.spec.priority = priority;
  policy.spec.subject = std::move(subject);
  policy.spec.ingress = std::move(ingress);
  policy.spec.egress = std::move(egress);
  return policy;
}

inline ClusterPolicyInfo BaselinePolicy(ClusterPolicySubject subject,
                                        std::vector<ClusterPolicyRule> ingress,
                                        std::vector<ClusterPolicyRule> egress) {
  ClusterPolicyInfo policy =
      AdminPolicy("default", 0, std::move(subject), std::move(ingress), std::move(egress));
  policy.spec.kind = ClusterPolicyKind::kBaselineAdminNetworkPolicy;
  policy.spec.tier = ClusterPolicyTier::kBaseline;
  return policy;
}

inline ClusterPolicyInfo ClusterPolicy(std::string name, ClusterPolicyTier tier, int32_t priority,
                                       ClusterPolicySubject subject,
                                       std::vector<ClusterPolicyRule> ingress,
                                       std::vector<ClusterPolicyRule> egress) {
  ClusterPolicyInfo policy = AdminPolicy(std::move(name), priority, std::move(subject),
                                         std::move(ingress), std::move(egress));
  policy.spec.kind = ClusterPolicyKind::kClusterNetworkPolicy;
  policy.spec.tier = tier;
  return policy;
}

inline Connectivity MustBuildEngine(ClusterState state) {
  auto built = Connectivity::Build(std::move(state));
  if (!built.ok()) {
    ADD_FAILURE() << built.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  return std::move(built.value());
}

// Every ordered pair of pods on `port`: the matrix gives Decide's answer.
inline void ExpectMatrixAgrees(const Connectivity& engine, const PortProtocol& port,
                               const std::string& context) {
  const ReachMatrix matrix = engine.ComputeMatrix(std::span(&port, 1));
  const std::size_t pods = engine.state().pods.size();
  for (std::size_t from = 0; from < pods; ++from) {
    for (std::size_t to = 0; to < pods; ++to) {
      const Endpoint a = Endpoint::Pod(from);
      const Endpoint b = Endpoint::Pod(to);
      ASSERT_EQ(matrix.Allowed(0, from, to), engine.Decide(a, b, port).Allowed())
          << context << ": matrix and Decide differ\n"
          << engine.Explain(a, b, port);
    }
  }
}

}  // namespace netadmit::testing
