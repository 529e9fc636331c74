// The connectivity engine's cluster-scoped tiers, case by case: how the Admin tier, the
// NetworkPolicies and the Baseline tier hand a connection on (Pass, isolation), rule order and
// priorities, ports (numbers, ranges, named, UDP and SCTP), `networks` against pod IPs, peers that
// fail closed, equal priorities, the explanations, and Flows naming the deciding rule. Then
// random clusters, where Decide, the class matrix and a naive evaluator written here must agree.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cluster_policy_testing.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/connectivity/flow_requirements.h"
#include "netadmit/model/cidr.h"
#include "random_cluster.h"

namespace netadmit {
namespace {

using namespace netadmit::testing;  // NOLINT(google-build-using-namespace)

constexpr auto kAllow = ClusterRuleAction::kAllow;
constexpr auto kDeny = ClusterRuleAction::kDeny;
constexpr auto kPass = ClusterRuleAction::kPass;
const PortProtocol kPostgres{5432, Protocol::kTCP};

// dev (env=dev): a, b; prod (env=prod): db (named ports pg 5432/TCP and dns 53/UDP), web.
ClusterState SmallCluster() {
  ClusterState state;
  state.namespaces = {NamespaceInfo{"dev", {{"env", "dev"}}},
                      NamespaceInfo{"prod", {{"env", "prod"}}}};
  state.pods = {
      PodInfo{"dev", "a", {{"app", "a"}}, {}, {"10.2.0.1"}},
      PodInfo{"dev", "b", {{"app", "b"}}, {}, {"10.2.0.2"}},
      PodInfo{"prod",
              "db",
              {{"app", "db"}},
              {{"pg", 5432, Protocol::kTCP}, {"dns", 53, Protocol::kUDP}},
              {"10.1.0.5"}},
      PodInfo{"prod", "web", {{"app", "web"}}, {}, {"10.3.0.5"}},
  };
  return state;
}

LabelSelector Env(const std::string& env) { return Selector({{"env", env}}); }

PolicyInfo DenyIngress(const std::string& ns) {
  PolicyInfo policy{ns, "default-deny", {}};
  policy.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress};
  return policy;
}

// Allow ingress to every pod of `ns` from pods of namespaces labeled env=`from`.
PolicyInfo AllowIngressFrom(const std::string& ns, const std::string& from) {
  PolicyInfo policy{ns, "allow-" + from, {}};
  policy.spec.ingress.push_back({{}, {NetworkPolicyPeer{std::nullopt, Env(from), std::nullopt}}});
  return policy;
}

struct Fixture {
  Connectivity engine;
  Endpoint Pod(const std::string& ns, const std::string& name) const {
    auto pod = engine.FindPod(ns, name);
    EXPECT_TRUE(pod.has_value()) << ns << '/' << name;
    return Endpoint::Pod(pod.value_or(0));
  }
  Decision Decide(const std::string& from, const std::string& to,
                  const PortProtocol& port = kPostgres) const {
    return engine.Decide(Parse(from), Parse(to), port);
  }
  std::string Explain(const std::string& from, const std::string& to,
                      const PortProtocol& port = kPostgres) const {
    return engine.Explain(Parse(from), Parse(to), port);
  }
  Endpoint Parse(const std::string& text) const {
    const auto slash = text.find('/');
    return slash == std::string::npos ? Endpoint::External(text)
                                      : Pod(text.substr(0, slash), text.substr(slash + 1));
  }
};

Fixture Make(std::vector<ClusterPolicyInfo> cluster, std::vector<PolicyInfo> policies = {}) {
  ClusterState state = SmallCluster();
  state.cluster_policies = std::move(cluster);
  state.policies = std::move(policies);
  Fixture fixture{MustBuildEngine(state)};
  for (const PortProtocol& port :
       {kPostgres, PortProtocol{53, Protocol::kUDP}, PortProtocol{6001, Protocol::kTCP}}) {
    ExpectMatrixAgrees(fixture.engine, port, port.ToString());
  }
  return fixture;
}

ClusterPolicySubject Prod() { return NamespacesSubject(Env("prod")); }
ClusterPolicySubject Dev() { return NamespacesSubject(Env("dev")); }

TEST(ClusterTiers, PassThenTheNetworkPolicyDenies) {
  const Fixture f = Make({AdminPolicy("pass-dev", 1, Prod(),
                                      {ClusterRule("", kPass, {NamespacesPeer(Env("dev"))})}, {})},
                         {DenyIngress("prod")});
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_FALSE(decision.Allowed());
  ASSERT_TRUE(decision.ingress.admin.has_value());
  EXPECT_EQ(decision.ingress.admin->action, kPass);
  EXPECT_EQ(decision.ingress.DecidedBy(), DecidingTier::kNetworkPolicy);
  EXPECT_EQ(decision.ingress.isolating, std::vector<std::size_t>{0});
  EXPECT_EQ(f.Explain("dev/a", "prod/db"),
            "dev/a -> prod/db on 5432/TCP: blocked\n"
            "  egress of dev/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of prod/db: blocked, isolated by prod/default-deny\n"
            "    passed on by AdminNetworkPolicy pass-dev (priority 1) spec.ingress[0] (Pass, "
            "from[0] namespaces {env=dev})\n"
            "    no ingress rule of these policies allows it\n");
}

TEST(ClusterTiers, PassWithoutNetworkPolicyGoesToTheBaseline) {
  const Fixture f = Make(
      {AdminPolicy("pass-dev", 1, Prod(), {ClusterRule("", kPass, {NamespacesPeer(Env("dev"))})},
                   {}),
       BaselinePolicy(Prod(), {ClusterRule("no-dev", kDeny, {NamespacesPeer(Env("dev"))})}, {})});
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_FALSE(decision.Allowed());
  EXPECT_EQ(decision.ingress.DecidedBy(), DecidingTier::kBaseline);
  EXPECT_EQ(f.Explain("dev/a", "prod/db"),
            "dev/a -> prod/db on 5432/TCP: blocked\n"
            "  egress of dev/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of prod/db: blocked by BaselineAdminNetworkPolicy default spec.ingress[0] "
            "\"no-dev\" (Deny, from[0] namespaces {env=dev})\n"
            "    passed on by AdminNetworkPolicy pass-dev (priority 1) spec.ingress[0] (Pass, "
            "from[0] namespaces {env=dev})\n"
            "    not isolated (no NetworkPolicy selects it for ingress)\n");
  // Neither tier matches prod/web as a source: allowed by default.
  const Decision other = f.Decide("prod/web", "prod/db");
  EXPECT_TRUE(other.Allowed());
  EXPECT_EQ(other.ingress.DecidedBy(), DecidingTier::kNone);
  EXPECT_FALSE(other.ingress.admin.has_value());
  EXPECT_FALSE(other.ingress.baseline.has_value());
}

TEST(ClusterTiers, BaselinePassGoesToTheDefault) {
  const Fixture f = Make({BaselinePolicy(Prod(),
                                         {ClusterRule("pass", kPass, {NamespacesPeer(Env("dev"))}),
                                          ClusterRule("deny", kDeny, {NamespacesPeer(Env("dev"))})},
                                         {})});
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.DecidedBy(), DecidingTier::kNone);
  ASSERT_TRUE(decision.ingress.baseline.has_value());
  EXPECT_EQ(decision.ingress.baseline->action, kPass);
}

TEST(ClusterTiers, RuleOrderWithinAPolicy) {
  const ClusterPolicyRule deny =
      ClusterRule("deny-pg", kDeny, {NamespacesPeer(Env("dev"))},
                  std::vector<ClusterPolicyPort>{PortNumber(Protocol::kTCP, 5432)});
  const ClusterPolicyRule allow = ClusterRule("allow-all", kAllow, {NamespacesPeer(Env("dev"))});
  EXPECT_FALSE(
      Make({AdminPolicy("p", 1, Prod(), {deny, allow}, {})}).Decide("dev/a", "prod/db").Allowed());
  const Fixture reversed = Make({AdminPolicy("p", 1, Prod(), {allow, deny}, {})});
  const Decision decision = reversed.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.admin->rule, 0U);
  EXPECT_EQ(decision.ingress.admin->path, "spec.ingress[0].from[0]");
}

TEST(ClusterTiers, LowerPriorityFirstAndAdminOverridesNetworkPolicies) {
  auto policies = [](int32_t allow_priority) {
    return std::vector<ClusterPolicyInfo>{
        AdminPolicy("deny", 20, Prod(), {ClusterRule("", kDeny, {NamespacesPeer(Env("dev"))})}, {}),
        AdminPolicy("allow", allow_priority, Prod(),
                    {ClusterRule("", kAllow, {NamespacesPeer(Env("dev"))})}, {})};
  };
  // The allow at 10 comes first, and decides over prod's default deny NetworkPolicy.
  const Fixture first = Make(policies(10), {DenyIngress("prod")});
  const Decision decision = first.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.DecidedBy(), DecidingTier::kAdmin);
  EXPECT_EQ(decision.ingress.admin->policy, 1U);
  EXPECT_TRUE(decision.ingress.isolating.empty());  // NetworkPolicies were not asked
  EXPECT_FALSE(Make(policies(30), {DenyIngress("prod")}).Decide("dev/a", "prod/db").Allowed());
}

TEST(ClusterTiers, BaselineDenyYieldsToTheNamespacesOwnNetworkPolicy) {
  const Fixture f =
      Make({BaselinePolicy(Prod(), {ClusterRule("", kDeny, {NamespacesPeer(Env("dev"))})}, {})},
           {AllowIngressFrom("prod", "dev")});
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.DecidedBy(), DecidingTier::kNetworkPolicy);
  EXPECT_FALSE(decision.ingress.baseline.has_value());
  // dev is not selected by any NetworkPolicy, so the Baseline tier decides there.
  const Fixture egress =
      Make({BaselinePolicy(Dev(), {}, {ClusterRule("", kDeny, {NamespacesPeer(Env("prod"))})})},
           {AllowIngressFrom("prod", "dev")});
  EXPECT_FALSE(egress.Decide("dev/a", "prod/db").Allowed());
  EXPECT_EQ(egress.Decide("dev/a", "prod/db").egress.DecidedBy(), DecidingTier::kBaseline);
}

TEST(ClusterTiers, PortRangesNamedPortsUdpAndSctp) {
  using Ports = std::vector<ClusterPolicyPort>;
  const Fixture f = Make({AdminPolicy(
      "ports", 1, Dev(), {},
      {ClusterRule("range", kDeny, {NamespacesPeer(Env("prod"))},
                   Ports{PortRange(Protocol::kTCP, 5000, 6000)}),
       ClusterRule("dns", kDeny, {NamespacesPeer(Env("prod"))}, Ports{NamedClusterPort("dns")}),
       ClusterRule("sctp", kDeny, {NamespacesPeer(Env("prod"))},
                   Ports{PortNumber(Protocol::kSCTP, 9003)})})});
  EXPECT_FALSE(f.Decide("dev/a", "prod/db").Allowed());
  EXPECT_FALSE(f.Decide("dev/a", "prod/web", {6000, Protocol::kTCP}).Allowed());
  EXPECT_TRUE(f.Decide("dev/a", "prod/db", {6001, Protocol::kTCP}).Allowed());
  EXPECT_TRUE(f.Decide("dev/a", "prod/db", {5432, Protocol::kUDP}).Allowed());
  // `dns` is 53/UDP on prod/db; prod/web has no such port, and 53/TCP is not it.
  EXPECT_FALSE(f.Decide("dev/a", "prod/db", {53, Protocol::kUDP}).Allowed());
  EXPECT_EQ(f.Decide("dev/a", "prod/db", {53, Protocol::kUDP}).egress.admin->rule, 1U);
  EXPECT_TRUE(f.Decide("dev/a", "prod/web", {53, Protocol::kUDP}).Allowed());
  EXPECT_TRUE(f.Decide("dev/a", "prod/db", {53, Protocol::kTCP}).Allowed());
  EXPECT_FALSE(f.Decide("dev/a", "prod/db", {9003, Protocol::kSCTP}).Allowed());
  EXPECT_TRUE(f.Decide("dev/a", "prod/db", {9003, Protocol::kTCP}).Allowed());
  for (const PortProtocol& port :
       {PortProtocol{53, Protocol::kUDP}, PortProtocol{9003, Protocol::kSCTP},
        PortProtocol{5000, Protocol::kTCP}}) {
    ExpectMatrixAgrees(f.engine, port, port.ToString());
  }
  // An ingress named port resolves on the destination, the subject.
  const Fixture ingress = Make({AdminPolicy(
      "pg", 1, Prod(),
      {ClusterRule("pg", kDeny, {NamespacesPeer(Env("dev"))}, Ports{NamedClusterPort("pg")})},
      {})});
  EXPECT_FALSE(ingress.Decide("dev/a", "prod/db").Allowed());
  EXPECT_TRUE(ingress.Decide("dev/a", "prod/web").Allowed());
}

TEST(ClusterTiers, NetworksMatchPodAddressesAndOutsideAddresses) {
  const Fixture f = Make({AdminPolicy(
      "no-db-net", 1, Dev(), {},
      {ClusterRule("db-net", kDeny, {NetworksPeer({"10.1.0.0/16", "fd00:1::/64"})})})});
  EXPECT_FALSE(f.Decide("dev/a", "prod/db").Allowed());  // 10.1.0.5
  EXPECT_TRUE(f.Decide("dev/a", "prod/web").Allowed());  // 10.3.0.5
  EXPECT_FALSE(f.Decide("dev/a", "10.1.200.1").Allowed());
  EXPECT_FALSE(f.Decide("dev/a", "fd00:1::7").Allowed());
  EXPECT_TRUE(f.Decide("dev/a", "192.0.2.1").Allowed());
  // Two pods the same but for their address are told apart by the block.
  ClusterState state = SmallCluster();
  state.pods.push_back(PodInfo{"prod", "db-2", {{"app", "db"}}, {}, {"10.1.0.6"}});
  state.pods.push_back(PodInfo{"prod", "db-3", {{"app", "db"}}, {}, {"10.9.0.6"}});
  state.pods.push_back(PodInfo{"prod", "db-4", {{"app", "db"}}, {}, {"10.1.9.9"}});
  state.cluster_policies = f.engine.state().cluster_policies;
  const Connectivity engine = MustBuildEngine(state);
  EXPECT_NE(engine.ClassOf(4), engine.ClassOf(5));
  EXPECT_EQ(engine.ClassOf(4), engine.ClassOf(6));
  ExpectMatrixAgrees(engine, kPostgres, "networks");
}

TEST(ClusterTiers, IngressNetworksMatchOutsideSources) {
  const Fixture f = Make({AdminPolicy(
      "from-net", 1, Prod(), {ClusterRule("", kDeny, {NetworksPeer({"203.0.113.0/24"})})}, {})});
  EXPECT_FALSE(f.Decide("203.0.113.9", "prod/db").Allowed());
  EXPECT_TRUE(f.Decide("198.51.100.1", "prod/db").Allowed());
  EXPECT_FALSE(f.Decide("203.0.113.9", "prod/db").egress.applies);
}

TEST(ClusterTiers, APeerWithNoKnownFieldFailsClosed) {
  const ClusterPolicyPeer unknown = OtherPeer(ClusterPeerKind::kUnknown);
  const std::vector<ClusterPolicyPort> pg = {PortNumber(Protocol::kTCP, 5432)};
  // In an Allow rule it matches nothing; the rule's other peers still match.
  const Fixture allow =
      Make({AdminPolicy("allow", 1, Prod(), {ClusterRule("", kAllow, {unknown})}, {}),
            BaselinePolicy(Prod(), {ClusterRule("", kDeny, {NamespacesPeer(Env("dev"))})}, {})});
  EXPECT_FALSE(allow.Decide("dev/a", "prod/db").Allowed());
  const Fixture allow_dev =
      Make({AdminPolicy("allow", 1, Prod(),
                        {ClusterRule("", kAllow, {unknown, NamespacesPeer(Env("dev"))})}, {}),
            BaselinePolicy(Prod(), {ClusterRule("", kDeny, {NamespacesPeer(Env("dev"))})}, {})});
  EXPECT_TRUE(allow_dev.Decide("dev/a", "prod/db").Allowed());
  // In a Deny or Pass rule it denies everything, whatever the rule's ports and other peers.
  for (const ClusterRuleAction action : {kDeny, kPass}) {
    const Fixture f = Make(
        {AdminPolicy("closed", 1, Prod(),
                     {ClusterRule("x", action, {NamespacesPeer(Env("qa")), unknown}, pg)}, {})});
    for (const std::string source : {"dev/a", "prod/web", "192.0.2.1"}) {
      for (const PortProtocol& port : {kPostgres, PortProtocol{53, Protocol::kUDP}}) {
        const Decision decision = f.Decide(source, "prod/db", port);
        EXPECT_FALSE(decision.Allowed()) << source << ' ' << port.ToString();
        ASSERT_TRUE(decision.ingress.admin.has_value());
        EXPECT_TRUE(decision.ingress.admin->fail_closed);
        EXPECT_EQ(decision.ingress.admin->path, "spec.ingress[0].from[1]");
      }
    }
    ExpectMatrixAgrees(f.engine, {53, Protocol::kUDP}, "fail closed");
  }
  EXPECT_EQ(
      Make({AdminPolicy("closed", 1, Prod(), {ClusterRule("x", kPass, {unknown}, pg)}, {})})
          .Explain("dev/a", "prod/db"),
      "dev/a -> prod/db on 5432/TCP: blocked\n"
      "  egress of dev/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
      "  ingress of prod/db: blocked by AdminNetworkPolicy closed (priority 1) spec.ingress[0] "
      "\"x\" (Pass, from[0] has no field netadmit knows: the rule fails closed and denies every "
      "connection)\n");
}

TEST(ClusterTiers, NodesAndDomainNamesNeverMatchAPod) {
  const Fixture f = Make({AdminPolicy(
      "outside", 1, Dev(), {},
      {ClusterRule("to-nodes", kDeny, {OtherPeer(ClusterPeerKind::kNodes)}),
       ClusterRule("to-names", kDeny, {OtherPeer(ClusterPeerKind::kDomainNames)}),
       ClusterRule("mixed", kAllow,
                   {OtherPeer(ClusterPeerKind::kNodes), NamespacesPeer(Env("prod"))})})});
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.egress.admin->rule, 2U);
  EXPECT_TRUE(f.Decide("dev/a", "192.0.2.1").Allowed());
  EXPECT_EQ(f.engine.ExplainClusterPolicies(f.Parse("dev/a"), f.Parse("prod/db")),
            "cluster policies selecting dev/a for egress: AdminNetworkPolicy outside (priority 1)\n"
            "  AdminNetworkPolicy outside spec.egress[0] \"to-nodes\": only nodes or domainNames "
            "peers, outside pod-to-pod analysis (not evaluated)\n"
            "  AdminNetworkPolicy outside spec.egress[1] \"to-names\": only nodes or domainNames "
            "peers, outside pod-to-pod analysis (not evaluated)\n"
            "cluster policies selecting prod/db for ingress: none\n");
  EXPECT_EQ(
      MustBuildEngine(SmallCluster()).ExplainClusterPolicies(Endpoint::Pod(0), Endpoint::Pod(1)),
      "");
}

TEST(ClusterTiers, EqualPrioritiesAreReported) {
  auto policy = [](const std::string& name, int32_t priority, ClusterRuleAction action,
                   ClusterPolicySubject subject) {
    return AdminPolicy(name, priority, std::move(subject),
                       {ClusterRule("", action, {NamespacesPeer(Env("dev"))})}, {});
  };
  const Fixture f = Make({policy("b-deny", 5, kDeny, Prod()), policy("a-allow", 5, kAllow, Prod()),
                          policy("c-later", 6, kDeny, Prod())});
  const Decision decision = f.Decide("dev/a", "prod/db");
  // Kind and name order: a-allow is applied, and the pair is named.
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.admin->policy, 1U);
  EXPECT_EQ(decision.ingress.conflicts, (std::vector<PriorityConflict>{{1, 0}}));
  EXPECT_EQ(f.Explain("dev/a", "prod/db"),
            "dev/a -> prod/db on 5432/TCP: allowed\n"
            "  egress of dev/a: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of prod/db: allowed by AdminNetworkPolicy a-allow (priority 5) "
            "spec.ingress[0] (Allow, from[0] namespaces {env=dev})\n"
            "    warning: AdminNetworkPolicy a-allow and AdminNetworkPolicy b-deny have the same "
            "priority (5): which one applies to a connection both match is undefined; both match, "
            "AdminNetworkPolicy a-allow was applied\n");
  EXPECT_EQ(f.engine.PriorityConflicts(), (std::vector<PriorityConflict>{{1, 0}}));
  EXPECT_EQ(DescribePriorityConflict(f.engine.state(), {1, 0}),
            "AdminNetworkPolicy a-allow and AdminNetworkPolicy b-deny have the same priority (5): "
            "which one applies to a connection both match is undefined");
  // prod/web as a source matches neither: no conflict on that connection.
  EXPECT_TRUE(f.Decide("prod/web", "prod/db").ingress.conflicts.empty());
  // Subjects that select no common pod, or different priorities, are not a conflict.
  EXPECT_TRUE(Make({policy("x", 5, kDeny, Prod()), policy("y", 5, kAllow, Dev())})
                  .engine.PriorityConflicts()
                  .empty());
  EXPECT_TRUE(Make({policy("x", 5, kDeny, Prod()), policy("y", 7, kAllow, Prod())})
                  .engine.PriorityConflicts()
                  .empty());
  // A ClusterNetworkPolicy of the Admin tier competes with AdminNetworkPolicies too.
  ClusterPolicyInfo cnp = policy("a-cnp", 5, kAllow, Prod());
  cnp.spec.kind = ClusterPolicyKind::kClusterNetworkPolicy;
  const Fixture mixed = Make({policy("z", 5, kDeny, Prod()), cnp});
  EXPECT_EQ(mixed.engine.PriorityConflicts(), (std::vector<PriorityConflict>{{0, 1}}))
      << "AdminNetworkPolicy sorts before ClusterNetworkPolicy";
}

TEST(ClusterTiers, ExplainNamesKindPolicyRulePathAndAction) {
  const Fixture f =
      Make({AdminPolicy("deny-prod", 10, Dev(), {},
                        {ClusterRule("deny-to-prod", kDeny, {NamespacesPeer(Env("prod"))})})});
  EXPECT_EQ(f.Explain("dev/a", "prod/db"),
            "dev/a -> prod/db on 5432/TCP: blocked\n"
            "  egress of dev/a: blocked by AdminNetworkPolicy deny-prod (priority 10) "
            "spec.egress[0] \"deny-to-prod\" (Deny, to[0] namespaces {env=prod})\n"
            "  ingress of prod/db: allowed, not isolated (no NetworkPolicy selects it for "
            "ingress)\n");
  const Fixture cnp = Make({ClusterPolicy(
      "web", ClusterPolicyTier::kBaseline, 3, PodsSubject(Env("prod"), Selector({{"app", "db"}})),
      {ClusterRule("from-web", kAllow, {PodsPeer(Env("prod"), Selector({{"app", "web"}}))})}, {})});
  EXPECT_EQ(cnp.Explain("prod/web", "prod/db"),
            "prod/web -> prod/db on 5432/TCP: allowed\n"
            "  egress of prod/web: allowed, not isolated (no NetworkPolicy selects it for egress)\n"
            "  ingress of prod/db: allowed by ClusterNetworkPolicy web (Baseline tier, priority 3) "
            "spec.ingress[0] \"from-web\" (Accept, from[0] pods {app=web} in namespaces "
            "{env=prod})\n"
            "    not isolated (no NetworkPolicy selects it for ingress)\n");
  const Decision decision = cnp.Decide("prod/web", "prod/db");
  ASSERT_TRUE(decision.ingress.baseline.has_value());
  EXPECT_EQ(ClusterRuleName(cnp.engine.state(), *decision.ingress.baseline),
            "ClusterNetworkPolicy web spec.ingress[0].from[0]");
}

TEST(ClusterTiers, BaselineOrderPutsTheBaselineAdminNetworkPolicyLast) {
  const Fixture f =
      Make({BaselinePolicy(Prod(), {ClusterRule("", kDeny, {NamespacesPeer(Env("dev"))})}, {}),
            ClusterPolicy("late", ClusterPolicyTier::kBaseline, 900, Prod(),
                          {ClusterRule("", kAllow, {NamespacesPeer(Env("dev"))})}, {}),
            ClusterPolicy("early", ClusterPolicyTier::kBaseline, 2, Prod(),
                          {ClusterRule("", kPass, {NamespacesPeer(Env("dev"))})}, {})});
  // early passes to the default: neither the later CNP nor the BANP is asked.
  const Decision decision = f.Decide("dev/a", "prod/db");
  EXPECT_TRUE(decision.Allowed());
  EXPECT_EQ(decision.ingress.baseline->policy, 2U);
}

TEST(ClusterTiers, BuildRejectsAnInvalidNetworksCidr) {
  ClusterState state = SmallCluster();
  state.cluster_policies.push_back(
      AdminPolicy("bad", 1, Dev(), {},
                  {ClusterRule("", kDeny, {NamespacesPeer(Env("prod"))}),
                   ClusterRule("", kDeny, {NetworksPeer({"10.0.0.0/8", "10.1.0.0/33"})})}));
  auto built = Connectivity::Build(std::move(state));
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().path, "spec.egress[1].to[0].networks[1]");
  EXPECT_EQ(built.error().message,
            "AdminNetworkPolicy bad: invalid CIDR \"10.1.0.0/33\": prefix length must be a number "
            "from 0 to 32");
}

TEST(ClusterTiers, FlowsNameTheDecidingClusterRule) {
  const Fixture f = Make(
      {AdminPolicy("deny-prod", 10, Dev(), {},
                   {ClusterRule("deny-to-prod", kDeny, {NamespacesPeer(Env("prod"))})}),
       AdminPolicy("allow-web", 11, Prod(),
                   {ClusterRule("", kAllow, {PodsPeer(Env("prod"), Selector({{"app", "web"}}))})},
                   {})},
      {DenyIngress("prod")});
  auto flows = ParseFlows(YAML::Load("require: [{from: {namespaceSelector: {matchLabels: {env: "
                                     "dev}}}, to: {namespaceSelector: {matchLabels: {env: prod}}}, "
                                     "ports: [5432/TCP]}]\n"
                                     "forbid: [{from: {podSelector: {matchLabels: {app: web}}}, "
                                     "to: {podSelector: {matchLabels: {app: db}}}, ports: "
                                     "[5432/TCP]}]"),
                          "rules.yaml", "spec.rules[0].params");
  ASSERT_TRUE(flows.ok()) << flows.error().ToString();
  const std::vector<Violation> violations = EvaluateFlows(f.engine, *flows);
  ASSERT_EQ(violations.size(), 2U);
  EXPECT_EQ(violations[0].detail,
            "prod/web -> prod/db on 5432/TCP, opened by AdminNetworkPolicy allow-web "
            "spec.ingress[0].from[0]");
  EXPECT_EQ(violations[1].detail,
            "dev/a -> prod/db on 5432/TCP, egress closed by AdminNetworkPolicy deny-prod "
            "spec.egress[0].to[0]");
}

// ---- Random clusters against a naive evaluator ----

const PortProtocol kRandomPorts[] = {{79, Protocol::kTCP}, {80, Protocol::kTCP},
                                     {81, Protocol::kTCP}, {80, Protocol::kUDP},
                                     {53, Protocol::kUDP}, {9003, Protocol::kSCTP}};
const char* const kOutside[] = {"10.0.1.200", "192.0.2.1"};

// The naive evaluator: the upstream text read literally, pod by pod, with no classes, no bit
// sets and none of the engine's code beyond label selectors and CIDR parsing.
class Reference {
 public:
  explicit Reference(const ClusterState& state) : state_(state) {
    for (const NamespaceInfo& ns : state.namespaces) {
      namespaces_[ns.name] = ns.labels;
      namespaces_[ns.name]["kubernetes.io/metadata.name"] = ns.name;
    }
    for (const ClusterPolicyInfo& policy : state_.cluster_policies) {
      (policy.spec.tier == ClusterPolicyTier::kAdmin ? admin_ : baseline_).push_back(&policy);
    }
    // Priority order; kind and name for equal priorities; BaselineAdminNetworkPolicies last.
    auto key = [](const ClusterPolicyInfo* p) {
      return std::make_tuple(p->spec.kind == ClusterPolicyKind::kBaselineAdminNetworkPolicy,
                             p->spec.priority, std::string(ClusterPolicyKindName(p->spec.kind)),
                             p->name);
    };
    for (auto* order : {&admin_, &baseline_}) {
      std::stable_sort(order->begin(), order->end(),
                       [&](const auto* a, const auto* b) { return key(a) < key(b); });
    }
  }

  enum class Verdict { kAllowed, kDenied, kByDefault };

  struct Outcome {
    Verdict verdict = Verdict::kByDefault;
    std::size_t conflicting = 0;  // Admin policies at the deciding priority that matched
  };

  // One direction of a connection between `subject` (a pod) and `peer` (a pod index, or an
  // outside address), `to` being the destination pod when there is one.
  Outcome Direction(bool ingress, std::size_t subject, std::optional<std::size_t> peer,
                    const std::string& peer_address, std::optional<std::size_t> to,
                    const PortProtocol& port) const {
    Outcome outcome;
    const auto admin = Tier(ClusterPolicyTier::kAdmin, ingress, subject, peer, peer_address, to,
                            port, &outcome.conflicting);
    if (admin && *admin != ClusterRuleAction::kPass) {
      outcome.verdict = *admin == ClusterRuleAction::kAllow ? Verdict::kAllowed : Verdict::kDenied;
      return outcome;
    }
    bool isolated = false;
    bool allowed = false;
    const PodInfo& pod = state_.pods[subject];
    for (const PolicyInfo& policy : state_.policies) {
      if (policy.namespace_name != pod.namespace_name ||
          !policy.spec.pod_selector.Matches(pod.labels) || !Affects(policy.spec, ingress)) {
        continue;
      }
      isolated = true;
      for (const NetworkPolicyRule& rule : ingress ? policy.spec.ingress : policy.spec.egress) {
        const bool ports =
            rule.ports.empty() ||
            std::any_of(rule.ports.begin(), rule.ports.end(), [&](const NetworkPolicyPort& p) {
              if (p.protocol != port.protocol) {
                return false;
              }
              if (p.named_port) {
                return Named(to, *p.named_port, port);
              }
              return !p.port || (port.port >= *p.port && port.port <= p.end_port.value_or(*p.port));
            });
        const bool peers =
            rule.peers.empty() ||
            std::any_of(rule.peers.begin(), rule.peers.end(), [&](const NetworkPolicyPeer& p) {
              if (p.ip_block) {
                return In(peer, peer_address, p.ip_block->cidr, p.ip_block->except);
              }
              if (!peer || (!p.namespace_selector && !p.pod_selector)) {
                return false;
              }
              const PodInfo& other = state_.pods[*peer];
              const bool ns =
                  p.namespace_selector
                      ? p.namespace_selector->Matches(namespaces_.at(other.namespace_name))
                      : other.namespace_name == policy.namespace_name;
              return ns && (!p.pod_selector || p.pod_selector->Matches(other.labels));
            });
        allowed = allowed || (ports && peers);
      }
    }
    if (isolated) {
      outcome.verdict = allowed ? Verdict::kAllowed : Verdict::kDenied;
      return outcome;
    }
    const auto baseline =
        Tier(ClusterPolicyTier::kBaseline, ingress, subject, peer, peer_address, to, port, nullptr);
    if (baseline && *baseline != ClusterRuleAction::kPass) {
      outcome.verdict =
          *baseline == ClusterRuleAction::kAllow ? Verdict::kAllowed : Verdict::kDenied;
    }
    return outcome;
  }

 private:
  static bool Affects(const NetworkPolicySpec& spec, bool ingress) {
    if (!spec.policy_types || spec.policy_types->empty()) {
      return ingress || !spec.egress.empty();
    }
    const PolicyType type = ingress ? PolicyType::kIngress : PolicyType::kEgress;
    return std::find(spec.policy_types->begin(), spec.policy_types->end(), type) !=
           spec.policy_types->end();
  }

  bool Named(std::optional<std::size_t> to, const std::string& name,
             const PortProtocol& port) const {
    if (!to) {
      return false;
    }
    for (const NamedPort& named : state_.pods[*to].ports) {
      if (named.name == name && named.port == port.port && named.protocol == port.protocol) {
        return true;
      }
    }
    return false;
  }

  bool In(std::optional<std::size_t> peer, const std::string& address, const std::string& cidr,
          const std::vector<std::string>& except) const {
    std::vector<std::string> addresses =
        peer ? state_.pods[*peer].ips : std::vector<std::string>{address};
    for (const std::string& ip : addresses) {
      const Cidr host = Cidr::Parse(ip + "/32").value();
      if (!Cidr::Parse(cidr).value().Contains(host)) {
        continue;
      }
      if (std::none_of(except.begin(), except.end(), [&](const std::string& block) {
            return Cidr::Parse(block).value().Contains(host);
          })) {
        return true;
      }
    }
    return false;
  }

  std::optional<ClusterRuleAction> Tier(ClusterPolicyTier tier, bool ingress, std::size_t subject,
                                        std::optional<std::size_t> peer,
                                        const std::string& peer_address,
                                        std::optional<std::size_t> to, const PortProtocol& port,
                                        std::size_t* conflicting) const {
    const auto& order = tier == ClusterPolicyTier::kAdmin ? admin_ : baseline_;
    const PodInfo& pod = state_.pods[subject];
    std::optional<ClusterRuleAction> decided;
    std::optional<int32_t> priority;
    for (const ClusterPolicyInfo* policy : order) {
      if (priority && policy->spec.priority != *priority) {
        break;
      }
      if (!policy->spec.subject.Matches(namespaces_.at(pod.namespace_name), pod.labels)) {
        continue;
      }
      for (const ClusterPolicyRule& rule : ingress ? policy->spec.ingress : policy->spec.egress) {
        const auto action = Match(rule, peer, peer_address, to, port);
        if (action) {
          if (!decided) {
            decided = action;
            priority = policy->spec.priority;
          }
          if (conflicting != nullptr) {
            ++*conflicting;
          }
          break;
        }
      }
      if (decided && conflicting == nullptr) {
        break;
      }
    }
    return decided;
  }

  std::optional<ClusterRuleAction> Match(const ClusterPolicyRule& rule,
                                         std::optional<std::size_t> peer,
                                         const std::string& peer_address,
                                         std::optional<std::size_t> to,
                                         const PortProtocol& port) const {
    for (const ClusterPolicyPeer& p : rule.peers) {
      if (p.kind == ClusterPeerKind::kUnknown && rule.action != ClusterRuleAction::kAllow) {
        return ClusterRuleAction::kDeny;
      }
    }
    const bool ports =
        !rule.ports || rule.ports->empty() ||
        std::any_of(rule.ports->begin(), rule.ports->end(), [&](const ClusterPolicyPort& p) {
          if (p.named_port) {
            return Named(to, *p.named_port, port);
          }
          return p.protocol == port.protocol && port.port >= p.first && port.port <= p.last;
        });
    const bool peers = std::any_of(rule.peers.begin(), rule.peers.end(), [&](const auto& p) {
      switch (p.kind) {
        case ClusterPeerKind::kNamespaces:
          return peer &&
                 p.namespace_selector.Matches(namespaces_.at(state_.pods[*peer].namespace_name));
        case ClusterPeerKind::kPods:
          return peer &&
                 p.namespace_selector.Matches(namespaces_.at(state_.pods[*peer].namespace_name)) &&
                 p.pod_selector.Matches(state_.pods[*peer].labels);
        case ClusterPeerKind::kNetworks:
          return std::any_of(p.networks.begin(), p.networks.end(), [&](const std::string& cidr) {
            return In(peer, peer_address, cidr, {});
          });
        default:
          return false;
      }
    });
    if (ports && peers) {
      return rule.action;
    }
    return std::nullopt;
  }

  const ClusterState& state_;
  std::map<std::string, Labels, std::less<>> namespaces_;
  std::vector<const ClusterPolicyInfo*> admin_;
  std::vector<const ClusterPolicyInfo*> baseline_;
};

bool Allowed(Reference::Verdict verdict) { return verdict != Reference::Verdict::kDenied; }

// Decide, the matrix (and its by-default flags) and the reference agree on every pair of pods
// and port, and Decide and the reference on connections with addresses outside the cluster.
void CheckAgainstReference(unsigned seed, int cluster_policies) {
  RandomCluster random(seed);
  ClusterState state = random.State(24);
  for (int i = 0; i < 6; ++i) {
    state.policies.push_back(random.Policy("np" + std::to_string(i)));
  }
  for (int i = 0; i < cluster_policies; ++i) {
    state.cluster_policies.push_back(RandomClusterPolicy(random, "cp" + std::to_string(i)));
  }
  const Reference reference(state);
  const Connectivity engine = MustBuildEngine(state);
  const ReachMatrix matrix = engine.ComputeMatrix(kRandomPorts);
  const std::size_t pods = state.pods.size();
  for (std::size_t p = 0; p < std::size(kRandomPorts); ++p) {
    const PortProtocol& port = kRandomPorts[p];
    std::vector<uint8_t> ingress_default(pods, 0);
    std::vector<uint8_t> egress_default(pods, 0);
    for (std::size_t from = 0; from < pods; ++from) {
      for (std::size_t to = 0; to < pods; ++to) {
        const Decision decision = engine.Decide(Endpoint::Pod(from), Endpoint::Pod(to), port);
        const auto egress = reference.Direction(false, from, to, "", to, port);
        const auto ingress = reference.Direction(true, to, from, "", to, port);
        const bool expected = Allowed(egress.verdict) && Allowed(ingress.verdict);
        ASSERT_EQ(decision.Allowed(), expected)
            << "seed " << seed << '\n'
            << engine.Explain(Endpoint::Pod(from), Endpoint::Pod(to), port);
        ASSERT_EQ(matrix.Allowed(p, from, to), expected)
            << "seed " << seed << " matrix\n"
            << engine.Explain(Endpoint::Pod(from), Endpoint::Pod(to), port);
        for (const auto& [side, outcome] :
             {std::pair{&decision.egress, egress}, std::pair{&decision.ingress, ingress}}) {
          ASSERT_EQ(side->DecidedBy() == DecidingTier::kNone,
                    outcome.verdict == Reference::Verdict::kByDefault)
              << "seed " << seed;
          const std::size_t pairs =
              outcome.conflicting * (outcome.conflicting == 0 ? 0 : outcome.conflicting - 1) / 2;
          ASSERT_EQ(side->conflicts.size(), pairs) << "seed " << seed;
        }
        egress_default[from] |= egress.verdict == Reference::Verdict::kByDefault ? 1 : 0;
        ingress_default[to] |= ingress.verdict == Reference::Verdict::kByDefault ? 1 : 0;
      }
    }
    for (std::size_t pod = 0; pod < pods; ++pod) {
      ASSERT_EQ(matrix.AllowedByDefault(p, pod, true), ingress_default[pod] != 0) << seed;
      ASSERT_EQ(matrix.AllowedByDefault(p, pod, false), egress_default[pod] != 0) << seed;
    }
    for (const char* address : kOutside) {
      for (std::size_t pod = 0; pod < pods; ++pod) {
        const Endpoint outside = Endpoint::External(address);
        const bool in =
            Allowed(reference.Direction(true, pod, std::nullopt, address, pod, port).verdict);
        ASSERT_EQ(engine.Decide(outside, Endpoint::Pod(pod), port).Allowed(), in)
            << "seed " << seed << '\n'
            << engine.Explain(outside, Endpoint::Pod(pod), port);
        const bool out = Allowed(
            reference.Direction(false, pod, std::nullopt, address, std::nullopt, port).verdict);
        ASSERT_EQ(engine.Decide(Endpoint::Pod(pod), outside, port).Allowed(), out)
            << "seed " << seed << '\n'
            << engine.Explain(Endpoint::Pod(pod), outside, port);
      }
    }
  }
}

TEST(RandomClusters, NetworkPoliciesOnlyAgreeWithTheReference) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    CheckAgainstReference(seed, 0);
  }
}

TEST(RandomClusters, ClusterPoliciesAgreeWithTheReference) {
  for (unsigned seed = 1000; seed < 1080; ++seed) {
    CheckAgainstReference(seed, 5);
  }
}

}  // namespace
}  // namespace netadmit
