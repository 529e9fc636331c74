// Least-privilege NetworkPolicies recommended from observed flows: the exact policies for the
// cluster of tests/fixtures/recommend (workload selectors, peers, named ports, DNS kept, ipBlocks
// exact and aggregated), what each stands for, the scores, --namespace, --existing, what is left
// out and why, the proof, and a property over random clusters and random traffic.

#include "netadmit/connectivity/recommend.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "files/inputs.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/reach.h"
#include "random_cluster.h"

namespace netadmit {
namespace {

const std::string kFixtures = std::string(NETADMIT_FIXTURES_DIR) + "/recommend/";

ClusterState ReadState(const std::vector<std::string>& inputs, const std::string& extra = "") {
  auto manifests = ReadAllManifests(inputs);
  EXPECT_TRUE(manifests) << manifests.error().ToString();
  if (!manifests) {
    return {};
  }
  if (!extra.empty()) {
    auto more = ParseManifests("extra", extra);
    EXPECT_TRUE(more) << more.error().ToString();
    manifests->insert(manifests->end(), more->begin(), more->end());
  }
  auto input = BuildReachInput(*manifests, "default");
  EXPECT_TRUE(input) << input.error().ToString();
  return input ? input->state : ClusterState{};
}

Connectivity MustBuild(ClusterState state) {
  auto engine = Connectivity::Build(std::move(state));
  if (!engine) {
    ADD_FAILURE() << engine.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  return std::move(engine.value());
}

ReplaySummary Replay(const Connectivity& engine, const std::vector<std::string>& lines) {
  FlowReplay replay(engine);
  int number = 0;
  for (const std::string& line : lines) {
    replay.Feed(line, ++number);
  }
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.malformed, 0u) << summary.first_errors.front().ToString();
  return summary;
}

std::vector<std::string> FixtureFlows() {
  std::ifstream in(kFixtures + "flows.jsonl");
  EXPECT_TRUE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

Recommendation MustRecommend(const Connectivity& engine, const ReplaySummary& observed,
                             const RecommendOptions& options = {}) {
  auto recommendation = Recommend(engine, observed.connections, options);
  if (!recommendation) {
    ADD_FAILURE() << recommendation.error().ToString();
    return {};
  }
  return std::move(recommendation.value());
}

// --- policies as one line each, to compare exactly ---

std::string SelectorText(const LabelSelector& selector) {
  return selector.Empty() ? "all" : FormatSelector(selector);
}

std::string PeerText(const NetworkPolicyPeer& peer) {
  std::string out;
  if (peer.namespace_selector) {
    out += "ns(" + SelectorText(*peer.namespace_selector) + ")";
  }
  if (peer.pod_selector) {
    out += std::string(out.empty() ? "" : " ") + "pods(" + SelectorText(*peer.pod_selector) + ")";
  }
  if (peer.ip_block) {
    out += peer.ip_block->cidr;
  }
  return out;
}

std::string RulesText(const std::vector<NetworkPolicyRule>& rules, const char* direction) {
  std::string out;
  for (const NetworkPolicyRule& rule : rules) {
    out += std::string(" | ") + direction;
    for (const NetworkPolicyPeer& peer : rule.peers) {
      out += ' ' + PeerText(peer);
    }
    out += " on";
    for (const NetworkPolicyPort& port : rule.ports) {
      out += std::string(" ") + ProtocolName(port.protocol) + ':' +
             (port.named_port ? *port.named_port : std::to_string(port.port.value_or(0)));
    }
  }
  return out;
}

std::string PolicyText(const PolicyInfo& policy) {
  std::string types;
  for (PolicyType type : policy.spec.policy_types.value_or(std::vector<PolicyType>{})) {
    types += type == PolicyType::kIngress ? " Ingress" : " Egress";
  }
  return policy.namespace_name + '/' + policy.name + " [" + SelectorText(policy.spec.pod_selector) +
         "]" + types + RulesText(policy.spec.ingress, "from") + RulesText(policy.spec.egress, "to");
}

std::vector<std::string> PolicyTexts(const Recommendation& recommendation) {
  std::vector<std::string> out;
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    out.push_back(PolicyText(recommended.policy));
  }
  return out;
}

const RecommendedPolicy* FindPolicy(const Recommendation& recommendation,
                                    const std::string& namespace_name, const std::string& name) {
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    if (recommended.policy.namespace_name == namespace_name && recommended.policy.name == name) {
      return &recommended;
    }
  }
  ADD_FAILURE() << "no policy " << namespace_name << '/' << name;
  return nullptr;
}

constexpr const char* kDnsPeer =
    "ns(kubernetes.io/metadata.name=kube-system) pods(k8s-app=kube-dns)";

class RecommendFixture : public ::testing::Test {
 protected:
  RecommendFixture()
      : engine_(MustBuild(ReadState({kFixtures + "cluster.yaml"}))),
        observed_(Replay(engine_, FixtureFlows())) {}

  Connectivity engine_;
  ReplaySummary observed_;
};

TEST_F(RecommendFixture, ExactPoliciesPerWorkload) {
  const Recommendation recommendation = MustRecommend(engine_, observed_);
  const std::string dns = kDnsPeer;
  EXPECT_EQ(
      PolicyTexts(recommendation),
      (std::vector<std::string>{
          "front/default-deny [all] Ingress Egress",
          // The gateway pod's hash label is left out; web is named by its port name.
          "front/allow-gateway-egress [app.kubernetes.io/name=gateway] Egress | to " + dns +
              " on TCP:53 UDP:53 | to ns(kubernetes.io/metadata.name=shop) pods(app=web) on "
              "TCP:http",
          "kube-system/default-deny [all] Ingress Egress",
          // DNS stays open to every namespace since every egress policy keeps it.
          "kube-system/allow-kube-dns-ingress [k8s-app=kube-dns] Ingress | from ns(all) on "
          "TCP:53 UDP:53 | from ns(kubernetes.io/metadata.name=shop) pods(app=web) on UDP:dns",
          "shop/default-deny [all] Ingress Egress",
          // Two sources in the same namespace; the worker has no app label, so all its labels
          // but the hash select it.
          "shop/allow-db-ingress [app=db] Ingress | from pods(app=web) on TCP:5432 | from "
          "pods(critical=true,tier=batch) on TCP:5432",
          "shop/allow-true-batch-egress [critical=true,tier=batch] Egress | to pods(app=db) on "
          "TCP:5432 | to " +
              dns +
              " on TCP:53 UDP:53 | to 203.0.113.7/32 on TCP:443 | to "
              "203.0.113.9/32 on TCP:443",
          "shop/allow-web-egress [app=web] Egress | to pods(app=db) on TCP:5432 | to " + dns +
              " on TCP:53 UDP:dns UDP:53",
          "shop/allow-web-ingress [app=web] Ingress | from "
          "ns(kubernetes.io/metadata.name=front) pods(app.kubernetes.io/name=gateway) on "
          "TCP:http | from 198.51.100.4/32 on TCP:http",
      }));
}

TEST_F(RecommendFixture, EachPolicySaysWhatItStandsFor) {
  const Recommendation recommendation = MustRecommend(engine_, observed_);
  const RecommendedPolicy* web = FindPolicy(recommendation, "shop", "allow-web-ingress");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->ObservedText(), "3 connections (4 flows), last seen 2024-05-01T10:00:09Z");
  EXPECT_EQ(web->examples, (std::vector<std::string>{
                               "198.51.100.4 -> shop/web-1 8080/TCP",
                               "front/gateway-7d9f-x2 -> shop/web-1 8080/TCP",
                               "front/gateway-7d9f-x2 -> shop/web-2 8080/TCP",
                           }));
  const RecommendedPolicy* deny = FindPolicy(recommendation, "shop", "default-deny");
  ASSERT_NE(deny, nullptr);
  EXPECT_TRUE(deny->default_deny);
  EXPECT_EQ(deny->ObservedText(), "none: denies what the namespace's other policies do not allow");
}

TEST_F(RecommendFixture, CoversEveryObservedConnectionAndScoresEachNamespace) {
  const Recommendation recommendation = MustRecommend(engine_, observed_);
  EXPECT_EQ(recommendation.observed, 9u);
  EXPECT_EQ(recommendation.covered, 9u);
  EXPECT_EQ(recommendation.covered_observations, 10u);
  EXPECT_TRUE(recommendation.left_out.empty());
  ASSERT_EQ(recommendation.dropped.size(), 1u);
  EXPECT_EQ(recommendation.dropped[0].from, "shop/cache-0");
  ASSERT_EQ(recommendation.namespaces.size(), 3u);
  // front: the gateway reaches web-1 and web-2 (observed) and DNS on 53/UDP (kept).
  const NamespaceScore& front = recommendation.namespaces[0];
  EXPECT_EQ(front.name, "front");
  EXPECT_EQ(front.policies, 2u);
  EXPECT_EQ(front.connections, 2u);
  EXPECT_EQ(front.allowed_pairs, 3u);
  EXPECT_EQ(front.observed_pairs, 2u);
  // kube-system: DNS from the gateway, both web pods and the worker; web-1's was observed.
  const NamespaceScore& dns = recommendation.namespaces[1];
  EXPECT_EQ(dns.allowed_pairs, 4u);
  EXPECT_EQ(dns.BeyondObserved(), 3u);
  // shop: the six observed pod pairs, and web-2 and the worker to DNS on 53/UDP.
  const NamespaceScore& shop = recommendation.namespaces[2];
  EXPECT_EQ(shop.connections, 9u);
  EXPECT_EQ(shop.allowed_pairs, 8u);
  EXPECT_EQ(shop.observed_pairs, 6u);
  EXPECT_EQ(recommendation.ports.size(), 4u);
}

TEST_F(RecommendFixture, AddressesAggregateToTheCidrPrefix) {
  RecommendOptions options;
  options.ipv4_prefix = 24;
  const Recommendation recommendation = MustRecommend(engine_, observed_, options);
  const RecommendedPolicy* worker = FindPolicy(recommendation, "shop", "allow-true-batch-egress");
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(PolicyText(worker->policy),
            "shop/allow-true-batch-egress [critical=true,tier=batch] Egress | to pods(app=db) on "
            "TCP:5432 | to " +
                std::string(kDnsPeer) + " on TCP:53 UDP:53 | to 203.0.113.0/24 on TCP:443");
  const RecommendedPolicy* web = FindPolicy(recommendation, "shop", "allow-web-ingress");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(PeerText(web->policy.spec.ingress[1].peers[0]), "198.51.100.0/24");
}

TEST_F(RecommendFixture, LabelKeysChooseTheWorkload) {
  RecommendOptions options;
  options.label_keys = {"tier"};
  const Recommendation recommendation = MustRecommend(engine_, observed_, options);
  // The worker by tier alone; the web pods carry no tier, so all their labels but the hash.
  const RecommendedPolicy* db = FindPolicy(recommendation, "shop", "allow-db-ingress");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(PolicyText(db->policy),
            "shop/allow-db-ingress [app=db] Ingress | from pods(app=web) on TCP:5432 | from "
            "pods(tier=batch) on TCP:5432");
  EXPECT_NE(FindPolicy(recommendation, "shop", "allow-batch-egress"), nullptr);
}

TEST_F(RecommendFixture, OneNamespaceOnly) {
  RecommendOptions options;
  options.namespace_name = "shop";
  const Recommendation recommendation = MustRecommend(engine_, observed_, options);
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    EXPECT_EQ(recommended.policy.namespace_name, "shop") << recommended.policy.name;
  }
  EXPECT_EQ(recommendation.policies.size(), 5u);
  // The web-1 -> DNS connection has a pod in shop; the other namespaces keep their (no)
  // policies, so it is covered.
  EXPECT_EQ(recommendation.observed, 9u);
  EXPECT_EQ(recommendation.covered, 9u);
  ASSERT_EQ(recommendation.namespaces.size(), 1u);
  EXPECT_EQ(recommendation.namespaces[0].name, "shop");
}

TEST_F(RecommendFixture, UnknownNamespaceFails) {
  RecommendOptions options;
  options.namespace_name = "nope";
  auto recommendation = Recommend(engine_, observed_.connections, options);
  ASSERT_FALSE(recommendation);
  EXPECT_EQ(recommendation.error().message, "namespace nope is not in the input");
}

TEST(Recommend, ExistingPoliciesGetOnlyTheMissingAdditions) {
  const Connectivity engine =
      MustBuild(ReadState({kFixtures + "cluster.yaml", kFixtures + "existing.yaml"}));
  const ReplaySummary observed = Replay(engine, FixtureFlows());
  RecommendOptions options;
  options.keep_existing = true;
  const Recommendation recommendation = MustRecommend(engine, observed, options);
  // Yesterday's policies let web through; the worker's connections are what they deny. The
  // name allow-db-ingress is taken by an existing policy.
  EXPECT_EQ(PolicyTexts(recommendation),
            (std::vector<std::string>{
                "shop/allow-db-ingress-2 [app=db] Ingress | from pods(critical=true,tier=batch) "
                "on TCP:5432",
                "shop/allow-true-batch-egress [critical=true,tier=batch] Egress | to "
                "pods(app=db) on TCP:5432 | to " +
                    std::string(kDnsPeer) +
                    " on TCP:53 UDP:53 | to 203.0.113.7/32 on TCP:443 | to 203.0.113.9/32 on "
                    "TCP:443",
            }));
  EXPECT_EQ(recommendation.covered, 9u);
  const RecommendedPolicy* db = FindPolicy(recommendation, "shop", "allow-db-ingress-2");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->ObservedText(), "1 connection (1 flow), last seen 2024-05-01T10:00:08Z");

  // Without --existing the same input's shop policies are replaced, default deny included.
  options.keep_existing = false;
  const Recommendation replacing = MustRecommend(engine, observed, options);
  EXPECT_NE(FindPolicy(replacing, "shop", "allow-db-ingress"), nullptr);
  EXPECT_NE(FindPolicy(replacing, "shop", "default-deny"), nullptr);
}

TEST(Recommend, LeavesOutWhatAnAdminPolicyOrAnotherNamespaceDenies) {
  const Connectivity engine = MustBuild(ReadState({kFixtures + "cluster.yaml"}, R"(
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-payments}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  egress:
    - name: not-the-provider
      action: Deny
      to: [{networks: [203.0.113.9/32]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: front}
spec:
  podSelector: {}
  policyTypes: [Egress]
)"));
  const ReplaySummary observed = Replay(engine, FixtureFlows());
  RecommendOptions options;
  options.namespace_name = "shop";
  const Recommendation recommendation = MustRecommend(engine, observed, options);
  // In the replay's order: by port, then source.
  ASSERT_EQ(recommendation.left_out.size(), 3u);
  EXPECT_EQ(recommendation.left_out[0].connection.to, "203.0.113.9");
  EXPECT_EQ(recommendation.left_out[0].reason,
            "egress of shop/worker-5f-q is denied by AdminNetworkPolicy no-payments "
            "spec.egress[0].to[0]");
  EXPECT_EQ(recommendation.left_out[1].connection.to, "shop/web-1");
  EXPECT_EQ(recommendation.left_out[1].reason,
            "egress of front/gateway-7d9f-x2 is denied by the policies of namespace front, "
            "outside the recommendation");
  EXPECT_EQ(recommendation.left_out[2].connection.to, "shop/web-2");
  EXPECT_EQ(recommendation.covered, 6u);
}

TEST(Recommend, PodsTheInputLacksAreLeftOut) {
  const Connectivity engine = MustBuild(ReadState({kFixtures + "cluster.yaml"}));
  const ReplaySummary observed =
      Replay(engine, {R"({"time":"2024-05-01T10:00:00Z","verdict":"FORWARDED",)"
                      R"("IP":{"source":"10.1.1.99","destination":"10.1.1.20"},)"
                      R"("l4":{"TCP":{"source_port":40000,"destination_port":5432}},)"
                      R"("source":{"namespace":"shop","pod_name":"ghost-1"},)"
                      R"("destination":{"namespace":"shop","pod_name":"db-0"}})"});
  const Recommendation recommendation = MustRecommend(engine, observed);
  ASSERT_EQ(recommendation.left_out.size(), 1u);
  EXPECT_EQ(recommendation.left_out[0].reason,
            "pod shop/ghost-1 is not in the input: add it to the manifests");
  EXPECT_EQ(recommendation.covered, 0u);
  // Nothing else was seen in shop: nothing is recommended there.
  EXPECT_TRUE(recommendation.policies.empty());
  EXPECT_TRUE(recommendation.namespaces.empty());
}

TEST(Recommend, PodsWithoutLabelsAreWarnedOf) {
  ClusterState state;
  state.pods.push_back(PodInfo{"ns", "bare", {}, {}, {"10.0.0.1"}});
  state.pods.push_back(PodInfo{"ns", "other", {{"app", "x"}}, {}, {"10.0.0.2"}});
  const Connectivity engine = MustBuild(state);
  const Recommendation recommendation = MustRecommend(
      engine, Replay(engine, {R"({"from": "ns/bare", "to": "ns/other", "port": 80})"}));
  EXPECT_EQ(recommendation.warnings,
            (std::vector<std::string>{"pods of ns without labels to select them by: the policies "
                                      "for them select every pod of the namespace"}));
  EXPECT_NE(FindPolicy(recommendation, "ns", "allow-all-pods-egress"), nullptr);
}

TEST_F(RecommendFixture, TheProofNamesAConnectionTheSetDenies) {
  const Recommendation recommendation = MustRecommend(engine_, observed_);
  std::vector<PolicyInfo> policies;
  std::vector<std::string> namespaces;
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    if (recommended.policy.name != "allow-db-ingress") {
      policies.push_back(recommended.policy);
    }
  }
  for (const NamespaceScore& score : recommendation.namespaces) {
    namespaces.push_back(score.name);
  }
  const Status proof =
      ProveRecommendation(engine_, policies, observed_.connections, namespaces, {});
  ASSERT_FALSE(proof);
  EXPECT_TRUE(proof.error().message.starts_with(
      "the recommended policies deny the observed connection shop/web-1 -> shop/db-0 5432/TCP"))
      << proof.error().message;
  policies.clear();
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    policies.push_back(recommended.policy);
  }
  EXPECT_TRUE(ProveRecommendation(engine_, policies, observed_.connections, namespaces, {}));
}

// --- property: every observed connection allowed, and nothing a workload never did ---

// The workload selector, as the recommendation is documented to choose it.
Labels SelectorOf(const PodInfo& pod, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (auto found = pod.labels.find(key); found != pod.labels.end()) {
      return {{key, found->second}};
    }
  }
  return pod.labels;  // random pods carry no replica labels
}

bool Selects(const PodInfo& workload_pod, const PodInfo& pod,
             const std::vector<std::string>& keys) {
  return workload_pod.namespace_name == pod.namespace_name &&
         LabelSelector{SelectorOf(workload_pod, keys), {}}.Matches(pod.labels);
}

std::optional<std::string> PortName(const PodInfo& pod, const PortProtocol& port) {
  for (const NamedPort& named : pod.ports) {
    if (named.port == port.port && named.protocol == port.protocol) {
      return named.name;
    }
  }
  return std::nullopt;
}

TEST(RecommendProperty, AllowsTheObservedAndOnlyWhatTheirWorkloadsDid) {
  const std::vector<PortProtocol> ports = {
      {80, Protocol::kTCP}, {81, Protocol::kTCP}, {5432, Protocol::kTCP}};
  uint64_t allowed_pairs = 0;
  uint64_t denied_pairs = 0;
  for (unsigned seed = 1; seed <= 30; ++seed) {
    testing::RandomCluster random(seed);
    ClusterState state = random.State(20);
    for (int i = 0; i < 4; ++i) {
      state.policies.push_back(random.Policy("existing-" + std::to_string(i)));
    }
    const Connectivity engine = MustBuild(state);
    std::vector<std::string> lines;
    for (int i = 0; i < 14; ++i) {
      const PodInfo& from = state.pods[random.Pick(20)];
      const PodInfo& to = state.pods[random.Pick(20)];
      const PortProtocol& port = ports[random.Pick(3)];
      std::string source = from.namespace_name + '/' + from.name;
      std::string destination = to.namespace_name + '/' + to.name;
      if (random.Pick(6) == 0) {
        source = "192.0.2." + std::to_string(random.Pick(9) + 1);
      } else if (random.Pick(6) == 0) {
        destination = "198.51.100." + std::to_string(random.Pick(9) + 1);
      }
      lines.push_back(R"({"from": ")" + source + R"(", "to": ")" + destination + R"(", "port": )" +
                      std::to_string(port.port) + "}");
    }
    const ReplaySummary observed = Replay(engine, lines);
    const RecommendOptions options;
    const Recommendation recommendation = MustRecommend(engine, observed, options);
    ASSERT_EQ(recommendation.covered, recommendation.observed) << "seed " << seed;

    ClusterState after_state = state;
    std::erase_if(after_state.policies, [&](const PolicyInfo& policy) {
      return std::any_of(
          recommendation.namespaces.begin(), recommendation.namespaces.end(),
          [&](const NamespaceScore& score) { return score.name == policy.namespace_name; });
    });
    for (const RecommendedPolicy& recommended : recommendation.policies) {
      after_state.policies.push_back(recommended.policy);
    }
    const Connectivity after = MustBuild(after_state);
    std::set<std::string> recommended_namespaces;
    for (const NamespaceScore& score : recommendation.namespaces) {
      recommended_namespaces.insert(score.name);
    }

    // Every observed connection goes through.
    struct PodConnection {
      std::size_t from;
      std::size_t to;
      PortProtocol port;
    };
    std::vector<PodConnection> pod_connections;
    for (const ReplayedConnection& connection : observed.connections) {
      const auto end = [&](const std::string& name) {
        const auto slash = name.find('/');
        auto pod = slash == std::string::npos
                       ? std::nullopt
                       : after.FindPod(name.substr(0, slash), name.substr(slash + 1));
        return pod ? Endpoint::Pod(*pod) : Endpoint::External(name);
      };
      const Endpoint from = end(connection.from);
      const Endpoint to = end(connection.to);
      EXPECT_TRUE(after.Allowed(from, to, connection.port))
          << "seed " << seed << ": " << after.Explain(from, to, connection.port);
      if (from.pod && to.pod) {
        pod_connections.push_back({*from.pod, *to.pod, connection.port});
      }
    }
    // A pair of pods is allowed only when some observed connection's source workload selects
    // the one and its destination workload the other, on the same port (or on the port the
    // destination's port name stands for on the other pod).
    const std::vector<PodInfo>& pods = after.state().pods;
    for (std::size_t a = 0; a < pods.size(); ++a) {
      for (std::size_t b = 0; b < pods.size(); ++b) {
        if (!recommended_namespaces.contains(pods[a].namespace_name) &&
            !recommended_namespaces.contains(pods[b].namespace_name)) {
          continue;
        }
        for (const PortProtocol& port : ports) {
          if (!after.Allowed(Endpoint::Pod(a), Endpoint::Pod(b), port)) {
            ++denied_pairs;
            continue;
          }
          ++allowed_pairs;
          const bool explained = std::any_of(
              pod_connections.begin(), pod_connections.end(), [&](const PodConnection& seen) {
                const PodInfo& source = pods[seen.from];
                const PodInfo& destination = pods[seen.to];
                const std::optional<std::string> name = PortName(destination, seen.port);
                const bool same_port =
                    seen.port == port || (name && PortName(pods[b], port) == name);
                return same_port && Selects(source, pods[a], options.label_keys) &&
                       Selects(destination, pods[b], options.label_keys);
              });
          EXPECT_TRUE(explained) << "seed " << seed << ": " << pods[a].name << " -> "
                                 << pods[b].name << ' ' << port.ToString()
                                 << " is allowed, but no observed connection stands for it";
        }
      }
    }
  }
  // Neither half of the property holds vacuously.
  EXPECT_GT(allowed_pairs, 100u);
  EXPECT_GT(denied_pairs, 1000u);
}

}  // namespace
}  // namespace netadmit
