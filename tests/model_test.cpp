#include "netadmit/model/model.h"

#include <gtest/gtest.h>

#include "netadmit/model/result.h"

namespace netadmit {
namespace {

TEST(LabelSelectorTest, EmptySelectsEverything) {
  LabelSelector selector;
  EXPECT_TRUE(selector.Matches({}));
  EXPECT_TRUE(selector.Matches({{"app", "web"}}));
}

TEST(LabelSelectorTest, MatchLabelsAndExpressionsAreAnded) {
  LabelSelector selector;
  selector.match_labels = {{"app", "web"}};
  selector.match_expressions = {{"tier", SelectorOperator::kIn, {"front", "edge"}}};
  EXPECT_TRUE(selector.Matches({{"app", "web"}, {"tier", "edge"}}));
  EXPECT_FALSE(selector.Matches({{"app", "web"}, {"tier", "back"}}));
  EXPECT_FALSE(selector.Matches({{"app", "db"}, {"tier", "edge"}}));
  EXPECT_FALSE(selector.Matches({{"app", "web"}}));
}

TEST(LabelSelectorTest, Operators) {
  struct Case {
    SelectorOperator op;
    Labels labels;
    bool matches;
  };
  const std::vector<Case> cases = {
      {SelectorOperator::kNotIn, {{"env", "prod"}}, false},
      {SelectorOperator::kNotIn, {{"env", "dev"}}, true},
      {SelectorOperator::kNotIn, {}, true},  // a missing key satisfies NotIn
      {SelectorOperator::kExists, {{"env", "x"}}, true},
      {SelectorOperator::kExists, {}, false},
      {SelectorOperator::kDoesNotExist, {}, true},
      {SelectorOperator::kDoesNotExist, {{"env", "x"}}, false},
  };
  for (const auto& c : cases) {
    LabelSelector selector;
    selector.match_expressions = {{"env", c.op, {"prod"}}};
    EXPECT_EQ(selector.Matches(c.labels), c.matches) << static_cast<int>(c.op);
  }
}

TEST(NetworkPolicySpecTest, PolicyTypesInferredWhenAbsent) {
  NetworkPolicySpec spec;
  EXPECT_TRUE(spec.AffectsIngress());
  EXPECT_FALSE(spec.AffectsEgress());
  spec.egress.emplace_back();
  EXPECT_TRUE(spec.AffectsEgress());
  spec.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
  EXPECT_FALSE(spec.AffectsIngress());
  EXPECT_TRUE(spec.AffectsEgress());
}

TEST(ErrorTest, ToStringLeavesOutUnknownParts) {
  EXPECT_EQ((Error{"rules.yaml", 3, 7, "spec.rules[0].kind", "unknown kind \"X\""}).ToString(),
            "rules.yaml:3:7: spec.rules[0].kind: unknown kind \"X\"");
  EXPECT_EQ((Error{"", 0, 0, "", "not JSON"}).ToString(), "not JSON");
  EXPECT_EQ((Error{"a.yaml", 0, 0, "", "empty"}).ToString(), "a.yaml: empty");
}

}  // namespace
}  // namespace netadmit
