// `netadmit recommend` below its flags: the YAML and JSON renderings read back as the same
// policies (quoting included), and the rule set's findings flag a policy without changing it.

#include "cli/recommend_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/recommend_command.h"
#include "files/inputs.h"
#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/reach.h"

namespace netadmit::cli {
namespace {

const std::string kFixtures = std::string(NETADMIT_FIXTURES_DIR) + "/recommend/";

// A policy whose labels YAML would read as something else unquoted.
Recommendation Awkward() {
  RecommendedPolicy recommended;
  recommended.policy.namespace_name = "shop";
  recommended.policy.name = "allow-odd-egress";
  recommended.policy.spec.pod_selector.match_labels = {
      {"critical", "true"}, {"version", "1.0"},   {"answer", "no"},
      {"empty", ""},        {"team", "a: b # c"}, {"app.kubernetes.io/name", "odd"}};
  recommended.policy.spec.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
  NetworkPolicyRule rule;
  NetworkPolicyPeer peer;
  peer.namespace_selector = LabelSelector{{{"kubernetes.io/metadata.name", "null"}}, {}};
  peer.pod_selector = LabelSelector{};
  rule.peers.push_back(peer);
  NetworkPolicyPort named;
  named.named_port = "http";
  NetworkPolicyPort number;
  number.protocol = Protocol::kUDP;
  number.port = 53;
  rule.ports = {named, number};
  recommended.policy.spec.egress.push_back(rule);
  NetworkPolicyRule block;
  NetworkPolicyPeer outside;
  outside.ip_block = IPBlock{"2001:db8::/32", {}};
  block.peers.push_back(outside);
  block.ports = {number};
  recommended.policy.spec.egress.push_back(block);
  recommended.connections = 2;
  recommended.observations = 5;
  recommended.last_seen = "2024-05-01T10:00:00Z";
  recommended.examples = {"shop/odd-1 -> null/x 8080/TCP"};
  Recommendation out;
  out.policies.push_back(recommended);
  return out;
}

// The policies of rendered text, decoded as `kubectl apply` would take them, with what they
// stand for copied from `original`.
Recommendation ReadBack(const std::string& text, const Recommendation& original) {
  auto manifests = ParseManifests("rendered", text);
  EXPECT_TRUE(manifests) << manifests.error().ToString() << "\n" << text;
  Recommendation out;
  if (!manifests) {
    return out;
  }
  EXPECT_EQ(manifests->size(), original.policies.size());
  for (std::size_t i = 0; i < manifests->size() && i < original.policies.size(); ++i) {
    auto object = DecodeObject(*(*manifests)[i].object, "default");
    EXPECT_TRUE(object) << object.error().ToString();
    if (!object || object->network_policy() == nullptr) {
      continue;
    }
    RecommendedPolicy policy = original.policies[i];
    policy.policy.namespace_name = object->metadata.namespace_name;
    policy.policy.name = object->metadata.name;
    policy.policy.spec = *object->network_policy();
    out.policies.push_back(std::move(policy));
  }
  return out;
}

TEST(RenderPolicies, YamlReadsBackAsTheSamePolicies) {
  const Recommendation original = Awkward();
  const std::string yaml = RenderPoliciesYaml(original, {});
  EXPECT_EQ(RenderPoliciesJson(ReadBack(yaml, original), {}), RenderPoliciesJson(original, {}));
  EXPECT_NE(yaml.find("      critical: \"true\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("      answer: \"no\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("      team: \"a: b # c\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("      app.kubernetes.io/name: odd\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("# allow-odd-egress: lets through 2 connections (5 flows), last seen "
                      "2024-05-01T10:00:00Z:\n#   shop/odd-1 -> null/x 8080/TCP\n#   and 1 more\n"),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("    netadmit.io/observed: \"2 connections (5 flows), last seen "
                      "2024-05-01T10:00:00Z\"\n"),
            std::string::npos)
      << yaml;
}

TEST(RenderPolicies, JsonIsAListThatReadsBack) {
  const Recommendation original = Awkward();
  const std::string json = RenderPoliciesJson(original, {});
  EXPECT_EQ(RenderPoliciesJson(ReadBack(json, original), {}), json);
  EXPECT_NE(json.find("\"kind\": \"List\""), std::string::npos);
  EXPECT_NE(json.find("\"netadmit.io/observed\": \"2 connections (5 flows), last seen "
                      "2024-05-01T10:00:00Z\""),
            std::string::npos)
      << json;
}

TEST(FlagRecommendation, ARuleThatWouldRefuseFlagsThePolicyUnchanged) {
  auto manifests = ReadAllManifests({kFixtures + "cluster.yaml"});
  ASSERT_TRUE(manifests) << manifests.error().ToString();
  auto input = BuildReachInput(*manifests, "default");
  ASSERT_TRUE(input);
  auto engine = Connectivity::Build(input->state);
  ASSERT_TRUE(engine);
  FlowReplay replay(*engine);
  std::ifstream flows(kFixtures + "flows.jsonl");
  int number = 0;
  for (std::string line; std::getline(flows, line);) {
    replay.Feed(line, ++number);
  }
  RecommendOptions options;
  options.ipv4_prefix = 0;  // the worker's payment provider becomes every address
  auto recommendation = Recommend(*engine, replay.Summary().connections, options);
  ASSERT_TRUE(recommendation) << recommendation.error().ToString();
  auto rules = LoadRulesFrom(kFixtures + "rules.yaml", LoadLimits{});
  ASSERT_TRUE(rules) << rules.error().ToString();
  auto flags = FlagRecommendation(**rules, *recommendation, *manifests, "default");
  ASSERT_TRUE(flags) << flags.error().ToString();
  ASSERT_EQ(flags->size(), 1u);
  const auto& [policy, policy_flags] = *flags->begin();
  EXPECT_EQ(policy, (std::pair<std::string, std::string>{"shop", "allow-true-batch-egress"}));
  ASSERT_EQ(policy_flags.size(), 1u);
  EXPECT_EQ(policy_flags[0].action, "deny");
  EXPECT_TRUE(policy_flags[0].message.starts_with("[no-open-egress] ")) << policy_flags[0].message;

  const std::string yaml = RenderPoliciesYaml(*recommendation, *flags);
  EXPECT_NE(yaml.find("# FLAGGED by the rules (deny): [no-open-egress] "), std::string::npos);
  EXPECT_NE(yaml.find("        cidr: \"0.0.0.0/0\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("    netadmit.io/rule-findings: \"deny [no-open-egress] "),
            std::string::npos);
  // The flag is the only difference: the policies are the same without it.
  const Recommendation read_back = ReadBack(yaml, *recommendation);
  EXPECT_EQ(RenderPoliciesJson(read_back, {}), RenderPoliciesJson(*recommendation, {}));
  const std::string summary = RenderRecommendSummary(*recommendation, replay.Summary(), *flags);
  EXPECT_NE(summary.find("\nFlagged by the rules (the policies are as recommended, not "
                         "changed):\n- shop/allow-true-batch-egress: deny [no-open-egress] "),
            std::string::npos)
      << summary;
}

}  // namespace
}  // namespace netadmit::cli
