#include "netadmit/engine.h"

#include <gtest/gtest.h>

#include "support/test_kinds.h"

namespace netadmit {
namespace {

std::shared_ptr<const RuleSet> Rules(const std::string& rules) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\n"
                          "metadata: {name: t}\nspec:\n  rules:\n" +
                              rules};
  auto loaded = LoadRuleSet(std::span(&source, 1), catalog);
  EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
  return loaded.value();
}

Object Policy(const std::string& namespace_name) {
  Object object;
  object.api_version = "networking.k8s.io/v1";
  object.kind = "NetworkPolicy";
  object.metadata = {"np", namespace_name, {}};
  object.content = NetworkPolicySpec{};
  return object;
}

TEST(EngineTest, FindingsInRuleOrderWithTheirActions) {
  auto rules = Rules(
      "    - {id: one, kind: FlagNetworkPolicies, action: warn, params: {words: [a]}}\n"
      "    - {id: two, kind: FlagNetworkPolicies, action: deny, params: {words: [b, c]}}\n"
      "    - {id: pods, kind: FlagPods, action: deny, params: {words: [p]}}\n");
  Evaluation evaluation = Evaluate(*rules, Policy("x"), CheckContext{});
  ASSERT_EQ(evaluation.findings.size(), 3u);
  EXPECT_EQ(evaluation.findings[0].rule_id, "one");
  EXPECT_EQ(evaluation.findings[1].Message(),
            "[two] flagged b (np) at metadata.name \u2014 rename it");
  EXPECT_TRUE(evaluation.Denied());
  EXPECT_EQ(evaluation.WithAction(Action::kWarn).size(), 1u);
  EXPECT_EQ(evaluation.WithAction(Action::kAudit).size(), 0u);
}

TEST(EngineTest, MatchSelectsNamespaces) {
  auto rules = Rules(
      "    - id: r\n      kind: FlagNetworkPolicies\n      action: deny\n"
      "      match: {namespaces: [\"prod-*\"], excludeNamespaces: [prod-sandbox]}\n"
      "      params: {words: [a]}\n");
  EXPECT_TRUE(Evaluate(*rules, Policy("prod-eu"), {}).Denied());
  EXPECT_FALSE(Evaluate(*rules, Policy("prod-sandbox"), {}).Denied());
  EXPECT_FALSE(Evaluate(*rules, Policy("dev"), {}).Denied());
}

TEST(EngineTest, StructuralRulesSkipDelete) {
  auto rules =
      Rules("    - {id: r, kind: FlagNetworkPolicies, action: deny, params: {words: [a]}}\n");
  CheckContext context;
  context.operation = Operation::kDelete;
  EXPECT_TRUE(Evaluate(*rules, Policy("x"), context).findings.empty());
  context.operation = Operation::kUpdate;
  EXPECT_EQ(Evaluate(*rules, Policy("x"), context).findings.size(), 1u);
}

TEST(EngineTest, MessageLeavesOutEmptyParts) {
  Finding finding{"r", Action::kDeny, Violation{"", "bad", "", ""}};
  EXPECT_EQ(finding.Message(), "[r] bad");
  finding.violation = Violation{"spec", "bad", "x", ""};
  EXPECT_EQ(finding.Message(), "[r] bad (x) at spec");
}

TEST(CatalogTest, RefusesDuplicatesAndFindsByName) {
  RuleCatalog catalog = testing::TestCatalog();
  auto again =
      catalog.Add(RuleKind{"FlagPods", "dup", Target::kPodTemplate, {}, testing::CompileFlag});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "rule kind \"FlagPods\" is registered twice");
  EXPECT_NE(catalog.Find("FlagNetworkPolicies"), nullptr);
  EXPECT_EQ(catalog.Find("Nope"), nullptr);
}

}  // namespace
}  // namespace netadmit
