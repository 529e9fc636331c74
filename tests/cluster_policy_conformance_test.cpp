// The connectivity engine against the conformance tests of SIG Network's network-policy-api
// (kubernetes-sigs/network-policy-api, conformance/tests/admin-network-policy-core-*.go and
// baseline-admin-network-policy-core-*.go, with their policies in conformance/base/): the same
// cluster (four house namespaces of two pods each, and two staff pods of each professor), the same
// policies written here as the model holds them, the same changes between subtests (rules
// swapped, actions changed, a NetworkPolicy deleted, a priority changed) and the same probes,
// each expected allowed or denied as upstream expects it. Each step also checks the full matrix
// against Decide for every pair.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cluster_policy_testing.h"
#include "netadmit/connectivity/connectivity.h"

namespace netadmit {
namespace {

using namespace netadmit::testing;  // NOLINT(google-build-using-namespace)

constexpr char kPrefix[] = "network-policy-conformance-";
constexpr char kPodName[] = "statefulset.kubernetes.io/pod-name";
constexpr auto kAllow = ClusterRuleAction::kAllow;
constexpr auto kDeny = ClusterRuleAction::kDeny;
constexpr auto kPass = ClusterRuleAction::kPass;

// conformance/base/manifests.yaml: a StatefulSet of two pods per house namespace, labeled with
// their house (and, by the StatefulSet controller, their name), declaring `web` (80/TCP) and
// `dns` (53/UDP); and the hogwarts-staff pods the tests reach by name.
ClusterState Hogwarts() {
  ClusterState state;
  const std::pair<const char*, const char*> houses[] = {{"gryffindor", "harry-potter"},
                                                        {"slytherin", "draco-malfoy"},
                                                        {"hufflepuff", "cedric-diggory"},
                                                        {"ravenclaw", "luna-lovegood"}};
  int n = 0;
  for (const auto& [house, student] : houses) {
    ++n;
    state.namespaces.push_back(
        NamespaceInfo{kPrefix + std::string(house), {{"conformance-house", house}}});
    for (int i = 0; i < 2; ++i) {
      const std::string name = student + ('-' + std::to_string(i));
      state.pods.push_back(PodInfo{kPrefix + std::string(house),
                                   name,
                                   {{"conformance-house", house}, {kPodName, name}},
                                   {{"web", 80, Protocol::kTCP}, {"dns", 53, Protocol::kUDP}},
                                   {"10.0." + std::to_string(n) + '.' + std::to_string(i + 1)}});
    }
  }
  int i = 0;
  for (const char* professor : {"professor-dumbledore", "professor-quirrell"}) {
    for (int replica = 0; replica < 2; ++replica) {
      const std::string name = professor + ('-' + std::to_string(replica));
      state.pods.push_back(PodInfo{std::string(kPrefix) + "hogwarts-staff",
                                   name,
                                   {{kPodName, name}},
                                   {},
                                   {"10.0.9." + std::to_string(++i)}});
    }
  }
  return state;
}

LabelSelector House(const std::string& house) {
  return Selector({{"kubernetes.io/metadata.name", kPrefix + house}});
}

ClusterPolicyPeer Ns(const std::string& house) { return NamespacesPeer(House(house)); }

ClusterPolicyPeer Staff(const std::string& pod) {
  return PodsPeer(House("hogwarts-staff"), Selector({{kPodName, pod}}));
}

ClusterPolicyPort Tcp(int32_t port) { return PortNumber(Protocol::kTCP, port); }
ClusterPolicyPort Udp(int32_t port) { return PortNumber(Protocol::kUDP, port); }
ClusterPolicyPort Sctp(int32_t port) { return PortNumber(Protocol::kSCTP, port); }

using Ports = std::vector<ClusterPolicyPort>;

// The rules every core-*-rules.yaml starts with: Allow, Deny (and for an ANP Pass) everything
// with `all`; Deny (and Pass) `denied` at `denied_ports`; Allow `open` at `open_ports` and Deny it
// the rest.
std::vector<ClusterPolicyRule> HouseRules(bool ingress, bool pass, const std::string& all,
                                          const std::string& denied, const Ports& denied_ports,
                                          const std::string& open, const Ports& open_ports) {
  const std::string with = ingress ? "-from-" : "-to-";
  std::vector<ClusterPolicyRule> rules = {
      ClusterRule("allow" + with + all + "-everything", kAllow, {Ns(all)}),
      ClusterRule("deny" + with + all + "-everything", kDeny, {Ns(all)})};
  if (pass) {
    rules.push_back(ClusterRule("pass" + with + all + "-everything", kPass, {Ns(all)}));
  }
  rules.push_back(ClusterRule("deny" + with + denied, kDeny, {Ns(denied)}, denied_ports));
  if (pass) {
    rules.push_back(ClusterRule("pass" + with + denied, kPass, {Ns(denied)}, denied_ports));
  }
  rules.push_back(ClusterRule("allow" + with + open, kAllow, {Ns(open)}, open_ports));
  rules.push_back(ClusterRule("deny" + with + open + "-everything-else", kDeny, {Ns(open)}));
  return rules;
}

template <typename... Rules>
std::vector<ClusterPolicyRule> Concat(std::vector<ClusterPolicyRule> first, Rules... more) {
  (first.push_back(std::move(more)), ...);
  return first;
}

ClusterPolicyInfo Anp(std::string name, int32_t priority, const std::string& house,
                      std::vector<ClusterPolicyRule> ingress,
                      std::vector<ClusterPolicyRule> egress) {
  return AdminPolicy(std::move(name), priority, NamespacesSubject(House(house)), std::move(ingress),
                     std::move(egress));
}

ClusterPolicyInfo Banp(const std::string& house, std::vector<ClusterPolicyRule> ingress,
                       std::vector<ClusterPolicyRule> egress) {
  return BaselinePolicy(NamespacesSubject(House(house)), std::move(ingress), std::move(egress));
}

struct Probe {
  std::string from;  // "gryffindor/harry-potter-0" (the namespace without its prefix)
  std::string to;
  std::string port;  // "80/TCP"
  bool allowed;
};

using Change = std::function<void(ClusterState&)>;

// One subtest: the change it makes to the state (kept for the subtests after it, as upstream's
// run in order against one cluster), then its probes.
struct Step {
  std::string subtest;
  Change change;
  std::vector<Probe> probes;
};

struct Scenario {
  std::string test;  // the upstream ShortName
  std::vector<ClusterPolicyInfo> cluster_policies;
  std::vector<PolicyInfo> policies;
  std::vector<Step> steps;
};

Change Swap(bool ingress, std::size_t a, std::size_t b) {
  return [=](ClusterState& state) {
    auto& rules =
        ingress ? state.cluster_policies[0].spec.ingress : state.cluster_policies[0].spec.egress;
    std::swap(rules[a], rules[b]);
  };
}

Change SwapBoth(std::size_t a, std::size_t b) {
  return [=](ClusterState& state) {
    Swap(true, a, b)(state);
    Swap(false, a, b)(state);
  };
}

Change Keep() {
  return [](ClusterState&) {};
}

std::size_t PodOf(const Connectivity& engine, const std::string& text) {
  const auto slash = text.find('/');
  auto pod = engine.FindPod(kPrefix + text.substr(0, slash), text.substr(slash + 1));
  EXPECT_TRUE(pod.has_value()) << "no pod " << text;
  return pod.value_or(0);
}

void RunScenario(const Scenario& scenario) {
  ClusterState state = Hogwarts();
  state.cluster_policies = scenario.cluster_policies;
  state.policies = scenario.policies;
  for (const Step& step : scenario.steps) {
    SCOPED_TRACE(scenario.test + ": " + step.subtest);
    step.change(state);
    const Connectivity engine = MustBuildEngine(state);
    for (const Probe& probe : step.probes) {
      auto port = PortProtocol::Parse(probe.port);
      ASSERT_TRUE(port.ok()) << probe.port;
      const Endpoint from = Endpoint::Pod(PodOf(engine, probe.from));
      const Endpoint to = Endpoint::Pod(PodOf(engine, probe.to));
      EXPECT_EQ(engine.Decide(from, to, *port).Allowed(), probe.allowed)
          << probe.from << " -> " << probe.to << " on " << probe.port << '\n'
          << engine.Explain(from, to, *port);
      ExpectMatrixAgrees(engine, *port, probe.from + " -> " + probe.to);
    }
  }
}

// The subtests of `first`, then those of `more`.
std::vector<Step> Then(std::vector<Step> first, std::vector<Step> more) {
  first.insert(first.end(), more.begin(), more.end());
  return first;
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// egress over TCP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> EgressTcpSteps() {
  return {{"allow-egress; rule ordering",
           Keep(),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "80/TCP", true},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-0", "8080/TCP", true}}},
          {"allow-egress at the specified port",
           Keep(),
           {{"gryffindor/harry-potter-0", "hufflepuff/cedric-diggory-1", "8080/TCP", true},
            {"gryffindor/harry-potter-1", "hufflepuff/cedric-diggory-1", "80/TCP", false}}},
          {"deny-egress; rule ordering (egress[0] and [1] swapped)",
           Swap(false, 0, 1),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-1", "80/TCP", false},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-1", "8080/TCP", false}}},
          {"deny-egress at the specified port",
           Keep(),
           {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", false},
            {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true}}}};
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// egress over UDP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> EgressUdpSteps() {
  return {{"allow-egress; rule ordering",
           Keep(),
           {{"hufflepuff/cedric-diggory-0", "ravenclaw/luna-lovegood-0", "53/UDP", true},
            {"hufflepuff/cedric-diggory-1", "ravenclaw/luna-lovegood-0", "5353/UDP", true}}},
          {"allow-egress at the specified port",
           Keep(),
           {{"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "53/UDP", true},
            {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "5353/UDP", false}}},
          {"deny-egress; rule ordering (egress[0] and [1] swapped)",
           Swap(false, 0, 1),
           {{"hufflepuff/cedric-diggory-0", "ravenclaw/luna-lovegood-1", "53/UDP", false},
            {"hufflepuff/cedric-diggory-1", "ravenclaw/luna-lovegood-1", "5353/UDP", false}}},
          {"deny-egress at the specified port",
           Keep(),
           {{"hufflepuff/cedric-diggory-0", "slytherin/draco-malfoy-0", "5353/UDP", false},
            {"hufflepuff/cedric-diggory-1", "slytherin/draco-malfoy-0", "53/UDP", true}}}};
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// egress over SCTP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> EgressSctpSteps() {
  return {{"allow-egress; rule ordering",
           Keep(),
           {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-0", "9003/SCTP", true},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "9005/SCTP", true}}},
          {"allow-egress at the specified port",
           Keep(),
           {{"ravenclaw/luna-lovegood-0", "hufflepuff/cedric-diggory-1", "9003/SCTP", true},
            {"ravenclaw/luna-lovegood-1", "hufflepuff/cedric-diggory-1", "9005/SCTP", false}}},
          {"deny-egress; rule ordering (egress[0] and [1] swapped)",
           Swap(false, 0, 1),
           {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-1", "9003/SCTP", false},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-1", "9005/SCTP", false}}},
          {"deny-egress at the specified port",
           Keep(),
           {{"ravenclaw/luna-lovegood-0", "slytherin/draco-malfoy-0", "9003/SCTP", false},
            {"ravenclaw/luna-lovegood-1", "slytherin/draco-malfoy-0", "9005/SCTP", true}}}};
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// ingress over TCP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> IngressTcpSteps() {
  return {{"allow-ingress; rule ordering",
           Keep(),
           {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-0", "80/TCP", true},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "8080/TCP", true}}},
          {"allow-ingress at the specified port",
           Keep(),
           {{"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "80/TCP", true},
            {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "8080/TCP", false}}},
          {"deny-ingress; rule ordering (ingress[0] and [1] swapped)",
           Swap(true, 0, 1),
           {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-1", "80/TCP", false},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-1", "8080/TCP", false}}},
          {"deny-ingress at the specified port",
           Keep(),
           {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", false},
            {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true}}}};
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// ingress over UDP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> IngressUdpSteps() {
  return {{"allow-ingress; rule ordering",
           Keep(),
           {{"ravenclaw/luna-lovegood-0", "hufflepuff/cedric-diggory-0", "53/UDP", true},
            {"ravenclaw/luna-lovegood-1", "hufflepuff/cedric-diggory-0", "5353/UDP", true}}},
          {"allow-ingress at the specified port",
           Keep(),
           {{"gryffindor/harry-potter-0", "hufflepuff/cedric-diggory-1", "53/UDP", true},
            {"gryffindor/harry-potter-1", "hufflepuff/cedric-diggory-1", "5353/UDP", false}}},
          {"deny-ingress; rule ordering (ingress[0] and [1] swapped)",
           Swap(true, 0, 1),
           {{"ravenclaw/luna-lovegood-0", "hufflepuff/cedric-diggory-1", "53/UDP", false},
            {"ravenclaw/luna-lovegood-1", "hufflepuff/cedric-diggory-1", "5353/UDP", false}}},
          {"deny-ingress at the specified port",
           Keep(),
           {{"slytherin/draco-malfoy-0", "hufflepuff/cedric-diggory-0", "5353/UDP", false},
            {"slytherin/draco-malfoy-1", "hufflepuff/cedric-diggory-0", "53/UDP", true}}}};
}

// The first four subtests of the AdminNetworkPolicy and BaselineAdminNetworkPolicy tests of
// ingress over SCTP: the same probes, expected the same (upstream's two tests agree).
std::vector<Step> IngressSctpSteps() {
  return {{"allow-ingress; rule ordering",
           Keep(),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", true},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-0", "9005/SCTP", true}}},
          {"allow-ingress at the specified port",
           Keep(),
           {{"hufflepuff/cedric-diggory-0", "ravenclaw/luna-lovegood-1", "9003/SCTP", true},
            {"hufflepuff/cedric-diggory-1", "ravenclaw/luna-lovegood-1", "9005/SCTP", false}}},
          {"deny-ingress; rule ordering (ingress[0] and [1] swapped)",
           Swap(true, 0, 1),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-1", "9003/SCTP", false},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-1", "9005/SCTP", false}}},
          {"deny-ingress at the specified port",
           Keep(),
           {{"slytherin/draco-malfoy-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", false},
            {"slytherin/draco-malfoy-1", "ravenclaw/luna-lovegood-0", "9005/SCTP", true}}}};
}

// The four subtests the AdminNetworkPolicy and the BaselineAdminNetworkPolicy tests of both
// directions share (rule ordering, then a rule at its port, each with its first two rules swapped
// once).
std::vector<Step> GressSteps() {
  return {{"allow-gress across different protocols",
           Keep(),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "80/TCP", true},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-0", "53/UDP", true},
            {"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", true},
            {"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-0", "80/TCP", true},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "53/UDP", true},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "9003/SCTP", true}}},
          {"allow-gress across different protocols at the specified ports",
           Keep(),
           {{"gryffindor/harry-potter-0", "hufflepuff/cedric-diggory-1", "8080/TCP", true},
            {"gryffindor/harry-potter-1", "hufflepuff/cedric-diggory-1", "80/TCP", false},
            {"gryffindor/harry-potter-0", "hufflepuff/cedric-diggory-1", "5353/UDP", true},
            {"gryffindor/harry-potter-1", "hufflepuff/cedric-diggory-1", "53/UDP", false},
            {"gryffindor/harry-potter-0", "hufflepuff/cedric-diggory-1", "9003/SCTP", true},
            {"gryffindor/harry-potter-1", "hufflepuff/cedric-diggory-1", "9005/SCTP", false},
            {"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "80/TCP", true},
            {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "8080/TCP", false},
            {"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "5353/UDP", true},
            {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "53/UDP", false},
            {"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "9003/SCTP", true},
            {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "9005/SCTP", false}}},
          {"deny-gress across different protocols (both [0] and [1] swapped)",
           SwapBoth(0, 1),
           {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-1", "80/TCP", false},
            {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-1", "53/UDP", false},
            {"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-1", "9003/SCTP", false},
            {"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-1", "80/TCP", false},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-1", "53/UDP", false},
            {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-1", "9003/SCTP", false}}},
          {"deny-gress across different protocols at the specified ports",
           Keep(),
           {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", false},
            {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true},
            {"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "53/UDP", false},
            {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "5353/UDP", true},
            {"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "9003/SCTP", false},
            {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "9005/SCTP", true},
            {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", false},
            {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true},
            {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "53/UDP", false},
            {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "5353/UDP", true},
            {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "9003/SCTP", false},
            {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "9005/SCTP", true}}}};
}

// ---- AdminNetworkPolicy, one protocol and direction at a time ----

// admin-network-policy-core-egress-tcp-rules.go (AdminNetworkPolicyEgressTCP) over
// base/admin_network_policy/core-egress-tcp-rules.yaml.
TEST(AdminNetworkPolicyConformance, EgressTCP) {
  RunScenario(
      {"AdminNetworkPolicyEgressTCP",
       {Anp("egress-tcp", 6, "gryffindor", {},
            Concat(HouseRules(false, true, "ravenclaw", "slytherin", {Tcp(80)}, "hufflepuff",
                              {Tcp(8080)}),
                   ClusterRule("deny-to-professor-quirrell-at-port-8080", kDeny,
                               {Staff("professor-quirrell-0")}, Ports{Tcp(8080)}),
                   ClusterRule("allow-to-professor-dumbledore-at-port-8080", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Tcp(8080)}),
                   ClusterRule("deny-to-dumbledore-everything-else", kDeny,
                               {Staff("professor-dumbledore-0")})))},
       {},
       Then(EgressTcpSteps(),
            {{"pass-egress; rule ordering (egress[0] and [2] swapped)",
              Swap(false, 0, 2),
              {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "80/TCP", true},
               {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-0", "8080/TCP", true}}},
             {"pass-egress at the specified port (egress[3] and [4] swapped)",
              Swap(false, 3, 4),
              {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", true},
               {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true}}}})});
}

// admin-network-policy-core-egress-udp-rules.go (AdminNetworkPolicyEgressUDP) over
// base/admin_network_policy/core-egress-udp-rules.yaml.
TEST(AdminNetworkPolicyConformance, EgressUDP) {
  RunScenario(
      {"AdminNetworkPolicyEgressUDP",
       {Anp("egress-udp", 7, "hufflepuff", {},
            Concat(HouseRules(false, true, "ravenclaw", "slytherin", {Udp(5353)}, "gryffindor",
                              {Udp(53)}),
                   ClusterRule("deny-to-professor-quirrell-at-port-53", kDeny,
                               {Staff("professor-quirrell-0")}, Ports{Udp(53)}),
                   ClusterRule("deny-to-professor-quirrell-at-port-5353", kDeny,
                               {Staff("professor-quirrell-0")}, Ports{Udp(5353)}),
                   ClusterRule("allow-to-professor-dumbledore-at-port-53", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Udp(53)}),
                   ClusterRule("allow-to-professor-dumbledore-at-port-5353", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Udp(5353)}),
                   ClusterRule("deny-to-dumbledore-everything-else", kDeny,
                               {Staff("professor-dumbledore-0")})))},
       {},
       Then(EgressUdpSteps(),
            {{"pass-egress; rule ordering (egress[0] and [2] swapped)",
              Swap(false, 0, 2),
              {{"hufflepuff/cedric-diggory-0", "ravenclaw/luna-lovegood-1", "5353/UDP", true},
               {"hufflepuff/cedric-diggory-1", "ravenclaw/luna-lovegood-1", "53/UDP", true}}},
             {"pass-egress at the specified port (egress[3] and [4] swapped)",
              Swap(false, 3, 4),
              {{"hufflepuff/cedric-diggory-0", "slytherin/draco-malfoy-0", "5353/UDP", true},
               {"hufflepuff/cedric-diggory-1", "slytherin/draco-malfoy-0", "53/UDP", true}}}})});
}

// admin-network-policy-core-egress-sctp-rules.go (AdminNetworkPolicyEgressSCTP) over
// base/admin_network_policy/core-egress-sctp-rules.yaml.
TEST(AdminNetworkPolicyConformance, EgressSCTP) {
  RunScenario(
      {"AdminNetworkPolicyEgressSCTP",
       {Anp("egress-sctp", 8, "ravenclaw", {},
            Concat(HouseRules(false, true, "gryffindor", "slytherin", {Sctp(9003)}, "hufflepuff",
                              {Sctp(9003)}),
                   ClusterRule("deny-to-professor-quirrell-everything", kDeny,
                               {Staff("professor-quirrell-0")}),
                   ClusterRule("allow-to-professor-dumbledore", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Sctp(9003)}),
                   ClusterRule("allow-to-professor-dumbledore", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Sctp(9005)}),
                   ClusterRule("deny-to-dumbledore-everything-else", kDeny,
                               {Staff("professor-dumbledore-0")})))},
       {},
       Then(EgressSctpSteps(),
            {{"pass-egress; rule ordering (egress[0] and [2] swapped)",
              Swap(false, 0, 2),
              {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-1", "9003/SCTP", true},
               {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-1", "9005/SCTP", true}}},
             {"pass-egress at the specified port (egress[3] and [4] swapped)",
              Swap(false, 3, 4),
              {{"ravenclaw/luna-lovegood-0", "slytherin/draco-malfoy-0", "9003/SCTP", true},
               {"ravenclaw/luna-lovegood-1", "slytherin/draco-malfoy-0", "9005/SCTP", true}}}})});
}

// base/admin_network_policy/core-ingress-tcp-rules.yaml.
ClusterPolicyInfo IngressTcp() {
  return Anp(
      "ingress-tcp", 3, "gryffindor",
      Concat(HouseRules(true, true, "ravenclaw", "slytherin", {Tcp(80)}, "hufflepuff", {Tcp(80)}),
             ClusterRule("deny-from-professor-quirrell-at-port-8080", kDeny,
                         {Staff("professor-quirrell-0")}, Ports{Tcp(8080)}),
             ClusterRule("allow-from-professor-dumbledore-at-port-8080", kAllow,
                         {Staff("professor-dumbledore-0")}, Ports{Tcp(8080)}),
             ClusterRule("deny-from-dumbledore-everything-else", kDeny,
                         {Staff("professor-dumbledore-0")})),
      {});
}

// admin-network-policy-core-ingress-tcp-rules.go (AdminNetworkPolicyIngressTCP).
TEST(AdminNetworkPolicyConformance, IngressTCP) {
  RunScenario(
      {"AdminNetworkPolicyIngressTCP",
       {IngressTcp()},
       {},
       Then(IngressTcpSteps(),
            {{"pass-ingress; rule ordering (ingress[0] and [2] swapped)",
              Swap(true, 0, 2),
              {{"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-0", "80/TCP", true},
               {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "8080/TCP", true}}},
             {"pass-ingress at the specified port (ingress[3] and [4] swapped)",
              Swap(true, 3, 4),
              {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", true},
               {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true}}}})});
}

// admin-network-policy-core-ingress-tcp-rules.go (AdminNetworkPolicyIngressPodSelectorTCP).
TEST(AdminNetworkPolicyConformance, IngressPodSelectorTCP) {
  RunScenario({"AdminNetworkPolicyIngressPodSelectorTCP",
               {IngressTcp()},
               {},
               {{"allow-ingress at the specified pod",
                 Keep(),
                 {{"hogwarts-staff/professor-dumbledore-0", "gryffindor/harry-potter-0", "8080/TCP",
                   true}}},
                {"deny-ingress at the specified pod",
                 Keep(),
                 {{"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-0", "8080/TCP",
                   false}}}}});
}

// admin-network-policy-core-ingress-udp-rules.go (AdminNetworkPolicyIngressUDP) over
// base/admin_network_policy/core-ingress-udp-rules.yaml.
TEST(AdminNetworkPolicyConformance, IngressUDP) {
  RunScenario(
      {"AdminNetworkPolicyIngressUDP",
       {Anp("ingress-udp", 4, "hufflepuff",
            Concat(HouseRules(true, true, "ravenclaw", "slytherin", {Udp(5353)}, "gryffindor",
                              {Udp(53)}),
                   ClusterRule("deny-from-professor-quirrell-port-53", kDeny,
                               {Staff("professor-quirrell-0")}, Ports{Udp(53)}),
                   ClusterRule("deny-from-professor-quirrell-port-5353", kDeny,
                               {Staff("professor-quirrell-1")}, Ports{Udp(5353)}),
                   ClusterRule("allow-from-professor-dumbledore-at-ports-53", kAllow,
                               {Staff("professor-dumbledore-0")}, Ports{Udp(53)}),
                   ClusterRule("allow-from-professor-dumbledore-at-ports-5353", kAllow,
                               {Staff("professor-dumbledore-1")}, Ports{Udp(5353)}),
                   ClusterRule("deny-from-dumbledore-everything-else", kDeny,
                               {Staff("professor-dumbledore-0")}),
                   ClusterRule("deny-from-dumbledore-everything-else", kDeny,
                               {Staff("professor-dumbledore-1")})),
            {})},
       {},
       Then(IngressUdpSteps(),
            {{"pass-ingress; rule ordering (ingress[0] and [2] swapped)",
              Swap(true, 0, 2),
              {{"ravenclaw/luna-lovegood-0", "hufflepuff/cedric-diggory-1", "5353/UDP", true},
               {"ravenclaw/luna-lovegood-1", "hufflepuff/cedric-diggory-1", "53/UDP", true}}},
             {"pass-ingress at the specified port (ingress[3] and [4] swapped)",
              Swap(true, 3, 4),
              {{"slytherin/draco-malfoy-0", "hufflepuff/cedric-diggory-0", "5353/UDP", true},
               {"slytherin/draco-malfoy-1", "hufflepuff/cedric-diggory-0", "53/UDP", true}}}})});
}

// base/admin_network_policy/core-ingress-sctp-rules.yaml.
ClusterPolicyInfo IngressSctp() {
  return Anp("ingress-sctp", 5, "ravenclaw",
             Concat(HouseRules(true, true, "gryffindor", "slytherin", {Sctp(9003)}, "hufflepuff",
                               {Sctp(9003)}),
                    ClusterRule("deny-from-professor-quirrell-at-ports-9003", kDeny,
                                {Staff("professor-quirrell-0")}, Ports{Sctp(9003)}),
                    ClusterRule("allow-from-professor-dumbledore-at-ports-9003", kAllow,
                                {Staff("professor-dumbledore-0")}, Ports{Sctp(9003)}),
                    ClusterRule("deny-from-dumbledore-everything-else", kDeny,
                                {Staff("professor-dumbledore-0")})),
             {});
}

// admin-network-policy-core-ingress-sctp-rules.go (AdminNetworkPolicyIngressSCTP).
TEST(AdminNetworkPolicyConformance, IngressSCTP) {
  RunScenario(
      {"AdminNetworkPolicyIngressSCTP",
       {IngressSctp()},
       {},
       Then(Then({{"allow-ingress; rule ordering (the staff probes of the first subtest)",
                   Keep(),
                   {{"hogwarts-staff/professor-dumbledore-0", "ravenclaw/luna-lovegood-0",
                     "9003/SCTP", true},
                    {"hogwarts-staff/professor-dumbledore-0", "ravenclaw/luna-lovegood-0", "80/TCP",
                     false}}}},
                 IngressSctpSteps()),
            {{"pass-ingress; rule ordering (ingress[0] and [2] swapped)",
              Swap(true, 0, 2),
              {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-1", "9003/SCTP", true},
               {"gryffindor/harry-potter-1", "ravenclaw/luna-lovegood-1", "9005/SCTP", true}}},
             {"pass-ingress at the specified port (ingress[3] and [4] swapped)",
              Swap(true, 3, 4),
              {{"slytherin/draco-malfoy-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", true},
               {"slytherin/draco-malfoy-1", "ravenclaw/luna-lovegood-0", "9005/SCTP", true}}}})});
}

// admin-network-policy-core-ingress-sctp-rules.go (AdminNetworkPolicyIngressPodSelector).
TEST(AdminNetworkPolicyConformance, IngressPodSelector) {
  RunScenario(
      {"AdminNetworkPolicyIngressPodSelector",
       {IngressSctp()},
       {},
       {{"allow-ingress for the specified pod (SCTP)",
         Keep(),
         {{"hogwarts-staff/professor-dumbledore-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", true},
          {"hogwarts-staff/professor-dumbledore-0", "ravenclaw/luna-lovegood-0", "80/TCP", false}}},
        {"deny-ingress for the specified pod (SCTP)",
         Keep(),
         {{"hogwarts-staff/professor-quirrell-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", false},
          {"hogwarts-staff/professor-quirrell-0", "ravenclaw/luna-lovegood-0", "80/TCP", true}}}}});
}

// ---- AdminNetworkPolicy, both directions and three protocols in one policy ----

// base/admin_network_policy/core-gress-rules-combined.yaml.
ClusterPolicyInfo GressRules() {
  const Ports denied = {Tcp(80), Udp(53), Sctp(9003)};
  const Ports staff = {Tcp(8080), Udp(5353), Sctp(9003)};
  auto staff_rules = [&](bool ingress) {
    const std::string with = ingress ? "-from-" : "-to-";
    return std::vector<ClusterPolicyRule>{
        ClusterRule("allow" + with + "dumbledore-at-tcp-udp-sctp", kAllow,
                    {Staff("professor-dumbledore-0")}, staff),
        ClusterRule("deny" + with + "dumbledore-everything-else", kDeny,
                    {Staff("professor-dumbledore-0")}),
        ClusterRule("deny" + with + "quirrell-at-tcp-udp-sctp", kDeny,
                    {Staff("professor-quirrell-0")}, staff)};
  };
  auto rules = [&](bool ingress) {
    auto out = HouseRules(
        ingress, true, "ravenclaw", "slytherin", denied, "hufflepuff",
        ingress ? Ports{Tcp(80), Udp(5353), Sctp(9003)} : Ports{Tcp(8080), Udp(5353), Sctp(9003)});
    for (ClusterPolicyRule& rule : staff_rules(ingress)) {
      out.push_back(std::move(rule));
    }
    return out;
  };
  return Anp("gress-rules", 15, "gryffindor", rules(true), rules(false));
}

// admin-network-policy-core-gress-rules.go (AdminNetworkPolicyGress).
TEST(AdminNetworkPolicyConformance, Gress) {
  RunScenario(
      {"AdminNetworkPolicyGress",
       {GressRules()},
       {},
       Then(GressSteps(),
            {{"pass-gress across different protocols (both [0] and [2] swapped)",
              SwapBoth(0, 2),
              {{"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "80/TCP", true},
               {"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "5353/UDP", true},
               {"gryffindor/harry-potter-0", "ravenclaw/luna-lovegood-0", "9003/SCTP", true},
               {"ravenclaw/luna-lovegood-0", "gryffindor/harry-potter-0", "80/TCP", true},
               {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "53/UDP", true},
               {"ravenclaw/luna-lovegood-1", "gryffindor/harry-potter-0", "9003/SCTP", true}}},
             {"pass-gress across different protocols at the specified ports (both [3] and [4] "
              "swapped)",
              SwapBoth(3, 4),
              {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", true},
               {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true},
               {"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "53/UDP", true},
               {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "5353/UDP", true},
               {"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "9003/SCTP", true},
               {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "9005/SCTP", true},
               {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", true},
               {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true},
               {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "53/UDP", true},
               {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "5353/UDP", true},
               {"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "9003/SCTP", true},
               {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "9005/SCTP", true}}}})});
}

// admin-network-policy-core-gress-rules.go (AdminNetworkPolicyPodSelectorGress).
TEST(AdminNetworkPolicyConformance, PodSelectorGress) {
  RunScenario(
      {"AdminNetworkPolicyPodSelectorGress",
       {GressRules()},
       {},
       {{"allow-gress across different protocols at the specified ports",
         Keep(),
         {{"hogwarts-staff/professor-dumbledore-0", "gryffindor/harry-potter-0", "8080/TCP", true},
          {"hogwarts-staff/professor-dumbledore-0", "gryffindor/harry-potter-0", "5353/UDP", true},
          {"hogwarts-staff/professor-dumbledore-0", "gryffindor/harry-potter-0", "9003/SCTP",
           true}}},
        {"deny-gress across different protocols at the specified ports",
         Keep(),
         {{"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-0", "8080/TCP", false},
          {"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-0", "5353/UDP", false},
          {"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-0", "9003/SCTP",
           false}}}}});
}

// ---- The tiers together ----

// admin-network-policy-core-integration.go (AdminNetworkPolicyIntegration) over
// base/api_integration/core-anp-np-banp.yaml: an ANP denying slytherin both ways, the
// gryffindor NetworkPolicy allowing it both ways, a BANP denying it both ways.
TEST(AdminNetworkPolicyConformance, Integration) {
  const LabelSelector gryffindor = Selector({{"conformance-house", "gryffindor"}});
  const LabelSelector slytherin = Selector({{"conformance-house", "slytherin"}});
  PolicyInfo allow{
      std::string(kPrefix) + "gryffindor", "allow-gress-from-to-slytherin-to-gryffindor", {}};
  allow.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress};
  allow.spec.ingress.push_back({{}, {NetworkPolicyPeer{std::nullopt, slytherin, std::nullopt}}});
  allow.spec.egress.push_back({{}, {NetworkPolicyPeer{std::nullopt, slytherin, std::nullopt}}});
  auto action = [](bool ingress) {
    return [ingress](ClusterState& state) {
      (ingress ? state.cluster_policies[0].spec.ingress : state.cluster_policies[0].spec.egress)[0]
          .action = kPass;
    };
  };
  RunScenario(
      {"AdminNetworkPolicyIntegration",
       {AdminPolicy(
            "pass-example", 10, NamespacesSubject(gryffindor),
            {ClusterRule("deny-all-ingress-from-slytherin", kDeny, {NamespacesPeer(slytherin)})},
            {ClusterRule("deny-all-egress-to-slytherin", kDeny, {NamespacesPeer(slytherin)})}),
        BaselinePolicy(
            NamespacesSubject(gryffindor),
            {ClusterRule("deny-all-ingress-from-slytherin", kDeny, {NamespacesPeer(slytherin)})},
            {ClusterRule("deny-all-egress-to-slytherin", kDeny, {NamespacesPeer(slytherin)})})},
       {allow},
       {{"Deny traffic from slytherin to gryffindor respecting ANP",
         Keep(),
         {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", false},
          {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", false}}},
        {"Deny traffic to slytherin from gryffindor respecting ANP",
         Keep(),
         {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", false},
          {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", false}}},
        {"pass-ingress for ANP, then the network policy's match (ingress[0] to Pass)",
         action(true),
         {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", true},
          {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true}}},
        {"pass-egress for ANP, then the network policy's match (egress[0] to Pass)",
         action(false),
         {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", true},
          {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true}}},
        {"pass-ingress for ANP, then the BANP's match (the NetworkPolicy deleted)",
         [](ClusterState& state) { state.policies.clear(); },
         {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", false},
          {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", false}}},
        {"pass-egress for ANP, then the BANP's match",
         Keep(),
         {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", false},
          {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", false}}}}});
}

// admin-network-policy-core-priority.go (AdminNetworkPolicyPriorityField) over
// base/admin_network_policy/core-priority-field.yaml: a Deny at priority 50, a Pass at 60
// (moved to 40), a BANP that allows.
TEST(AdminNetworkPolicyConformance, PriorityField) {
  const LabelSelector gryffindor = Selector({{"conformance-house", "gryffindor"}});
  const LabelSelector slytherin = Selector({{"conformance-house", "slytherin"}});
  auto policy = [&](const std::string& name, int32_t priority, ClusterRuleAction action,
                    const std::string& verb) {
    return AdminPolicy(
        name, priority, PodsSubject(gryffindor, gryffindor),
        {ClusterRule(verb + "-all-ingress-from-slytherin", action,
                     {PodsPeer(slytherin, slytherin)})},
        {ClusterRule(verb + "-all-egress-to-slytherin", action, {PodsPeer(slytherin, slytherin)})});
  };
  ClusterPolicyInfo baseline = policy("default", 0, kAllow, "allow");
  baseline.spec.kind = ClusterPolicyKind::kBaselineAdminNetworkPolicy;
  baseline.spec.tier = ClusterPolicyTier::kBaseline;
  RunScenario({"AdminNetworkPolicyPriorityField",
               {policy("priority-50-example", 50, kDeny, "deny"),
                policy("old-priority-60-new-priority-40-example", 60, kPass, "pass"), baseline},
               {},
               {{"Deny traffic from slytherin to gryffindor respecting ANP",
                 Keep(),
                 {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", false},
                  {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", false}}},
                {"Deny traffic to slytherin from gryffindor respecting ANP",
                 Keep(),
                 {{"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", false},
                  {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", false}}},
                {"respect ANP priority field; passing both ways to BANP (priority 60 to 40)",
                 [](ClusterState& state) { state.cluster_policies[1].spec.priority = 40; },
                 {{"slytherin/draco-malfoy-0", "gryffindor/harry-potter-0", "80/TCP", true},
                  {"slytherin/draco-malfoy-1", "gryffindor/harry-potter-0", "8080/TCP", true},
                  {"gryffindor/harry-potter-0", "slytherin/draco-malfoy-0", "80/TCP", true},
                  {"gryffindor/harry-potter-1", "slytherin/draco-malfoy-0", "8080/TCP", true}}}}});
}

// ---- BaselineAdminNetworkPolicy ----

// base/baseline_admin_network_policy/core-egress-tcp-rules.yaml.
ClusterPolicyInfo BaselineEgressTcp() {
  return Banp("gryffindor", {},
              Concat(HouseRules(false, false, "ravenclaw", "slytherin", {Tcp(80)}, "hufflepuff",
                                {Tcp(8080)}),
                     ClusterRule("deny-to-professor-quirrell", kDeny,
                                 {Staff("professor-quirrell-0")}, Ports{Tcp(80)}),
                     ClusterRule("allow-to-professor-dumbledore", kAllow,
                                 {Staff("professor-dumbledore-0")}, Ports{Tcp(80)})));
}

// baseline-admin-network-policy-core-egress-tcp-rules.go (BaselineAdminNetworkPolicyEgressTCP).
TEST(BaselineAdminNetworkPolicyConformance, EgressTCP) {
  RunScenario({"BaselineAdminNetworkPolicyEgressTCP", {BaselineEgressTcp()}, {}, EgressTcpSteps()});
}

// baseline-admin-network-policy-core-egress-tcp-rules.go
// (BaselineAdminNetworkPolicyEgressPodSelectorTCP).
TEST(BaselineAdminNetworkPolicyConformance, EgressPodSelectorTCP) {
  RunScenario(
      {"BaselineAdminNetworkPolicyEgressPodSelectorTCP",
       {BaselineEgressTcp()},
       {},
       {{"allow-egress at the specified pod",
         Keep(),
         {{"gryffindor/harry-potter-0", "hogwarts-staff/professor-dumbledore-0", "80/TCP", true}}},
        {"deny-egress at the specified pod",
         Keep(),
         {{"gryffindor/harry-potter-0", "hogwarts-staff/professor-quirrell-0", "80/TCP",
           false}}}}});
}

// base/baseline_admin_network_policy/core-egress-udp-rules.yaml.
ClusterPolicyInfo BaselineEgressUdp() {
  return Banp("hufflepuff", {},
              Concat(HouseRules(false, false, "ravenclaw", "slytherin", {Udp(5353)}, "gryffindor",
                                {Udp(53)}),
                     ClusterRule("deny-to-professor-quirrell", kDeny,
                                 {Staff("professor-quirrell-0")}, Ports{Udp(53)}),
                     ClusterRule("allow-to-professor-dumbledore", kAllow,
                                 {Staff("professor-dumbledore-0")}, Ports{Udp(53)})));
}

// baseline-admin-network-policy-core-egress-udp-rules.go (BaselineAdminNetworkPolicyEgressUDP).
TEST(BaselineAdminNetworkPolicyConformance, EgressUDP) {
  RunScenario({"BaselineAdminNetworkPolicyEgressUDP", {BaselineEgressUdp()}, {}, EgressUdpSteps()});
}

// baseline-admin-network-policy-core-egress-udp-rules.go
// (BaselineAdminNetworkPolicyEgressPodSelectorUDP).
TEST(BaselineAdminNetworkPolicyConformance, EgressPodSelectorUDP) {
  RunScenario(
      {"BaselineAdminNetworkPolicyEgressPodSelectorUDP",
       {BaselineEgressUdp()},
       {},
       {{"deny-egress at the specified pod",
         Keep(),
         {{"hufflepuff/cedric-diggory-0", "hogwarts-staff/professor-quirrell-0", "53/UDP", false}}},
        {"allow-egress at the specified pod",
         Keep(),
         {{"ravenclaw/luna-lovegood-0", "hogwarts-staff/professor-dumbledore-0", "53/UDP",
           true}}}}});
}

// baseline-admin-network-policy-core-egress-udp-rules.go
// (BaselineAdminNetworkPolicyEgressNamedPort): egress[3] rewritten to the named port `dns`.
TEST(BaselineAdminNetworkPolicyConformance, EgressNamedPort) {
  RunScenario(
      {"BaselineAdminNetworkPolicyEgressNamedPort",
       {BaselineEgressUdp()},
       {},
       {{"allow-egress for named port",
         [](ClusterState& state) {
           state.cluster_policies[0].spec.egress[3].ports = Ports{NamedClusterPort("dns")};
         },
         {{"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "53/UDP", true},
          {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "5353/UDP", false}}}}});
}

// baseline-admin-network-policy-core-egress-sctp-rules.go
// (BaselineAdminNetworkPolicyEgressSCTP) over core-egress-sctp-rules.yaml.
TEST(BaselineAdminNetworkPolicyConformance, EgressSCTP) {
  RunScenario({"BaselineAdminNetworkPolicyEgressSCTP",
               {Banp("ravenclaw", {},
                     Concat(HouseRules(false, false, "gryffindor", "slytherin", {Sctp(9003)},
                                       "hufflepuff", {Sctp(9003)}),
                            ClusterRule("deny-to-professor-quirrell-at-port-9003", kDeny,
                                        {Staff("professor-quirrell-0")}, Ports{Sctp(9003)}),
                            ClusterRule("allow-to-professor-dumbledore", kAllow,
                                        {Staff("professor-dumbledore-0")}, Ports{Sctp(9003)}),
                            ClusterRule("deny-to-dumbledore-everything-else", kDeny,
                                        {Staff("professor-dumbledore-0")})))},
               {},
               EgressSctpSteps()});
}

// base/baseline_admin_network_policy/core-ingress-tcp-rules.yaml.
ClusterPolicyInfo BaselineIngressTcp() {
  return Banp(
      "gryffindor",
      Concat(HouseRules(true, false, "ravenclaw", "slytherin", {Tcp(80)}, "hufflepuff", {Tcp(80)}),
             ClusterRule("deny-professor-quirrell-at-80", kDeny, {Staff("professor-quirrell-0")},
                         Ports{Tcp(80)}),
             ClusterRule("allow-professor-dumbledore-at-80", kAllow,
                         {Staff("professor-dumbledore-0")}, Ports{Tcp(80)})),
      {});
}

// baseline-admin-network-policy-core-ingress-tcp-rules.go
// (BaselineAdminNetworkPolicyIngressTCP).
TEST(BaselineAdminNetworkPolicyConformance, IngressTCP) {
  RunScenario(
      {"BaselineAdminNetworkPolicyIngressTCP", {BaselineIngressTcp()}, {}, IngressTcpSteps()});
}

// baseline-admin-network-policy-core-ingress-tcp-rules.go
// (BaselineAdminNetworkPolicyIngressPodSelectorTCP).
TEST(BaselineAdminNetworkPolicyConformance, IngressPodSelectorTCP) {
  RunScenario(
      {"BaselineAdminNetworkPolicyIngressPodSelectorTCP",
       {BaselineIngressTcp()},
       {},
       {{"allow-ingress at the specified pod",
         Keep(),
         {{"hogwarts-staff/professor-dumbledore-0", "gryffindor/harry-potter-1", "8080/TCP",
           true}}},
        {"deny-ingress at the specified pod",
         Keep(),
         {{"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-1", "80/TCP", false},
          {"hogwarts-staff/professor-quirrell-0", "gryffindor/harry-potter-1", "8080/TCP",
           true}}}}});
}

// baseline-admin-network-policy-core-ingress-tcp-rules.go
// (BaselineAdminNetworkPolicyIngressNamedPort): ingress[3] rewritten to the named port `web`.
TEST(BaselineAdminNetworkPolicyConformance, IngressNamedPort) {
  RunScenario(
      {"BaselineAdminNetworkPolicyIngressNamedPort",
       {BaselineIngressTcp()},
       {},
       {{"allow-ingress for named port",
         [](ClusterState& state) {
           state.cluster_policies[0].spec.ingress[3].ports = Ports{NamedClusterPort("web")};
         },
         {{"hufflepuff/cedric-diggory-0", "gryffindor/harry-potter-1", "80/TCP", true},
          {"hufflepuff/cedric-diggory-1", "gryffindor/harry-potter-1", "8080/TCP", false}}}}});
}

// baseline-admin-network-policy-core-ingress-udp-rules.go
// (BaselineAdminNetworkPolicyIngressUDP) over core-ingress-udp-rules.yaml.
TEST(BaselineAdminNetworkPolicyConformance, IngressUDP) {
  RunScenario({"BaselineAdminNetworkPolicyIngressUDP",
               {Banp("hufflepuff",
                     Concat(HouseRules(true, false, "ravenclaw", "slytherin", {Udp(5353)},
                                       "gryffindor", {Udp(53)}),
                            ClusterRule("deny-from-professor-quirrell-at-53", kDeny,
                                        {Staff("professor-quirrell-0")}, Ports{Udp(53)}),
                            ClusterRule("allow-from-professor-dumbledore-at-80", kAllow,
                                        {Staff("professor-dumbledore-0")}, Ports{Udp(53)})),
                     {})},
               {},
               IngressUdpSteps()});
}

// baseline-admin-network-policy-core-ingress-sctp-rules.go
// (BaselineAdminNetworkPolicyIngressSCTP) over core-ingress-sctp-rules.yaml.
TEST(BaselineAdminNetworkPolicyConformance, IngressSCTP) {
  RunScenario({"BaselineAdminNetworkPolicyIngressSCTP",
               {Banp("ravenclaw",
                     Concat(HouseRules(true, false, "gryffindor", "slytherin", {Sctp(9003)},
                                       "hufflepuff", {Sctp(9003)}),
                            ClusterRule("deny-from-professor-quirrell-at-port-8080", kDeny,
                                        {Staff("professor-quirrell-0")}, Ports{Sctp(9003)}),
                            ClusterRule("allow-from-professor-dumbledore-at-port-8080", kAllow,
                                        {Staff("professor-dumbledore-0")}, Ports{Sctp(9003)}),
                            ClusterRule("deny-from-dumbledore-everything-else", kDeny,
                                        {Staff("professor-dumbledore-0")})),
                     {})},
               {},
               IngressSctpSteps()});
}

// baseline-admin-network-policy-core-gress-rules.go (BaselineAdminNetworkPolicyGress) over
// base/baseline_admin_network_policy/core-gress-rules-combined.yaml.
TEST(BaselineAdminNetworkPolicyConformance, Gress) {
  const Ports denied = {Tcp(80), Udp(53), Sctp(9003)};
  const Ports staff = {Tcp(8080), Udp(5353), Sctp(9003)};
  RunScenario({"BaselineAdminNetworkPolicyGress",
               {Banp("gryffindor",
                     HouseRules(true, false, "ravenclaw", "slytherin", denied, "hufflepuff",
                                {Tcp(80), Udp(5353), Sctp(9003)}),
                     Concat(HouseRules(false, false, "ravenclaw", "slytherin", denied, "hufflepuff",
                                       {Tcp(8080), Udp(5353), Sctp(9003)}),
                            ClusterRule("allow-from-dumbledore-at-tcp-udp-sctp", kAllow,
                                        {Staff("professor-dumbledore-0")}, staff),
                            ClusterRule("deny-to-quirrell-at-tcp-udp-sctp", kDeny,
                                        {Staff("professor-quirrell-0")}, staff)))},
               {},
               GressSteps()});
}

}  // namespace
}  // namespace netadmit
