#pragma once

// Random clusters for property tests of the connectivity engine: four namespaces with random
// labels, pods with random labels, a named port `http` (80 or 81/TCP) on some and an address in
// 10.0.0.0/22 on most, and NetworkPolicies with random selectors, types, ports (numbers, ranges,
// named) and peers (selectors, ipBlocks with or without except).

#include <random>
#include <string>
#include <vector>

#include "netadmit/connectivity/connectivity.h"

namespace netadmit::testing {

class RandomCluster {
 public:
  explicit RandomCluster(unsigned seed) : rng_(seed) {}

  ClusterState State(int pods) {
    ClusterState state;
    for (const char* ns : {"a", "b", "c", "d"}) {
      state.namespaces.push_back(NamespaceInfo{ns, RandomLabels()});
    }
    for (int i = 0; i < pods; ++i) {
      PodInfo pod;
      pod.namespace_name = state.namespaces[Pick(4)].name;
      pod.name = "p" + std::to_string(i);
      pod.labels = RandomLabels();
      if (Pick(2) == 0) {
        pod.ports.push_back({"http", Pick(2) == 0 ? 80 : 81, Protocol::kTCP});
      }
      if (Pick(3) != 0) {
        pod.ips.push_back("10.0." + std::to_string(Pick(4)) + '.' + std::to_string(i + 1));
      }
      state.pods.push_back(std::move(pod));
    }
    return state;
  }

  PolicyInfo Policy(const std::string& name) {
    PolicyInfo policy;
    policy.namespace_name = std::string(1, static_cast<char>('a' + Pick(4)));
    policy.name = name;
    policy.spec.pod_selector = RandomSelector();
    switch (Pick(4)) {
      case 0:
        policy.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress};
        break;
      case 1:
        policy.spec.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
        break;
      case 2:
        policy.spec.policy_types =
            std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress};
        break;
      default:
        break;  // inferred
    }
    for (int i = Pick(3); i > 0; --i) {
      policy.spec.ingress.push_back(RandomRule());
    }
    for (int i = Pick(3); i > 0; --i) {
      policy.spec.egress.push_back(RandomRule());
    }
    return policy;
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Labels RandomLabels() {
    Labels labels;
    for (const char* key : {"app", "env", "tier"}) {
      if (Pick(3) != 0) {
        labels[key] = std::string(1, static_cast<char>('0' + Pick(3)));
      }
    }
    return labels;
  }

  LabelSelector RandomSelector() {
    LabelSelector selector;
    const char* keys[] = {"app", "env", "tier"};
    if (Pick(2) == 0) {
      selector.match_labels[keys[Pick(3)]] = std::string(1, static_cast<char>('0' + Pick(3)));
    }
    if (Pick(3) == 0) {
      SelectorRequirement requirement;
      requirement.key = keys[Pick(3)];
      requirement.op = static_cast<SelectorOperator>(Pick(4));
      if (requirement.op == SelectorOperator::kIn || requirement.op == SelectorOperator::kNotIn) {
        requirement.values = {std::string(1, static_cast<char>('0' + Pick(3)))};
      }
      selector.match_expressions.push_back(requirement);
    }
    return selector;
  }

 private:
  NetworkPolicyRule RandomRule() {
    NetworkPolicyRule rule;
    for (int i = Pick(3); i > 0; --i) {
      NetworkPolicyPort port;
      port.protocol = Pick(4) == 0 ? Protocol::kUDP : Protocol::kTCP;
      switch (Pick(4)) {
        case 0:
          port.port = 80 + Pick(2);
          break;
        case 1:
          port.port = 79 + Pick(2);
          port.end_port = 81;
          break;
        case 2:
          port.named_port = "http";
          break;
        default:
          break;  // every port
      }
      rule.ports.push_back(port);
    }
    for (int i = Pick(3); i > 0; --i) {
      NetworkPolicyPeer peer;
      switch (Pick(4)) {
        case 0:
          peer.pod_selector = RandomSelector();
          break;
        case 1:
          peer.namespace_selector = RandomSelector();
          break;
        case 2:
          peer.pod_selector = RandomSelector();
          peer.namespace_selector = RandomSelector();
          break;
        default:
          peer.ip_block = IPBlock{"10.0." + std::to_string(Pick(4)) + ".0/23",
                                  {"10.0." + std::to_string(Pick(4)) + ".0/24"}};
          if (Pick(2) == 0) {
            peer.ip_block->except.clear();
          }
          break;
      }
      rule.peers.push_back(peer);
    }
    return rule;
  }

  std::mt19937 rng_;
};

}  // namespace netadmit::testing
