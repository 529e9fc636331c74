#include "netadmit/rules/rule_set.h"

#include <gtest/gtest.h>

#include "support/test_kinds.h"

namespace netadmit {
namespace {

Result<std::shared_ptr<const RuleSet>> Load(const std::string& text) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const RuleSource source{"rules.yaml", text};
  return LoadRuleSet(std::span(&source, 1), catalog);
}

constexpr const char* kHeader =
    "apiVersion: netadmit.io/v1alpha1\n"
    "kind: RuleSet\n"
    "metadata: {name: test}\n";

TEST(RuleSetTest, LoadsRulesWithMatchAndParams) {
  auto rules = Load(std::string(kHeader) +
                    "spec:\n"
                    "  exclude: {namespaces: [kube-system]}\n"
                    "  rules:\n"
                    "    - id: flag-a\n"
                    "      kind: FlagNetworkPolicies\n"
                    "      action: warn\n"
                    "      description: flags everything\n"
                    "      match: {namespaces: [\"team-*\"], excludeNamespaces: [team-x]}\n"
                    "      params: {words: [a]}\n");
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  const RuleSet& set = *rules.value();
  ASSERT_EQ(set.rules().size(), 1u);
  const CompiledRule& rule = set.rules()[0];
  EXPECT_EQ(rule.id, "flag-a");
  EXPECT_EQ(rule.action, Action::kWarn);
  EXPECT_EQ(rule.kind->name, "FlagNetworkPolicies");
  EXPECT_TRUE(rule.match.Matches("team-a", {}));
  EXPECT_FALSE(rule.match.Matches("team-x", {}));
  EXPECT_FALSE(rule.match.Matches("default", {}));
  EXPECT_TRUE(set.Excludes("kube-system"));
  EXPECT_FALSE(set.Excludes("default"));
  EXPECT_EQ(set.names(), std::vector<std::string>{"test"});
}

TEST(RuleSetTest, MatchTakesANamespaceSelector) {
  auto rules = Load(std::string(kHeader) +
                    "spec:\n  rules:\n    - id: r\n      kind: FlagPods\n      action: deny\n"
                    "      match:\n        namespaceSelector:\n"
                    "          matchLabels: {env: prod}\n"
                    "          matchExpressions: [{key: tier, operator: Exists}]\n");
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  const RuleScope& match = rules.value()->rules()[0].match;
  EXPECT_TRUE(match.Matches("shop", {{"env", "prod"}, {"tier", "1"}}));
  EXPECT_FALSE(match.Matches("shop", {{"env", "prod"}}));
  EXPECT_FALSE(match.Matches("shop", {}));
}

TEST(RuleSetTest, MissingMatchMeansEveryNamespace) {
  auto rules = Load(std::string(kHeader) +
                    "spec:\n  rules:\n    - {id: r, kind: FlagPods, action: audit}\n");
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  EXPECT_TRUE(rules.value()->rules()[0].match.Matches("anything", {}));
}

TEST(RuleSetTest, SeveralSourcesAndDocumentsMerge) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const std::vector<RuleSource> sources = {
      {"a.yaml", std::string(kHeader) +
                     "spec:\n  rules:\n    - {id: a, kind: FlagPods, action: deny}\n"
                     "---\n" +
                     kHeader + "spec:\n  exclude: {namespaces: [x]}\n"},
      {"b.yaml",
       std::string(kHeader) + "spec:\n  rules:\n    - {id: b, kind: FlagPods, action: deny}\n"},
  };
  auto rules = LoadRuleSet(sources, catalog);
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  ASSERT_EQ(rules.value()->rules().size(), 2u);
  EXPECT_EQ(rules.value()->rules()[1].source, "b.yaml");
  EXPECT_TRUE(rules.value()->Excludes("x"));
}

TEST(RuleSetTest, DuplicateIdAcrossSourcesNamesBothPlaces) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const std::string body =
      std::string(kHeader) + "spec:\n  rules:\n    - {id: a, kind: FlagPods, action: deny}\n";
  const std::vector<RuleSource> sources = {{"a.yaml", body}, {"b.yaml", body}};
  auto rules = LoadRuleSet(sources, catalog);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().ToString(),
            "b.yaml:6:12: spec.rules[0].id: duplicate rule id \"a\" (first defined at a.yaml:6)");
}

struct BadCase {
  const char* name;
  std::string text;
  std::string error;
};

class RuleSetErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(RuleSetErrorTest, FailsWithPosition) {
  auto rules = Load(GetParam().text);
  ASSERT_FALSE(rules.ok());
  if (GetParam().error.empty()) {
    // Wording from yaml-cpp or the param reader; the position is what this test is about.
    EXPECT_EQ(rules.error().file, "rules.yaml");
    EXPECT_GT(rules.error().line, 0) << rules.error().ToString();
  } else {
    EXPECT_EQ(rules.error().ToString(), GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RuleSetErrorTest,
    ::testing::Values(
        BadCase{"UnknownKind",
                std::string(kHeader) + "spec:\n  rules:\n    - {id: r, kind: Nope, action: deny}\n",
                "rules.yaml:6:21: spec.rules[0].kind: unknown rule kind \"Nope\" (known: "
                "FlagNetworkPolicies, FlagPods, SlowNetworkPolicies)"},
        BadCase{"UnknownRuleField",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - id: r\n      kind: FlagPods\n      action: deny\n"
                    "      mtach: {}\n",
                "rules.yaml:9:7: spec.rules[0].mtach: unknown field \"mtach\" (known: action, "
                "description, id, kind, match, params)"},
        BadCase{"UnknownParam",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - id: r\n      kind: FlagPods\n      action: deny\n"
                    "      params:\n        other: [a]\n",
                "rules.yaml:10:9: spec.rules[0].params.other: unknown field \"other\""},
        BadCase{"WrongParamType",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - id: r\n      kind: FlagPods\n      action: deny\n"
                    "      params:\n        words: a\n",
                ""},
        BadCase{"BadAction",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - {id: r, kind: FlagPods, action: block}\n",
                "rules.yaml:6:39: spec.rules[0].action: unknown action \"block\" (expected deny, "
                "warn or audit)"},
        BadCase{"MissingId",
                std::string(kHeader) + "spec:\n  rules:\n    - {kind: FlagPods, action: deny}\n",
                "rules.yaml:6:7: spec.rules[0].id: missing required field \"id\""},
        BadCase{"BadId",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - {id: No_Good, kind: FlagPods, action: deny}\n",
                "rules.yaml:6:12: spec.rules[0].id: rule id \"No_Good\" must be 1-63 lowercase "
                "letters, digits, '-' or '.', starting and ending with a letter or digit"},
        BadCase{"BadNamespacePattern",
                std::string(kHeader) + "spec:\n  exclude: {namespaces: [\"Kube System\"]}\n", ""},
        BadCase{"WrongApiVersion",
                "apiVersion: netadmit.io/v2\nkind: RuleSet\nmetadata: {name: x}\nspec: {}\n",
                "rules.yaml:1:13: apiVersion: unsupported apiVersion \"netadmit.io/v2\" (expected "
                "netadmit.io/v1alpha1)"},
        BadCase{"SyntaxError", std::string(kHeader) + "spec:\n  rules: [\n", ""},
        BadCase{"DuplicateKey", std::string(kHeader) + "spec:\n  rules: []\n  rules: []\n",
                "rules.yaml:6:3: spec.rules: field \"rules\" is given twice"},
        BadCase{"NotAMap", "- a\n- b\n", "rules.yaml:1:1: expected a map"},
        BadCase{"BadNamespaceSelectorOperator",
                std::string(kHeader) +
                    "spec:\n  rules:\n    - id: r\n      kind: FlagPods\n      action: deny\n"
                    "      match: {namespaceSelector: {matchExpressions: [{key: a, operator: "
                    "Has}]}}\n",
                "rules.yaml:9:73: spec.rules[0].match.namespaceSelector.matchExpressions[0]."
                "operator: must be In, NotIn, Exists or DoesNotExist, got \"Has\""},
        // yaml-cpp alone would yield empty documents forever after the ','.
        BadCase{"CommaAfterAFlowMap", "{apiVersion: netadmit.io/v1alpha1},\n",
                "rules.yaml:1:35: unexpected token after the end of a node"},
        BadCase{"DeepNesting", std::string(kHeader) + "spec: " + std::string(5000, '['), ""}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

TEST(RuleSetTest, DefaultRuleSetLoads) {
  const RuleSource source = DefaultRuleSource();
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  EXPECT_FALSE(rules.value()->rules().empty());
}

}  // namespace
}  // namespace netadmit
