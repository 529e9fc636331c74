// The connectivity engine updated in place (Connectivity::PutPod and the rest) against a fresh
// Build of the same state, after every one of 10,000 random events (every tenth, the whole
// matrix, the priority conflicts and the port stretches too): pods added, removed,
// relabelled, given addresses; NetworkPolicies and cluster-scoped policies added, changed and
// deleted; namespaces relabelled; and now and then a Compact(). The state the fresh build gets is
// kept by this test with plain vectors, not taken from the engine.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cluster_policy_testing.h"
#include "netadmit/connectivity/connectivity.h"
#include "random_cluster.h"

namespace netadmit {
namespace {

using namespace netadmit::testing;  // NOLINT(google-build-using-namespace)

const PortProtocol kPorts[] = {{79, Protocol::kTCP},
                               {80, Protocol::kTCP},
                               {81, Protocol::kTCP},
                               {80, Protocol::kUDP},
                               {9003, Protocol::kSCTP}};

// Replaces the element with the same key, or appends it.
template <typename T, typename Same>
void Upsert(std::vector<T>& items, T item, Same same) {
  const auto found =
      std::find_if(items.begin(), items.end(), [&](const T& other) { return same(other, item); });
  if (found != items.end()) {
    *found = std::move(item);
  } else {
    items.push_back(std::move(item));
  }
}

class UpdateModel {
 public:
  explicit UpdateModel(unsigned seed) : random_(seed) {}

  PodInfo RandomPod() {
    PodInfo pod;
    pod.namespace_name = std::string(1, static_cast<char>('a' + random_.Pick(4)));
    pod.name = "p" + std::to_string(random_.Pick(16));
    pod.labels = random_.RandomLabels();
    if (random_.Pick(2) == 0) {
      pod.ports.push_back({"http", random_.Pick(2) == 0 ? 80 : 81, Protocol::kTCP});
    }
    if (random_.Pick(3) != 0) {
      pod.ips.push_back("10.0." + std::to_string(random_.Pick(4)) + '.' +
                        std::to_string(1 + random_.Pick(250)));
    }
    return pod;
  }

  // One random event, applied to the engine and to `state`; returns what it was, for messages.
  std::string Event(Connectivity& engine, ClusterState& state) {
    const int pick = random_.Pick(20);
    if (pick < 7) {
      PodInfo pod = RandomPod();
      const std::string what = "put pod " + pod.namespace_name + '/' + pod.name;
      EXPECT_TRUE(engine.PutPod(pod).ok());
      Upsert(state.pods, std::move(pod), [](const PodInfo& a, const PodInfo& b) {
        return a.namespace_name == b.namespace_name && a.name == b.name;
      });
      return what;
    }
    if (pick < 10 && !state.pods.empty()) {
      const PodInfo pod = state.pods[random_.Pick(static_cast<int>(state.pods.size()))];
      engine.RemovePod(pod.namespace_name, pod.name);
      std::erase_if(state.pods, [&](const PodInfo& p) {
        return p.namespace_name == pod.namespace_name && p.name == pod.name;
      });
      return "remove pod " + pod.namespace_name + '/' + pod.name;
    }
    if (pick < 14) {
      PolicyInfo policy = random_.Policy("np" + std::to_string(random_.Pick(12)));
      const std::string what = "put policy " + policy.namespace_name + '/' + policy.name;
      EXPECT_TRUE(engine.PutPolicy(policy).ok());
      Upsert(state.policies, std::move(policy), [](const PolicyInfo& a, const PolicyInfo& b) {
        return a.namespace_name == b.namespace_name && a.name == b.name;
      });
      return what;
    }
    if (pick < 16 && !state.policies.empty()) {
      const PolicyInfo policy =
          state.policies[random_.Pick(static_cast<int>(state.policies.size()))];
      engine.RemovePolicy(policy.namespace_name, policy.name);
      std::erase_if(state.policies, [&](const PolicyInfo& p) {
        return p.namespace_name == policy.namespace_name && p.name == policy.name;
      });
      return "remove policy " + policy.namespace_name + '/' + policy.name;
    }
    if (pick < 17) {
      ClusterPolicyInfo policy =
          RandomClusterPolicy(random_, "cp" + std::to_string(random_.Pick(6)));
      const std::string what = "put cluster policy " + policy.name;
      EXPECT_TRUE(engine.PutClusterPolicy(policy).ok());
      Upsert(state.cluster_policies, std::move(policy),
             [](const ClusterPolicyInfo& a, const ClusterPolicyInfo& b) {
               return a.spec.kind == b.spec.kind && a.name == b.name;
             });
      return what;
    }
    if (pick < 18 && !state.cluster_policies.empty()) {
      const ClusterPolicyInfo policy =
          state.cluster_policies[random_.Pick(static_cast<int>(state.cluster_policies.size()))];
      engine.RemoveClusterPolicy(policy.spec.kind, policy.name);
      std::erase_if(state.cluster_policies, [&](const ClusterPolicyInfo& p) {
        return p.spec.kind == policy.spec.kind && p.name == policy.name;
      });
      return "remove cluster policy " + policy.name;
    }
    if (pick < 19) {
      NamespaceInfo ns{std::string(1, static_cast<char>('a' + random_.Pick(4))),
                       random_.RandomLabels()};
      const std::string what = "relabel namespace " + ns.name;
      engine.PutNamespace(ns);
      Upsert(state.namespaces, std::move(ns),
             [](const NamespaceInfo& a, const NamespaceInfo& b) { return a.name == b.name; });
      return what;
    }
    return engine.Compact() ? "compact" : "compact (nothing to do)";
  }

  // Compares the kept engine with a fresh build: on a sample of pod pairs (and outside
  // addresses), and with `whole`, the whole matrix's allowed pairs on every port.
  void Compare(const Connectivity& kept, const ClusterState& state, const std::string& after,
               bool whole) {
    auto fresh = Connectivity::Build(state);
    ASSERT_TRUE(fresh.ok()) << fresh.error().ToString();
    ASSERT_EQ(kept.live_pod_count(), state.pods.size()) << after;
    const std::vector<PortProtocol> ports(std::begin(kPorts), std::end(kPorts));
    if (whole) {
      const ReachMatrix kept_matrix = kept.ComputeMatrix(ports);
      const ReachMatrix fresh_matrix = fresh->ComputeMatrix(ports);
      for (std::size_t p = 0; p < ports.size(); ++p) {
        ASSERT_EQ(kept_matrix.AllowedPairs(p), fresh_matrix.AllowedPairs(p))
            << "after " << after << " on " << ports[p].ToString();
      }
    }
    const auto endpoint = [&](const Connectivity& engine, int pick) {
      if (pick >= static_cast<int>(state.pods.size())) {
        return Endpoint::External(pick % 2 == 0 ? "10.0.1.7" : "192.0.2.1");
      }
      const PodInfo& pod = state.pods[pick];
      return Endpoint::Pod(*engine.FindPod(pod.namespace_name, pod.name));
    };
    for (int sample = 0; sample < 6; ++sample) {
      const int from = random_.Pick(static_cast<int>(state.pods.size()) + 2);
      const int to = random_.Pick(static_cast<int>(state.pods.size()) + 2);
      const PortProtocol& port = kPorts[random_.Pick(std::size(kPorts))];
      const Endpoint kept_from = endpoint(kept, from);
      const Endpoint kept_to = endpoint(kept, to);
      const bool kept_allowed = kept.Decide(kept_from, kept_to, port).Allowed();
      ASSERT_EQ(kept.Allowed(kept_from, kept_to, port), kept_allowed) << "Allowed and Decide";
      if (kept.ClosedOnEveryPort(kept_from, kept_to)) {
        for (const PortProtocol& any : kPorts) {
          ASSERT_FALSE(kept.Decide(kept_from, kept_to, any).Allowed())
              << "closed on every port, yet open on " << any.ToString() << " after " << after;
        }
        ++closed_on_every_port_;
      }
      ASSERT_EQ(kept_allowed,
                fresh->Decide(endpoint(*fresh, from), endpoint(*fresh, to), port).Allowed())
          << "after " << after << ": " << kept.Describe(kept_from) << " -> "
          << kept.Describe(kept_to) << " on " << port.ToString();
      if (whole && kept_from.pod && kept_to.pod) {
        const ReachMatrix one = kept.ComputeMatrix(std::span(&port, 1));
        ASSERT_EQ(one.Allowed(0, *kept_from.pod, *kept_to.pod), kept_allowed) << "after " << after;
      }
    }
    if (!whole) {
      return;
    }
    ASSERT_EQ(kept.PriorityConflicts().size(), fresh->PriorityConflicts().size()) << after;
    for (const Protocol protocol : {Protocol::kTCP, Protocol::kUDP}) {
      // Finer stretches are exact too, so only: every stretch start of a fresh build is one here.
      const auto fresh_ports = fresh->DistinctPorts(protocol, 1, 65535);
      const auto kept_ports = kept.DistinctPorts(protocol, 1, 65535);
      for (const PortProtocol& port : fresh_ports) {
        ASSERT_TRUE(std::find(kept_ports.begin(), kept_ports.end(), port) != kept_ports.end())
            << "after " << after << ": no stretch starts at " << port.ToString();
      }
    }
  }

  // Sampled pairs ClosedOnEveryPort said were closed (and every port was checked closed).
  int closed_on_every_port() const { return closed_on_every_port_; }

 private:
  RandomCluster random_;
  int closed_on_every_port_ = 0;
};

TEST(ConnectivityUpdate, TenThousandRandomEventsAnswerAsAFreshBuild) {
  UpdateModel model(20261203);
  ClusterState state;
  for (const char* ns : {"a", "b", "c", "d"}) {
    state.namespaces.push_back(NamespaceInfo{ns, {}});
  }
  auto engine = Connectivity::Build(state);
  ASSERT_TRUE(engine.ok());
  for (int event = 0; event < 10000; ++event) {
    const std::string what = model.Event(*engine, state);
    model.Compare(*engine, state, "event " + std::to_string(event) + " (" + what + ')',
                  event % 10 == 0);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
  std::printf("closed on every port: %d sampled pairs\n", model.closed_on_every_port());
  EXPECT_GT(model.closed_on_every_port(), 100);  // the shortcut was put to the test
}

TEST(ConnectivityUpdate, AFailedPutChangesNothing) {
  ClusterState state;
  state.pods.push_back(PodInfo{"a", "web", {{"app", "web"}}, {}, {"10.0.0.1"}});
  auto engine = Connectivity::Build(state);
  ASSERT_TRUE(engine.ok());
  PolicyInfo bad{"a", "deny", {}};
  bad.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress};
  bad.spec.ingress.push_back(
      NetworkPolicyRule{{}, {NetworkPolicyPeer{{}, {}, IPBlock{"10.0.0.0/33", {}}}}});
  const auto failed = engine->PutPolicy(bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(
      failed.error().ToString(),
      "spec.ingress[0].from[0].ipBlock.cidr: NetworkPolicy a/deny: invalid CIDR \"10.0.0.0/33\": "
      "prefix length must be a number from 0 to 32");
  EXPECT_FALSE(engine->FindPolicy("a", "deny"));
  const Endpoint web = Endpoint::Pod(*engine->FindPod("a", "web"));
  EXPECT_TRUE(engine->Decide(web, web, {80, Protocol::kTCP}).Allowed());
  const auto bad_pod = engine->PutPod(PodInfo{"a", "web", {}, {}, {"10.0.0.300"}});
  ASSERT_FALSE(bad_pod.ok());
  EXPECT_EQ(bad_pod.error().ToString(), "status.podIPs: pod a/web: invalid IP \"10.0.0.300\"");
  EXPECT_EQ(engine->state().pods[*engine->FindPod("a", "web")].labels.at("app"), "web");
}

TEST(ConnectivityUpdate, CompactDropsWhatUpdatesRemoved) {
  auto engine = Connectivity::Build(ClusterState{});
  ASSERT_TRUE(engine.ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(engine->PutPod(PodInfo{"a", "web", {{"v", std::to_string(i)}}, {}, {}}).ok());
  }
  EXPECT_EQ(engine->state().pods.size(), 100U);
  EXPECT_TRUE(engine->Compact());
  EXPECT_EQ(engine->state().pods.size(), 1U);
  EXPECT_EQ(engine->class_count(), 1U);
  EXPECT_EQ(engine->state().pods[*engine->FindPod("a", "web")].labels.at("v"), "99");
  EXPECT_FALSE(engine->Compact());
}

}  // namespace
}  // namespace netadmit
