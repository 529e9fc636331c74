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
#include "random_cluster.h"

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

// A random cluster policy over RandomCluster's labels: any kind and tier, priorities from few
// values (so that equal priorities happen), namespaces or pods subjects, rules with every action,
// every kind of peer (now and then one with no known field) and ports of every form.
inline ClusterPolicyInfo RandomClusterPolicy(RandomCluster& random, const std::string& name) {
  ClusterPolicyInfo policy;
  policy.name = name;
  switch (random.Pick(4)) {
    case 0:
      policy.spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
      policy.spec.tier = ClusterPolicyTier::kAdmin;
      break;
    case 1:
      policy.spec.kind = ClusterPolicyKind::kBaselineAdminNetworkPolicy;
      policy.spec.tier = ClusterPolicyTier::kBaseline;
      break;
    default:
      policy.spec.kind = ClusterPolicyKind::kClusterNetworkPolicy;
      policy.spec.tier =
          random.Pick(2) == 0 ? ClusterPolicyTier::kAdmin : ClusterPolicyTier::kBaseline;
      break;
  }
  if (policy.spec.kind != ClusterPolicyKind::kBaselineAdminNetworkPolicy) {
    policy.spec.priority = random.Pick(3);
  }
  if (random.Pick(2) == 0) {
    policy.spec.subject.namespaces = random.RandomSelector();
  } else {
    policy.spec.subject.pods =
        NamespacedPodSelector{random.RandomSelector(), random.RandomSelector()};
  }
  const ClusterPeerKind kinds[] = {ClusterPeerKind::kNamespaces,  ClusterPeerKind::kPods,
                                   ClusterPeerKind::kNetworks,    ClusterPeerKind::kNodes,
                                   ClusterPeerKind::kDomainNames, ClusterPeerKind::kUnknown};
  for (auto* rules : {&policy.spec.ingress, &policy.spec.egress}) {
    for (int r = random.Pick(4); r > 0; --r) {
      ClusterPolicyRule rule;
      rule.action = static_cast<ClusterRuleAction>(random.Pick(3));
      for (int p = 1 + random.Pick(2); p > 0; --p) {
        // Mostly namespaces and pods; networks often; the rest rarely.
        const int pick = random.Pick(16);
        ClusterPolicyPeer peer;
        peer.kind = kinds[pick < 5 ? 0 : pick < 10 ? 1 : pick < 13 ? 2 : pick - 10];
        peer.namespace_selector = random.RandomSelector();
        peer.pod_selector = random.RandomSelector();
        if (peer.kind == ClusterPeerKind::kNetworks) {
          peer.networks = {"10.0." + std::to_string(random.Pick(4)) + ".0/" +
                           std::to_string(23 + random.Pick(2))};
        }
        rule.peers.push_back(peer);
      }
      if (random.Pick(3) != 0) {
        rule.ports = std::vector<ClusterPolicyPort>{};
        for (int p = 1 + random.Pick(2); p > 0; --p) {
          const auto protocol = static_cast<Protocol>(random.Pick(3));
          switch (random.Pick(3)) {
            case 0:
              rule.ports->push_back(PortNumber(protocol, random.Pick(2) == 0 ? 80 : 9003));
              break;
            case 1:
              rule.ports->push_back(PortRange(protocol, 79, 80));
              break;
            default:
              rule.ports->push_back(NamedClusterPort("http"));
              break;
          }
        }
      }
      rules->push_back(rule);
    }
  }
  return policy;
}

}  // namespace netadmit::testing
