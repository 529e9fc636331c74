// Flow requirements: params parsing with positions, and forbid/require entries evaluated over
// the reach fixtures, naming one concrete pair and the rule or isolation behind it.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "files/inputs.h"
#include "netadmit/connectivity/flow_requirements.h"
#include "netadmit/connectivity/reach.h"

namespace netadmit {
namespace {

const std::string kReach = std::string(NETADMIT_FIXTURES_DIR) + "/reach/";

Connectivity Engine(const std::string& policies) {
  auto manifests = ReadAllManifests({kReach + "cluster.yaml", kReach + policies});
  EXPECT_TRUE(manifests.ok());
  auto input =
      BuildReachInput(manifests.ok() ? *manifests : std::vector<ManifestObject>{}, "default");
  EXPECT_TRUE(input.ok());
  auto engine = Connectivity::Build(input.ok() ? input->state : ClusterState{});
  EXPECT_TRUE(engine.ok());
  return std::move(engine.value());
}

FlowsParams Parse(const std::string& yaml) {
  auto flows = ParseFlows(YAML::Load(yaml), "rules.yaml", "spec.rules[0].params");
  EXPECT_TRUE(flows.ok()) << (flows.ok() ? "" : flows.error().ToString());
  return flows.ok() ? *flows : FlowsParams{};
}

std::vector<std::string> Render(const std::vector<Violation>& violations) {
  std::vector<std::string> out;
  for (const Violation& v : violations) {
    out.push_back(v.path + ": " + v.problem + " (" + v.detail + ") — " + v.fix);
  }
  return out;
}

const char* const kDevToProd = R"(
forbid:
  - from: {namespaceSelector: {matchLabels: {env: dev}}}
    to: {namespaceSelector: {matchLabels: {env: prod}}}
    ports: [5432/TCP, {port: 8080}]
)";

TEST(EvaluateFlows, ForbiddenFlowClosed) {
  EXPECT_TRUE(EvaluateFlows(Engine("old/policies.yaml"), Parse(kDevToProd)).empty());
}

TEST(EvaluateFlows, ForbiddenFlowOpenNamesThePairAndTheRule) {
  EXPECT_EQ(Render(EvaluateFlows(Engine("new/policies.yaml"), Parse(kDevToProd))),
            std::vector<std::string>{
                "spec.rules[0].params.forbid[0]: forbidden flow is open (dev/web-1 -> prod/db-0 "
                "on 5432/TCP, opened by NetworkPolicy prod/db spec.ingress[0].from[1]) — narrow "
                "that rule, or isolate the destination"});
}

TEST(EvaluateFlows, ForbiddenFlowFromOutside) {
  const FlowsParams flows = Parse(R"(
forbid:
  - from: {cidrs: [203.0.113.0/24]}
    to: {podSelector: {matchLabels: {app: ingress}}}
    ports: [443/TCP]
  - from: {cidrs: [10.0.0.0/8]}
    to: {podSelector: {matchLabels: {app: ingress}}}
    ports: [443/TCP]
)");
  EXPECT_EQ(Render(EvaluateFlows(Engine("old/policies.yaml"), flows)),
            std::vector<std::string>{
                "spec.rules[0].params.forbid[0]: forbidden flow is open (203.0.113.0 -> "
                "ingress-nginx/controller on 443/TCP, opened by NetworkPolicy "
                "ingress-nginx/controller spec.ingress[0].from[0]) — narrow that rule, or "
                "isolate the destination"});
}

TEST(EvaluateFlows, RequiredFlowClosedNamesTheIsolation) {
  const FlowsParams flows = Parse(R"(
require:
  - from: {podSelector: {matchLabels: {app: web}}}
    to: {podSelector: {matchLabels: {app: db}}}
    ports: [5432/TCP]
  - from: {namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [prod]}]}}
    to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}
    ports: [443/TCP]
)");
  EXPECT_EQ(Render(EvaluateFlows(Engine("old/policies.yaml"), flows)),
            (std::vector<std::string>{
                "spec.rules[0].params.require[0]: required flow is closed (dev/web-1 -> "
                "prod/db-0 on 5432/TCP, ingress closed by prod/default-deny, prod/db (no ingress "
                "rule allows it)) — add a rule that allows it in the closing policies",
                "spec.rules[0].params.require[1]: required flow is closed (prod/web-1 -> "
                "ingress-nginx/controller on 443/TCP, egress closed by prod/default-deny, "
                "prod/web (no egress rule allows it)) — add a rule that allows it in the closing "
                "policies"}));
}

struct BadParams {
  std::string yaml;
  std::string error;
};

// A range is judged on every port in it: the flow opens on 5432 only, and an entry whose range
// holds 5432 is broken there, one that stops short of it is not.
TEST(EvaluateFlows, RangesAreJudgedOnEveryPortInThem) {
  const Connectivity engine = Engine("new/policies.yaml");
  const auto broken = [&](const std::string& ports) {
    return EvaluateFlows(engine, Parse("forbid:\n  - from: {namespaceSelector: {matchLabels: "
                                       "{env: dev}}}\n    to: {namespaceSelector: {matchLabels: "
                                       "{env: prod}}}\n    ports: [" +
                                       ports + "]\n"));
  };
  const auto opened = broken("5000-6000/TCP");
  ASSERT_EQ(opened.size(), 1U);
  EXPECT_NE(opened[0].detail.find("on 5432/TCP"), std::string::npos) << opened[0].detail;
  EXPECT_EQ(broken("all").size(), 1U);
  EXPECT_TRUE(broken("5433-6000/TCP").empty());
  EXPECT_TRUE(broken("5000-5431/TCP").empty());
  EXPECT_TRUE(broken("all/UDP").empty());
}

TEST(ParseFlows, RejectsBadParamsWithPositions) {
  const BadParams cases[] = {
      {"{}", "rules.yaml:1:1: spec.rules[0].params: give at least one forbid or require entry"},
      {"forbid: [{from: {}, to: {}, ports: [80/ICMP]}]",
       "rules.yaml:1:37: spec.rules[0].params.forbid[0].ports[0]: invalid protocol in "
       "\"80/ICMP\": use TCP, UDP or SCTP"},
      {"forbid: [{from: {}, to: {}, ports: [9000-80/TCP]}]",
       "rules.yaml:1:37: spec.rules[0].params.forbid[0].ports[0]: invalid port range "
       "\"9000-80/TCP\": the last port must be a port from the first to 65535"},
      {"forbid: [{from: {}, to: {}, ports: [all/ICMP]}]",
       "rules.yaml:1:37: spec.rules[0].params.forbid[0].ports[0]: invalid protocol in "
       "\"all/ICMP\": use TCP, UDP or SCTP"},
      {"forbid: [{from: {}, to: {}}]",
       "rules.yaml:1:10: spec.rules[0].params.forbid[0].ports: missing: list the ports, e.g. "
       "[53/UDP, 53/TCP]"},
      {"require:\n  - from: {cidrs: [10.0.0.0/33]}\n    to: {}\n    ports: [53/UDP]",
       "rules.yaml:2:20: spec.rules[0].params.require[0].from.cidrs[0]: invalid CIDR "
       "\"10.0.0.0/33\": prefix length must be a number from 0 to 32"},
      {"forbid: [{from: {cidrs: [10.0.0.0/8], podSelector: {}}, to: {}, ports: [80]}]",
       "rules.yaml:1:25: spec.rules[0].params.forbid[0].from.cidrs: give either cidrs or "
       "selectors, not both"},
      {"forbid: [{form: {}, to: {}, ports: [80]}]",
       "rules.yaml:1:11: spec.rules[0].params.forbid[0]: unknown field \"form\""},
      {"forbid: [{from: {podSelector: {matchExpressions: [{key: a, operator: Has}]}}, to: {}, "
       "ports: [80]}]",
       "rules.yaml:1:70: spec.rules[0].params.forbid[0].from.podSelector.matchExpressions[0]."
       "operator: unknown operator \"Has\" (expected In, NotIn, Exists or DoesNotExist)"},
      {"forbid: nope",
       "rules.yaml:1:9: spec.rules[0].params.forbid: expected a list of {from, "
       "to, ports}"},
      {"[1, 2]", "rules.yaml:1:1: spec.rules[0].params: expected a map"},
  };
  for (const BadParams& c : cases) {
    auto flows = ParseFlows(YAML::Load(c.yaml), "rules.yaml", "spec.rules[0].params");
    ASSERT_FALSE(flows.ok()) << c.yaml;
    EXPECT_EQ(flows.error().ToString(), c.error) << c.yaml;
  }
}

TEST(ParseFlows, SurvivesEveryShape) {
  const char* const shapes[] = {
      "forbid: [{from: [1], to: 3, ports: {a: b}}]",
      "forbid: [[]]",
      "forbid: [{from: {podSelector: [1]}, to: {}, ports: [80]}]",
      "forbid: [{from: {podSelector: {matchLabels: [a]}}, to: {}, ports: [80]}]",
      "forbid: [{from: {podSelector: {matchLabels: {a: [b]}}}, to: {}, ports: [80]}]",
      "forbid: [{from: {podSelector: {matchExpressions: {a: b}}}, to: {}, ports: [80]}]",
      "forbid: [{from: {podSelector: {matchExpressions: [{key: [a]}]}}, to: {}, ports: [80]}]",
      "forbid: [{from: {cidrs: {}}, to: {}, ports: [80]}]",
      "forbid: [{from: {cidrs: [[1]]}, to: {}, ports: [80]}]",
      "forbid: [{from: {}, to: {}, ports: [{port: [80]}]}]",
      "forbid: [{from: {}, to: {}, ports: [{port: 80, protocol: {a: 1}}]}]",
      "forbid: [{from: {}, to: {}, ports: [{port: 80, extra: 1}]}]",
      "forbid: [{from: {}, to: {}, ports: [~]}]",
      "{[a]: 1}",
      "~",
      "require: 7",
  };
  for (const char* shape : shapes) {
    auto flows = ParseFlows(YAML::Load(shape), "rules.yaml", "spec.rules[0].params");
    EXPECT_FALSE(flows.ok()) << shape;
  }
}

TEST(ParseFlows, ReadsSelectorsCidrsAndPorts) {
  const FlowsParams flows = Parse(R"(
require:
  - from: {}
    to:
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [53/UDP, {port: 53, protocol: TCP}, 8000-8100/TCP, {port: 9000, endPort: 9010}, all/SCTP]
forbid:
  - from: {cidrs: ["0.0.0.0/0", "::/0"]}
    to: {podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}
    ports: [5432]
)");
  ASSERT_EQ(flows.require.size(), 1U);
  EXPECT_FALSE(flows.require[0].from.namespace_selector.has_value());
  EXPECT_EQ(FormatSelector(*flows.require[0].to.pod_selector), "k8s-app=kube-dns");
  EXPECT_EQ(flows.require[0].ports, (std::vector<FlowPorts>{{Protocol::kUDP, 53, 53},
                                                            {Protocol::kTCP, 53, 53},
                                                            {Protocol::kTCP, 8000, 8100},
                                                            {Protocol::kTCP, 9000, 9010},
                                                            {Protocol::kSCTP, 1, 65535}}));
  EXPECT_EQ(flows.require[0].ports[2].ToString(), "8000-8100/TCP");
  EXPECT_EQ(flows.require[0].ports[4].ToString(), "all/SCTP");
  ASSERT_EQ(flows.forbid.size(), 1U);
  EXPECT_EQ(flows.forbid[0].path, "spec.rules[0].params.forbid[0]");
  ASSERT_EQ(flows.forbid[0].from.cidrs.size(), 2U);
  EXPECT_TRUE(flows.forbid[0].from.cidrs[1].is_v6());
}

}  // namespace
}  // namespace netadmit
