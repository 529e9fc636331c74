// `netadmit reach`: reading kubectl output and manifests, endpoint selection, the table, JSON
// and DOT renderings, differences between manifest sets, and exposure.

#include "netadmit/connectivity/reach.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "cli/reach_command.h"
#include "cli/reach_report.h"

namespace netadmit::cli {
namespace {

const std::string kReach = std::string(NETADMIT_FIXTURES_DIR) + "/reach/";

ReachInput MustRead(const std::vector<std::string>& inputs) {
  auto input = ReadReachInput(inputs, "default");
  if (!input.ok()) {
    ADD_FAILURE() << input.error().ToString();
    return {};
  }
  return std::move(input.value());
}

Connectivity MustBuild(const ClusterState& state) {
  auto engine = Connectivity::Build(state);
  if (!engine.ok()) {
    ADD_FAILURE() << engine.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  return std::move(engine.value());
}

std::vector<std::string> Names(const Connectivity& engine, const std::vector<Endpoint>& list) {
  std::vector<std::string> names;
  for (const Endpoint& endpoint : list) {
    names.push_back(engine.Describe(endpoint));
  }
  return names;
}

TEST(ReadReachInput, ReadsKubectlListOutput) {
  const ReachInput input = MustRead({kReach + "cluster.yaml"});
  ASSERT_EQ(input.state.namespaces.size(), 3U);
  EXPECT_EQ(input.state.namespaces[0].labels.at("env"), "prod");
  // The host-network pod is left out: NetworkPolicy does not apply to it.
  ASSERT_EQ(input.state.pods.size(), 4U);
  const PodInfo& web = input.state.pods[0];
  EXPECT_EQ(web.namespace_name + "/" + web.name, "prod/web-1");
  EXPECT_EQ(web.labels, (Labels{{"app", "web"}}));
  ASSERT_EQ(web.ports.size(), 1U);
  EXPECT_EQ(web.ports[0].name, "http");
  EXPECT_EQ(web.ports[0].port, 8080);
  EXPECT_EQ(web.ips, std::vector<std::string>{"10.8.0.11"});
  EXPECT_EQ(input.state.pods[1].ips, std::vector<std::string>{"10.8.0.12"});  // podIP only
  EXPECT_EQ(input.container_ports[1], (std::vector<PortProtocol>{{5432, Protocol::kTCP}}));
}

TEST(ReadReachInput, WorkloadsStandForTheirPodsWhenThereAreNoPods) {
  const ReachInput input = MustRead({std::string(NETADMIT_FIXTURES_DIR) + "/manifests"});
  ASSERT_FALSE(input.state.pods.empty());
  EXPECT_FALSE(input.state.policies.empty());
  for (const PodInfo& pod : input.state.pods) {
    EXPECT_FALSE(pod.name.empty());
  }
}

TEST(ReadReachInput, FailsOnMalformedObjectsWithFileAndPath) {
  auto input = ReadReachInput({kReach + "bad/bad-policy.yaml"}, "default");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().file, kReach + "bad/bad-policy.yaml");
  EXPECT_EQ(input.error().path, "spec.podSelector");
}

struct SelectCase {
  std::string text;
  std::vector<std::string> names;  // empty: an error
  std::string error;
};

TEST(SelectEndpoints, Forms) {
  const ReachInput input = MustRead({kReach + "cluster.yaml"});
  const Connectivity engine = MustBuild(input.state);
  const SelectCase cases[] = {
      {"", {"prod/web-1", "prod/db-0", "dev/web-1", "ingress-nginx/controller"}, ""},
      {"prod/web-1", {"prod/web-1"}, ""},
      {"prod/*", {"prod/web-1", "prod/db-0"}, ""},
      {"prod/", {"prod/web-1", "prod/db-0"}, ""},
      {"app=web", {"prod/web-1", "dev/web-1"}, ""},
      {"app==web", {"prod/web-1", "dev/web-1"}, ""},
      {"prod/app!=web", {"prod/db-0"}, ""},
      {"app,!missing", {"prod/web-1", "prod/db-0", "dev/web-1", "ingress-nginx/controller"}, ""},
      {"app=web, app!=db", {"prod/web-1", "dev/web-1"}, ""},
      {"203.0.113.9", {"203.0.113.9"}, ""},
      {"fd00::1", {"fd00::1"}, ""},
      {"prod/nope", {}, "\"prod/nope\" selects no pod"},
      {"app=nope", {}, "\"app=nope\" selects no pod"},
      {"/web", {}, "invalid endpoint \"/web\": the namespace is empty"},
      {"app=web,,x",
       {},
       "invalid selector \"app=web,,x\" at \"\": write KEY=VALUE, KEY!=VALUE, KEY or !KEY, "
       "separated by commas"},
      {"a=b=c",
       {},
       "invalid selector \"a=b=c\" at \"a=b=c\": write KEY=VALUE, KEY!=VALUE, KEY or !KEY, "
       "separated by commas"},
  };
  for (const SelectCase& c : cases) {
    auto selected = SelectEndpoints(engine, c.text);
    if (c.names.empty()) {
      ASSERT_FALSE(selected.ok()) << c.text;
      EXPECT_EQ(selected.error().message, c.error);
    } else {
      ASSERT_TRUE(selected.ok()) << c.text << ": " << selected.error().message;
      EXPECT_EQ(Names(engine, *selected), c.names) << c.text;
    }
  }
}

class ReachOld : public testing::Test {
 protected:
  ReachOld()
      : input_(MustRead({kReach + "cluster.yaml", kReach + "old/policies.yaml"})),
        engine_(MustBuild(input_.state)) {}

  std::vector<Endpoint> Select(const std::string& text) {
    auto selected = SelectEndpoints(engine_, text);
    EXPECT_TRUE(selected.ok()) << text;
    return selected.ok() ? *selected : std::vector<Endpoint>{};
  }

  ReachInput input_;
  Connectivity engine_;
};

TEST_F(ReachOld, DefaultPortsAreTheDeclaredContainerPorts) {
  EXPECT_EQ(DeclaredPorts(input_, Select("")),
            (std::vector<PortProtocol>{
                {443, Protocol::kTCP}, {5432, Protocol::kTCP}, {8080, Protocol::kTCP}}));
  EXPECT_EQ(DeclaredPorts(input_, Select("app=db")),
            (std::vector<PortProtocol>{{5432, Protocol::kTCP}}));
}

TEST_F(ReachOld, Table) {
  const ReachTable table = ComputeReachTable(engine_, Select("app=web"), Select("prod/*"),
                                             {{5432, Protocol::kTCP}, {8080, Protocol::kTCP}});
  EXPECT_EQ(RenderReachText(table),
            "5432/TCP (rows: from, columns: to; . allowed, X blocked)\n"
            "-          prod/web-1 prod/db-0\n"
            "prod/web-1 X          .\n"
            "dev/web-1  X          X\n"
            "\n"
            "8080/TCP (rows: from, columns: to; . allowed, X blocked)\n"
            "-          prod/web-1 prod/db-0\n"
            "prod/web-1 X          X\n"
            "dev/web-1  X          X\n");
}

TEST_F(ReachOld, OutsideSourcesInTheTable) {
  const ReachTable table = ComputeReachTable(
      engine_, {Endpoint::External("203.0.113.9"), Endpoint::External("10.1.1.1")},
      Select("ingress-nginx/controller"), {{443, Protocol::kTCP}});
  EXPECT_EQ(RenderReachText(table),
            "443/TCP (rows: from, columns: to; . allowed, X blocked)\n"
            "-           ingress-nginx/controller\n"
            "203.0.113.9 .\n"
            "10.1.1.1    X\n");
}

TEST_F(ReachOld, JsonListsEveryPairIncludingSelf) {
  const ReachTable table =
      ComputeReachTable(engine_, Select(""), Select(""), {{5432, Protocol::kTCP}});
  const std::string json = RenderReachJson(table);
  rapidjson::Document document;
  document.Parse(json.c_str());
  ASSERT_FALSE(document.HasParseError()) << json;
  ASSERT_TRUE(document["connections"].IsArray());
  const auto& connections = document["connections"];
  ASSERT_EQ(connections.Size(), 16U);
  int allowed = 0;
  bool self = false;
  for (const auto& connection : connections.GetArray()) {
    EXPECT_EQ(connection["port"].GetInt(), 5432);
    EXPECT_STREQ(connection["protocol"].GetString(), "TCP");
    allowed += connection["allowed"].GetBool() ? 1 : 0;
    self = self || std::string(connection["from"].GetString()) == connection["to"].GetString();
    if (std::string(connection["from"].GetString()) == "prod/web-1" &&
        std::string(connection["to"].GetString()) == "prod/db-0") {
      EXPECT_TRUE(connection["allowed"].GetBool());
    }
  }
  EXPECT_TRUE(self);
  // prod/web-1 -> prod/db-0, and the three pods that can send reaching dev/web-1.
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(document["summary"][0]["allowed"].GetInt(), 3);
  EXPECT_EQ(document["summary"][0]["blocked"].GetInt(), 13);
}

TEST_F(ReachOld, Dot) {
  const ReachTable table = ComputeReachTable(engine_, Select("prod/*"), Select("prod/*"),
                                             {{5432, Protocol::kTCP}, {8080, Protocol::kTCP}});
  EXPECT_EQ(RenderReachDot(table),
            "digraph reach {\n"
            "  rankdir=LR;\n"
            "  node [shape=box, style=rounded];\n"
            "  subgraph \"cluster_prod\" {\n"
            "    label=\"prod\";\n"
            "    \"prod/db-0\" [label=\"db-0\"];\n"
            "    \"prod/web-1\" [label=\"web-1\"];\n"
            "  }\n"
            "  \"prod/web-1\" -> \"prod/db-0\" [label=\"5432/TCP\"];\n"
            "}\n");
}

TEST_F(ReachOld, Exposure) {
  const Exposure exposure = ComputeExposure(engine_, Select(""), DeclaredPorts(input_, Select("")));
  EXPECT_EQ(RenderExposureText(exposure),
            "Reachable from outside the cluster: 2\n"
            "  dev/web-1 on 443/TCP, 5432/TCP, 8080/TCP\n"
            "  ingress-nginx/controller on 443/TCP\n"
            "Reachable from every namespace: 0\n"
            "Not isolated for ingress (some connections allowed only by default): 1\n"
            "  dev/web-1\n"
            "Not isolated for egress (some connections allowed only by default): 2\n"
            "  dev/web-1\n"
            "  ingress-nginx/controller\n");
  rapidjson::Document document;
  document.Parse(RenderExposureJson(exposure).c_str());
  ASSERT_FALSE(document.HasParseError());
  EXPECT_STREQ(document["fromOutside"][1]["pod"].GetString(), "ingress-nginx/controller");
}

TEST(Exposure, FromEveryNamespace) {
  ClusterState state;
  for (const char* ns : {"a", "b", "c"}) {
    state.pods.push_back(PodInfo{ns, "p", {{"app", "x"}}, {}, {}});
  }
  NetworkPolicySpec spec;
  spec.ingress.push_back(
      NetworkPolicyRule{{}, {NetworkPolicyPeer{std::nullopt, LabelSelector{}, std::nullopt}}});
  state.policies.push_back(PolicyInfo{"a", "from-all-namespaces", spec});
  const Connectivity engine = MustBuild(state);
  const Exposure exposure =
      ComputeExposure(engine, {Endpoint::Pod(0), Endpoint::Pod(1)}, {{80, Protocol::kTCP}});
  // a/p admits every pod of every namespace, but nothing from outside; b/p admits everyone.
  ASSERT_EQ(exposure.from_every_namespace.size(), 2U);
  EXPECT_EQ(exposure.from_every_namespace[0].pod, "a/p");
  ASSERT_EQ(exposure.from_outside.size(), 1U);
  EXPECT_EQ(exposure.from_outside[0].pod, "b/p");
  EXPECT_EQ(exposure.ingress_not_isolated, std::vector<std::string>{"b/p"});
}

TEST(Exposure, OutsideOnlyPastAnExcept) {
  ClusterState state;
  state.pods.push_back(PodInfo{"a", "p", {}, {}, {}});
  NetworkPolicySpec spec;
  spec.ingress.push_back(NetworkPolicyRule{
      {}, {NetworkPolicyPeer{std::nullopt, std::nullopt, IPBlock{"10.0.0.0/8", {"10.0.0.0/9"}}}}});
  state.policies.push_back(PolicyInfo{"a", "cidr", spec});
  const Connectivity engine = MustBuild(state);
  // 10.0.0.0 is in the except; 10.128.0.0, just past it, is admitted.
  const Exposure exposure = ComputeExposure(engine, {Endpoint::Pod(0)}, {{80, Protocol::kTCP}});
  ASSERT_EQ(exposure.from_outside.size(), 1U);
  EXPECT_TRUE(
      engine.Decide(Endpoint::External("10.128.0.0"), Endpoint::Pod(0), {80, Protocol::kTCP})
          .Allowed());
  EXPECT_FALSE(engine.Decide(Endpoint::External("10.0.0.0"), Endpoint::Pod(0), {80, Protocol::kTCP})
                   .Allowed());
}

TEST(DiffReach, ListsGainedAndLostConnections) {
  const ReachInput old_input = MustRead({kReach + "old"});
  const ReachInput new_input = MustRead({kReach + "new"});
  DiffOptions options;
  auto diff = DiffReach(old_input, new_input, options);
  ASSERT_TRUE(diff.ok()) << diff.error().ToString();
  EXPECT_EQ(RenderDiffText(*diff),
            "- prod/web-1 -> prod/db-0 5432/TCP\n"
            "+ dev/web-1 -> prod/db-0 5432/TCP\n"
            "1 connection gained, 1 lost on 443/TCP, 5432/TCP, 8080/TCP\n");
  rapidjson::Document document;
  document.Parse(RenderDiffJson(*diff).c_str());
  ASSERT_FALSE(document.HasParseError());
  ASSERT_EQ(document["gained"].Size(), 1U);
  EXPECT_STREQ(document["gained"][0]["from"].GetString(), "dev/web-1");
  EXPECT_EQ(document["lost"][0]["port"].GetInt(), 5432);

  options.to = "ingress-nginx/*";
  options.ports = {{443, Protocol::kTCP}};
  diff = DiffReach(old_input, new_input, options);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(RenderDiffText(*diff), "0 connections gained, 0 lost on 443/TCP\n");
}

// ---- The cluster-scoped tiers (fixtures/reach/tiers, the example of docs/reach.md) ----

class ReachTiers : public testing::Test {
 protected:
  ReachTiers() : input_(MustRead({kReach + "tiers"})), engine_(MustBuild(input_.state)) {}

  Endpoint Pod(const std::string& text) {
    auto selected = SelectEndpoints(engine_, text);
    EXPECT_TRUE(selected.ok() && selected->size() == 1) << text;
    return selected.ok() && !selected->empty() ? selected->front() : Endpoint::Pod(0);
  }

  ReachInput input_;
  Connectivity engine_;
};

TEST_F(ReachTiers, ReadsTheClusterPolicies) {
  ASSERT_EQ(input_.state.cluster_policies.size(), 3U);
  EXPECT_EQ(input_.state.cluster_policies[0].name, "deny-dev-to-prod");
  EXPECT_EQ(input_.state.cluster_policies[0].spec.priority, 10);
  EXPECT_EQ(input_.state.cluster_policies[2].spec.kind,
            ClusterPolicyKind::kBaselineAdminNetworkPolicy);
  EXPECT_TRUE(PriorityWarnings(engine_).empty());
}

TEST_F(ReachTiers, TableShowsEachTiersDecisions) {
  const ReachTable table = ComputeReachTable(engine_, SelectEndpoints(engine_, "").value(),
                                             SelectEndpoints(engine_, "prod/*").value(),
                                             {{5432, Protocol::kTCP}, {8080, Protocol::kTCP}});
  // dev is denied by the Admin tier, monitoring by the Baseline tier (web-1) and the NetworkPolicy
  // (db-0) after the Admin tier's Pass; prod reaches its web pods by default.
  EXPECT_EQ(RenderReachText(table),
            "5432/TCP (rows: from, columns: to; . allowed, X blocked)\n"
            "-                       prod/web-1 prod/db-0\n"
            "dev/web-1               X          X\n"
            "prod/web-1              .          .\n"
            "prod/db-0               .          X\n"
            "monitoring/prometheus-0 X          X\n"
            "\n"
            "8080/TCP (rows: from, columns: to; . allowed, X blocked)\n"
            "-                       prod/web-1 prod/db-0\n"
            "dev/web-1               X          X\n"
            "prod/web-1              .          X\n"
            "prod/db-0               .          X\n"
            "monitoring/prometheus-0 X          X\n");
  rapidjson::Document document;
  document.Parse(RenderReachJson(table).c_str());
  ASSERT_FALSE(document.HasParseError());
  ASSERT_TRUE(document["warnings"].IsArray());
  EXPECT_EQ(document["warnings"].Size(), 0U);
}

TEST_F(ReachTiers, ExplainJsonNamesTheDecidingClusterPolicy) {
  const std::string json = RenderExplainJson(engine_, Pod("monitoring/prometheus-0"),
                                             Pod("prod/web-1"), {{8080, Protocol::kTCP}});
  rapidjson::Document document;
  document.Parse(json.c_str());
  ASSERT_FALSE(document.HasParseError()) << json;
  EXPECT_STREQ(document["from"].GetString(), "monitoring/prometheus-0");
  const auto& connection = document["connections"][0];
  EXPECT_EQ(connection["port"].GetInt(), 8080);
  EXPECT_FALSE(connection["allowed"].GetBool());
  EXPECT_STREQ(connection["egress"]["decidedBy"].GetString(), "default");
  const auto& ingress = connection["ingress"];
  EXPECT_STREQ(ingress["decidedBy"].GetString(), "BaselineTier");
  EXPECT_STREQ(ingress["clusterPolicy"]["kind"].GetString(), "BaselineAdminNetworkPolicy");
  EXPECT_STREQ(ingress["clusterPolicy"]["name"].GetString(), "default");
  EXPECT_STREQ(ingress["clusterPolicy"]["ruleName"].GetString(), "deny-other-namespaces");
  EXPECT_STREQ(ingress["clusterPolicy"]["path"].GetString(), "spec.ingress[0].from[0]");
  EXPECT_STREQ(ingress["clusterPolicy"]["action"].GetString(), "Deny");
  EXPECT_STREQ(ingress["passedBy"]["name"].GetString(), "monitoring");
  EXPECT_STREQ(ingress["passedBy"]["action"].GetString(), "Pass");
  EXPECT_EQ(ingress["passedBy"]["priority"].GetInt(), 20);
  EXPECT_EQ(ingress["isolatedBy"].Size(), 0U);
  EXPECT_EQ(
      std::string(connection["explanation"].GetString()),
      engine_.Explain(Pod("monitoring/prometheus-0"), Pod("prod/web-1"), {8080, Protocol::kTCP}));
  EXPECT_NE(std::string(document["clusterPolicies"].GetString())
                .find("cluster policies selecting prod/web-1 for ingress: AdminNetworkPolicy "
                      "monitoring (priority 20), BaselineAdminNetworkPolicy default"),
            std::string::npos);

  document.Parse(
      RenderExplainJson(engine_, Pod("dev/web-1"), Pod("prod/db-0"), {{5432, Protocol::kTCP}})
          .c_str());
  const auto& egress = document["connections"][0]["egress"];
  EXPECT_STREQ(egress["decidedBy"].GetString(), "AdminTier");
  EXPECT_STREQ(egress["clusterPolicy"]["kind"].GetString(), "AdminNetworkPolicy");
  EXPECT_STREQ(egress["clusterPolicy"]["name"].GetString(), "deny-dev-to-prod");
  EXPECT_STREQ(egress["clusterPolicy"]["path"].GetString(), "spec.egress[0].to[0]");
  EXPECT_STREQ(document["connections"][0]["ingress"]["decidedBy"].GetString(), "NetworkPolicy");
  EXPECT_STREQ(document["connections"][0]["ingress"]["isolatedBy"][0].GetString(), "prod/db");
}

TEST(Exposure, PodsEveryConnectionOfWhichAClusterPolicyDeniesAreIsolated) {
  ClusterState state;
  state.pods.push_back(PodInfo{"a", "closed", {{"app", "closed"}}, {}, {"10.0.0.1"}});
  state.pods.push_back(PodInfo{"a", "port-only", {{"app", "port-only"}}, {}, {"10.0.0.2"}});
  state.pods.push_back(PodInfo{"b", "open", {}, {}, {"10.0.0.3"}});
  auto peers = [] {
    ClusterPolicyPeer namespaces;
    namespaces.kind = ClusterPeerKind::kNamespaces;
    ClusterPolicyPeer networks;
    networks.kind = ClusterPeerKind::kNetworks;
    networks.networks = {"0.0.0.0/0", "::/0"};
    return std::vector<ClusterPolicyPeer>{namespaces, networks};
  };
  auto deny_all = [&](const std::string& app, std::optional<std::vector<ClusterPolicyPort>> ports) {
    ClusterPolicyInfo policy;
    policy.name = "deny-" + app;
    policy.spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
    policy.spec.priority = 1;
    policy.spec.subject.pods = NamespacedPodSelector{{}, {{{"app", app}}, {}}};
    policy.spec.ingress.push_back({"", ClusterRuleAction::kDeny, peers(), ports});
    policy.spec.egress.push_back({"", ClusterRuleAction::kDeny, peers(), ports});
    return policy;
  };
  state.cluster_policies.push_back(deny_all("closed", std::nullopt));
  state.cluster_policies.push_back(
      deny_all("port-only", std::vector<ClusterPolicyPort>{{Protocol::kTCP, 80, 80, {}}}));
  const Connectivity engine = MustBuild(state);
  const std::vector<Endpoint> pods = {Endpoint::Pod(0), Endpoint::Pod(1), Endpoint::Pod(2)};
  const Exposure exposure = ComputeExposure(engine, pods, {{80, Protocol::kTCP}});
  EXPECT_EQ(exposure.ingress_not_isolated, std::vector<std::string>{"b/open"});
  EXPECT_EQ(exposure.egress_not_isolated, std::vector<std::string>{"b/open"});
  // On another port too, port-only's connections fall to the default.
  const Exposure more =
      ComputeExposure(engine, pods, {{80, Protocol::kTCP}, {443, Protocol::kTCP}});
  EXPECT_EQ(more.ingress_not_isolated, (std::vector<std::string>{"a/port-only", "b/open"}));
  EXPECT_EQ(more.egress_not_isolated, (std::vector<std::string>{"a/port-only", "b/open"}));
  EXPECT_TRUE(more.warnings.empty());
}

TEST(DiffReach, CountsClusterPolicyChangesAndWarnsOfEqualPriorities) {
  const ReachInput old_input = MustRead({kReach + "tiers"});
  const ReachInput new_input =
      MustRead({kReach + "tiers/cluster.yaml", kReach + "tiers-changes/policies.yaml"});
  DiffOptions options;
  options.to = "prod/*";
  options.ports = {{5432, Protocol::kTCP}, {8080, Protocol::kTCP}};
  auto diff = DiffReach(old_input, new_input, options);
  ASSERT_TRUE(diff.ok()) << diff.error().ToString();
  // The monitoring policy's Allow opens prod to monitoring on both ports, prod/db-0 included
  // (over its NetworkPolicy): the new ClusterNetworkPolicy has the same priority, and comes after
  // it in kind order. Which applies is undefined upstream, hence the warning.
  EXPECT_EQ(RenderDiffText(*diff),
            "+ monitoring/prometheus-0 -> prod/db-0 5432/TCP\n"
            "+ monitoring/prometheus-0 -> prod/web-1 5432/TCP\n"
            "+ monitoring/prometheus-0 -> prod/db-0 8080/TCP\n"
            "+ monitoring/prometheus-0 -> prod/web-1 8080/TCP\n"
            "cluster policy changed: AdminNetworkPolicy monitoring\n"
            "cluster policy removed: BaselineAdminNetworkPolicy default\n"
            "cluster policy added: ClusterNetworkPolicy audit\n"
            "4 connections gained, 0 lost on 5432/TCP, 8080/TCP; cluster policies: 1 added, 1 "
            "removed, 1 changed\n");
  ASSERT_EQ(diff->warnings.size(), 1U);
  EXPECT_EQ(diff->warnings[0],
            "AdminNetworkPolicy monitoring and ClusterNetworkPolicy audit have the same priority "
            "(20): which one applies to a connection both match is undefined");
  rapidjson::Document document;
  document.Parse(RenderDiffJson(*diff).c_str());
  ASSERT_FALSE(document.HasParseError());
  EXPECT_STREQ(document["clusterPolicies"]["added"][0].GetString(), "ClusterNetworkPolicy audit");
  EXPECT_EQ(document["clusterPolicies"]["changed"].Size(), 1U);
  EXPECT_EQ(document["warnings"].Size(), 1U);
}

TEST(DiffReach, FailsOnMissingInput) {
  auto input = ReadReachInput({kReach + "does-not-exist"}, "default");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().file, kReach + "does-not-exist");
}

}  // namespace
}  // namespace netadmit::cli
