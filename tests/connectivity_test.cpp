// The connectivity engine against the Kubernetes NetworkPolicy specification: the upstream
// conformance model (namespaces x, y, z; pods a, b, c; ports 80 and 81 over TCP, UDP and SCTP)
// with expected matrices as data files in fixtures/connectivity/, exact explanations, and
// properties checked over random clusters.

#include "netadmit/connectivity/connectivity.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"
#include "random_cluster.h"

namespace netadmit {
namespace {

namespace fs = std::filesystem;
using testing::RandomCluster;

const std::string kCases = std::string(NETADMIT_FIXTURES_DIR) + "/connectivity";

// The upstream model: pods x/a ... z/c, dual-stack addresses 10.0.N.M and fd00::N:M.
ClusterState ConformanceModel() {
  ClusterState state;
  const std::string namespaces[] = {"x", "y", "z"};
  const std::string pods[] = {"a", "b", "c"};
  for (int n = 0; n < 3; ++n) {
    state.namespaces.push_back(NamespaceInfo{namespaces[n], {{"ns", namespaces[n]}}});
    for (int p = 0; p < 3; ++p) {
      PodInfo pod;
      pod.namespace_name = namespaces[n];
      pod.name = pods[p];
      pod.labels = {{"pod", pods[p]}};
      for (int port : {80, 81}) {
        pod.ports.push_back({"serve-" + std::to_string(port) + "-tcp", port, Protocol::kTCP});
        pod.ports.push_back({"serve-" + std::to_string(port) + "-udp", port, Protocol::kUDP});
        pod.ports.push_back({"serve-" + std::to_string(port) + "-sctp", port, Protocol::kSCTP});
      }
      pod.ips = {"10.0." + std::to_string(n + 1) + '.' + std::to_string(p + 1),
                 "fd00::" + std::to_string(n + 1) + ':' + std::to_string(p + 1)};
      state.pods.push_back(std::move(pod));
    }
  }
  return state;
}

std::vector<PolicyInfo> DecodePolicies(const std::string& file, const std::string& text) {
  std::vector<PolicyInfo> out;
  auto manifests = ParseManifests(file, text);
  EXPECT_TRUE(manifests.ok()) << (manifests.ok() ? "" : manifests.error().ToString());
  if (!manifests.ok()) {
    return out;
  }
  for (const ManifestObject& manifest : *manifests) {
    auto object = DecodeObject(*manifest.object, "default");
    EXPECT_TRUE(object.ok()) << (object.ok() ? "" : object.error().ToString());
    if (object.ok() && object->network_policy() != nullptr) {
      out.push_back(PolicyInfo{object->metadata.namespace_name, object->metadata.name,
                               *object->network_policy()});
    }
  }
  return out;
}

Connectivity MustBuild(ClusterState state) {
  auto built = Connectivity::Build(std::move(state));
  if (!built.ok()) {
    ADD_FAILURE() << built.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  return std::move(built.value());
}

Endpoint EndpointOf(const Connectivity& engine, const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return Endpoint::External(text);
  }
  auto pod = engine.FindPod(text.substr(0, slash), text.substr(slash + 1));
  EXPECT_TRUE(pod.has_value()) << "no pod " << text;
  return Endpoint::Pod(pod.value_or(0));
}

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) {
    words.push_back(word);
  }
  return words;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kCases)) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path().stem().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ConformanceCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceCase, MatchesExpectedMatrix) {
  const std::string file = kCases + '/' + GetParam() + ".yaml";
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    FAIL() << file << ": " << e.what();
  }
  ASSERT_EQ(root["name"].as<std::string>(), GetParam());
  ClusterState state = ConformanceModel();
  state.policies = DecodePolicies(file, root["policies"].as<std::string>());
  const Connectivity engine = MustBuild(std::move(state));
  ASSERT_TRUE(root["expect"].IsSequence());
  int cells = 0;
  for (const YAML::Node& expect : root["expect"]) {
    std::vector<PortProtocol> ports;
    for (const YAML::Node& port : expect["ports"]) {
      auto parsed = PortProtocol::Parse(port.as<std::string>());
      ASSERT_TRUE(parsed.ok()) << port.as<std::string>();
      ports.push_back(*parsed);
    }
    const ReachMatrix matrix = engine.ComputeMatrix(ports);
    std::istringstream table(expect["table"].as<std::string>());
    std::string line;
    std::getline(table, line);
    std::vector<std::string> columns = Words(line);  // "-" then the destinations
    ASSERT_GE(columns.size(), 2U);
    ASSERT_EQ(columns[0], "-");
    columns.erase(columns.begin());
    while (std::getline(table, line)) {
      const std::vector<std::string> row = Words(line);
      ASSERT_EQ(row.size(), columns.size() + 1) << line;
      const Endpoint from = EndpointOf(engine, row[0]);
      for (std::size_t p = 0; p < ports.size(); ++p) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
          ASSERT_TRUE(row[c + 1] == "." || row[c + 1] == "X") << line;
          const bool expected = row[c + 1] == ".";
          const Endpoint to = EndpointOf(engine, columns[c]);
          EXPECT_EQ(engine.Decide(from, to, ports[p]).Allowed(), expected)
              << engine.Explain(from, to, ports[p]);
          if (from.pod && to.pod) {
            EXPECT_EQ(matrix.Allowed(p, *from.pod, *to.pod), expected)
                << "matrix: " << row[0] << " -> " << columns[c] << " on " << ports[p].ToString();
          }
          ++cells;
        }
      }
    }
  }
  EXPECT_GE(cells, 81);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ConformanceCase, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ConformanceCases, AreThere) { EXPECT_GE(CaseFiles().size(), 20U); }

const char* const kTwoPolicies = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-y, namespace: x}
spec:
  podSelector:
    matchLabels: {pod: a}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {ns: z}}
        - namespaceSelector: {matchLabels: {ns: y}}
          podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, b]}]}
      ports:
        - port: serve-80-tcp
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-dns, namespace: y}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ports:
        - {port: 53, protocol: UDP}
)";

Connectivity TwoPolicyModel() {
  ClusterState state = ConformanceModel();
  state.policies = DecodePolicies("two.yaml", kTwoPolicies);
  return MustBuild(std::move(state));
}

TEST(Explain, NamesIsolatingPoliciesAndTheAllowingPeer) {
  const Connectivity engine = TwoPolicyModel();
  const Endpoint za = EndpointOf(engine, "z/a");
  const Endpoint xa = EndpointOf(engine, "x/a");
  EXPECT_EQ(engine.Explain(za, xa, PortProtocol{80, Protocol::kTCP}),
            "z/a -> x/a on 80/TCP: allowed\n"
            "  egress of z/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of x/a: allowed, isolated by x/allow-y\n"
            "    allowed by x/allow-y spec.ingress[0].from[0] (namespaceSelector {ns=z})\n");
  const Decision decision = engine.Decide(za, xa, PortProtocol{80, Protocol::kTCP});
  ASSERT_EQ(decision.ingress.allowing.size(), 1U);
  EXPECT_EQ(decision.ingress.allowing[0].peer, 0U);
  EXPECT_EQ(decision.ingress.isolating, std::vector<std::size_t>{0});
}

TEST(Explain, BlockedByEgressAndIngress) {
  const Connectivity engine = TwoPolicyModel();
  const Endpoint yb = EndpointOf(engine, "y/b");
  const Endpoint xa = EndpointOf(engine, "x/a");
  EXPECT_EQ(engine.Explain(yb, xa, PortProtocol{81, Protocol::kTCP}),
            "y/b -> x/a on 81/TCP: blocked\n"
            "  egress of y/b: blocked, isolated by y/egress-dns\n"
            "    no egress rule of these policies allows it\n"
            "  ingress of x/a: blocked, isolated by x/allow-y\n"
            "    no ingress rule of these policies allows it\n");
}

TEST(Explain, PeerWithBothSelectorsAndOutsideSource) {
  const Connectivity engine = TwoPolicyModel();
  const Endpoint xa = EndpointOf(engine, "x/a");
  EXPECT_EQ(engine.Explain(Endpoint::External("192.0.2.1"), xa, PortProtocol{80, Protocol::kTCP}),
            "192.0.2.1 -> x/a on 80/TCP: blocked\n"
            "  egress of 192.0.2.1: outside the cluster, no policy applies\n"
            "  ingress of x/a: blocked, isolated by x/allow-y\n"
            "    no ingress rule of these policies allows it\n");
  const Endpoint ya = EndpointOf(engine, "y/a");
  EXPECT_EQ(engine.Explain(xa, EndpointOf(engine, "y/b"), PortProtocol{53, Protocol::kUDP}),
            "x/a -> y/b on 53/UDP: allowed\n"
            "  egress of x/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of y/b: allowed, not isolated (no NetworkPolicy selects it for ingress)\n");
  // y/a is in y (egress only to 53/UDP, which x/a's ingress port rule does not cover).
  EXPECT_FALSE(engine.Decide(ya, xa, PortProtocol{80, Protocol::kTCP}).Allowed());
  const Decision decision = engine.Decide(ya, xa, PortProtocol{80, Protocol::kTCP});
  EXPECT_TRUE(decision.ingress.Allowed());
  ASSERT_EQ(decision.ingress.allowing.size(), 1U);
  EXPECT_EQ(decision.ingress.allowing[0].path, "spec.ingress[0].from[1]");
  EXPECT_FALSE(decision.egress.Allowed());
}

TEST(Build, RejectsInvalidCidrWithPolicyAndPath) {
  ClusterState state = ConformanceModel();
  state.policies = DecodePolicies("bad.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: x}
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/33]}
)");
  auto built = Connectivity::Build(std::move(state));
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().path, "spec.egress[0].to[0].ipBlock.except[0]");
  EXPECT_EQ(built.error().message,
            "NetworkPolicy x/bad: invalid CIDR \"10.1.0.0/33\": prefix length must be a number "
            "from 0 to 32");
}

TEST(Build, RejectsInvalidPodIp) {
  ClusterState state;
  state.pods.push_back(PodInfo{"x", "a", {}, {}, {"10.0.0.300"}});
  auto built = Connectivity::Build(std::move(state));
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message, "pod x/a: invalid IP \"10.0.0.300\"");
}

TEST(Build, NamespacesSeenOnlyInObjectsGetTheNameLabel) {
  ClusterState state;
  state.namespaces.push_back(NamespaceInfo{"prod", {{"env", "prod"}}});
  state.pods.push_back(PodInfo{"dev", "a", {}, {}, {}});
  state.policies.push_back(PolicyInfo{"ops", "p", {}});
  const Connectivity engine = MustBuild(std::move(state));
  ASSERT_NE(engine.FindNamespace("dev"), nullptr);
  EXPECT_EQ(engine.FindNamespace("dev")->labels, (Labels{{"kubernetes.io/metadata.name", "dev"}}));
  EXPECT_EQ(engine.FindNamespace("ops")->labels, (Labels{{"kubernetes.io/metadata.name", "ops"}}));
  EXPECT_EQ(engine.FindNamespace("prod")->labels,
            (Labels{{"env", "prod"}, {"kubernetes.io/metadata.name", "prod"}}));
  EXPECT_EQ(engine.FindNamespace("nope"), nullptr);
}

TEST(Classes, GroupPodsThatBehaveTheSame) {
  ClusterState state;
  for (int i = 0; i < 10; ++i) {
    state.pods.push_back(PodInfo{"x", "web-" + std::to_string(i), {{"app", "web"}}, {}, {}});
  }
  state.pods.push_back(PodInfo{"y", "web", {{"app", "web"}}, {}, {}});
  state.pods.push_back(PodInfo{"x", "named", {{"app", "web"}}, {{"http", 80, Protocol::kTCP}}, {}});
  state.pods.push_back(PodInfo{"x", "ip-in", {{"app", "web"}}, {}, {"10.0.0.1"}});
  state.pods.push_back(PodInfo{"x", "ip-out", {{"app", "web"}}, {}, {"192.0.2.1"}});
  state.policies = DecodePolicies("cidr.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cidr, namespace: x}
spec:
  podSelector: {}
  ingress:
    - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
)");
  const Connectivity engine = MustBuild(std::move(state));
  // web-0..9 and ip-out (outside every ipBlock) behave the same; y/web, named and ip-in differ.
  EXPECT_EQ(engine.class_count(), 4U);
  EXPECT_EQ(engine.ClassOf(0), engine.ClassOf(9));
  EXPECT_EQ(engine.ClassOf(0), engine.ClassOf(13));
  EXPECT_NE(engine.ClassOf(0), engine.ClassOf(10));
  EXPECT_NE(engine.ClassOf(0), engine.ClassOf(11));
  EXPECT_NE(engine.ClassOf(0), engine.ClassOf(12));
  const PortProtocol port{80, Protocol::kTCP};
  const ReachMatrix matrix = engine.ComputeMatrix(std::span(&port, 1));
  // Into x only from ip-in (10.0.0.1): 11 destinations in x; 14 pods reach y/web.
  EXPECT_EQ(matrix.AllowedPairs(0), 13U + 14U);
}

struct PortCase {
  std::string text;
  bool ok;
  PortProtocol port;
};

TEST(PortProtocol, Parses) {
  const PortCase cases[] = {
      {"80/TCP", true, {80, Protocol::kTCP}},
      {"53/udp", true, {53, Protocol::kUDP}},
      {"8080", true, {8080, Protocol::kTCP}},
      {"9/SCTP", true, {9, Protocol::kSCTP}},
      {"65535/TCP", true, {65535, Protocol::kTCP}},
      {"0/TCP", false, {}},
      {"65536", false, {}},
      {"80/ICMP", false, {}},
      {"", false, {}},
      {"http", false, {}},
      {"-1/TCP", false, {}},
      {"80x/TCP", false, {}},
  };
  for (const PortCase& c : cases) {
    auto parsed = PortProtocol::Parse(c.text);
    ASSERT_EQ(parsed.ok(), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(*parsed, c.port) << c.text;
      EXPECT_EQ(parsed->ToString(),
                std::to_string(c.port.port) + '/' + ProtocolName(c.port.protocol));
    }
  }
  EXPECT_EQ(PortProtocol::Parse("80/ICMP").error().message,
            "invalid protocol in \"80/ICMP\": use TCP, UDP or SCTP");
}

TEST(FormatSelector, WritesLabelsAndExpressions) {
  LabelSelector selector;
  selector.match_labels = {{"app", "web"}, {"tier", "front"}};
  selector.match_expressions = {{"env", SelectorOperator::kIn, {"a", "b"}},
                                {"team", SelectorOperator::kNotIn, {"x"}},
                                {"owner", SelectorOperator::kExists, {}},
                                {"legacy", SelectorOperator::kDoesNotExist, {}}};
  EXPECT_EQ(FormatSelector(selector),
            "app=web,tier=front,env in (a,b),team notin (x),owner,!legacy");
  EXPECT_EQ(FormatSelector(LabelSelector{}), "");
}

// ---- Properties over random clusters ----

const PortProtocol kPropertyPorts[] = {
    {79, Protocol::kTCP}, {80, Protocol::kTCP}, {81, Protocol::kTCP}, {80, Protocol::kUDP}};

TEST(Properties, MatrixAgreesWithDecideOnEveryPair) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    RandomCluster random(seed);
    ClusterState state = random.State(24);
    for (int i = 0; i < 8; ++i) {
      state.policies.push_back(random.Policy("p" + std::to_string(i)));
    }
    const Connectivity engine = MustBuild(std::move(state));
    const ReachMatrix matrix = engine.ComputeMatrix(kPropertyPorts);
    const std::size_t pods = engine.state().pods.size();
    for (std::size_t p = 0; p < std::size(kPropertyPorts); ++p) {
      uint64_t allowed = 0;
      for (std::size_t from = 0; from < pods; ++from) {
        for (std::size_t to = 0; to < pods; ++to) {
          const bool decided =
              engine.Decide(Endpoint::Pod(from), Endpoint::Pod(to), kPropertyPorts[p]).Allowed();
          allowed += decided ? 1 : 0;
          ASSERT_EQ(matrix.Allowed(p, from, to), decided)
              << "seed " << seed << "\n"
              << engine.Explain(Endpoint::Pod(from), Endpoint::Pod(to), kPropertyPorts[p]);
        }
      }
      EXPECT_EQ(matrix.AllowedPairs(p), allowed) << "seed " << seed;
    }
  }
}

// Flows judge a port range by one port of each stretch DistinctPorts gives: every port of the
// range must be decided as that stretch's port is, for every pair.
TEST(Properties, EveryPortIsDecidedAsItsStretchsRepresentative) {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    RandomCluster random(seed);
    ClusterState state = random.State(16);
    for (int i = 0; i < 6; ++i) {
      state.policies.push_back(random.Policy("p" + std::to_string(i)));
    }
    const Connectivity engine = MustBuild(std::move(state));
    const std::size_t pods = engine.state().pods.size();
    for (const Protocol protocol : {Protocol::kTCP, Protocol::kUDP}) {
      const std::vector<PortProtocol> distinct = engine.DistinctPorts(protocol, 70, 90);
      ASSERT_FALSE(distinct.empty());
      EXPECT_EQ(distinct.front().port, 70);
      for (int32_t port = 70; port <= 90; ++port) {
        // The stretch of `port`: the last representative at or below it.
        auto stretch = std::upper_bound(
            distinct.begin(), distinct.end(), port,
            [](int32_t value, const PortProtocol& start) { return value < start.port; });
        ASSERT_NE(stretch, distinct.begin());
        const PortProtocol representative = *std::prev(stretch);
        for (std::size_t from = 0; from < pods; ++from) {
          for (std::size_t to = 0; to < pods; ++to) {
            ASSERT_EQ(
                engine.Decide(Endpoint::Pod(from), Endpoint::Pod(to), {port, protocol}).Allowed(),
                engine.Decide(Endpoint::Pod(from), Endpoint::Pod(to), representative).Allowed())
                << "seed " << seed << ", port " << port << " against " << representative.port;
          }
        }
      }
    }
  }
}

TEST(Properties, AddingAnAllowPolicyNeverRemovesAConnection) {
  for (unsigned seed = 100; seed < 140; ++seed) {
    RandomCluster random(seed);
    ClusterState state = random.State(20);
    for (int i = 0; i < 6; ++i) {
      state.policies.push_back(random.Policy("p" + std::to_string(i)));
    }
    ClusterState more = state;
    PolicyInfo extra = random.Policy("extra");
    // An allow policy: it selects the pods policy 0 already isolates, for the same directions,
    // so it can only add rules.
    extra.namespace_name = state.policies[0].namespace_name;
    extra.spec.pod_selector = state.policies[0].spec.pod_selector;
    extra.spec.policy_types = std::vector<PolicyType>{};
    if (state.policies[0].spec.AffectsIngress()) {
      extra.spec.policy_types->push_back(PolicyType::kIngress);
    }
    if (state.policies[0].spec.AffectsEgress()) {
      extra.spec.policy_types->push_back(PolicyType::kEgress);
    }
    more.policies.push_back(extra);
    const Connectivity before = MustBuild(std::move(state));
    const Connectivity after = MustBuild(std::move(more));
    const ReachMatrix m1 = before.ComputeMatrix(kPropertyPorts);
    const ReachMatrix m2 = after.ComputeMatrix(kPropertyPorts);
    const std::size_t pods = before.state().pods.size();
    for (std::size_t p = 0; p < std::size(kPropertyPorts); ++p) {
      for (std::size_t from = 0; from < pods; ++from) {
        for (std::size_t to = 0; to < pods; ++to) {
          if (m1.Allowed(p, from, to)) {
            ASSERT_TRUE(m2.Allowed(p, from, to))
                << "seed " << seed << "\n"
                << after.Explain(Endpoint::Pod(from), Endpoint::Pod(to), kPropertyPorts[p]);
          }
        }
      }
      EXPECT_GE(m2.AllowedPairs(p), m1.AllowedPairs(p));
    }
  }
}

TEST(Properties, DefaultDenyBothWaysLeavesOnlyWhatOtherPoliciesAllow) {
  for (unsigned seed = 200; seed < 230; ++seed) {
    RandomCluster random(seed);
    ClusterState state = random.State(20);
    ClusterState deny_only = state;
    for (const NamespaceInfo& ns : state.namespaces) {
      PolicyInfo deny{ns.name, "default-deny", {}};
      deny.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress};
      state.policies.push_back(deny);
      deny_only.policies.push_back(deny);
    }
    for (int i = 0; i < 6; ++i) {
      state.policies.push_back(random.Policy("p" + std::to_string(i)));
    }
    const Connectivity denied = MustBuild(std::move(deny_only));
    const Connectivity engine = MustBuild(std::move(state));
    const ReachMatrix none = denied.ComputeMatrix(kPropertyPorts);
    const ReachMatrix matrix = engine.ComputeMatrix(kPropertyPorts);
    const std::size_t pods = engine.state().pods.size();
    for (std::size_t p = 0; p < std::size(kPropertyPorts); ++p) {
      EXPECT_EQ(none.AllowedPairs(p), 0U);
      for (std::size_t from = 0; from < pods; ++from) {
        for (std::size_t to = 0; to < pods; ++to) {
          const Decision decision =
              engine.Decide(Endpoint::Pod(from), Endpoint::Pod(to), kPropertyPorts[p]);
          // Everyone is isolated both ways: only rules let anything through.
          EXPECT_FALSE(decision.egress.isolating.empty());
          EXPECT_FALSE(decision.ingress.isolating.empty());
          const bool by_rules =
              !decision.egress.allowing.empty() && !decision.ingress.allowing.empty();
          ASSERT_EQ(matrix.Allowed(p, from, to), by_rules) << "seed " << seed;
          for (const RuleMatch& match : decision.ingress.allowing) {
            EXPECT_NE(engine.state().policies[match.policy].name, "default-deny");
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace netadmit
