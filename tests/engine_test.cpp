#include "netadmit/rules/engine.h"

#include <gtest/gtest.h>

#include "netadmit/cluster/cluster.h"
#include "support/test_kinds.h"

namespace netadmit {
namespace {

const RuleCatalog& TestKinds() {
  static const RuleCatalog catalog = testing::TestCatalog();
  return catalog;
}

std::shared_ptr<const RuleSet> Rules(const std::string& rules,
                                     const RuleCatalog& catalog = TestKinds()) {
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

// A cluster-scoped object is in no namespace: no exclusion leaves it out, and only the rules that
// do not narrow themselves to some namespaces judge it.
TEST(EngineTest, ClusterScopedObjectsAreJudgedByRulesOverEveryNamespace) {
  const RuleSource source{
      "rules.yaml",
      "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\nspec:\n"
      "  exclude: {namespaces: [\"*\"]}\n  rules:\n"
      "    - {id: everywhere, kind: NoOpenEgress, action: deny}\n"
      "    - {id: but-dev, kind: NoOpenEgress, action: deny, match: {excludeNamespaces: [dev]}}\n"
      "    - {id: shop, kind: NoOpenEgress, action: deny, match: {namespaces: [\"*\"]}}\n"
      "    - {id: prod, kind: NoOpenEgress, action: deny, match: {namespaceSelector: {}}}\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  Object policy;
  policy.api_version = "policy.networking.k8s.io/v1alpha1";
  policy.kind = "AdminNetworkPolicy";
  policy.metadata.name = "open";
  ClusterPolicySpec spec;
  spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
  spec.subject.namespaces = LabelSelector{};
  ClusterPolicyPeer everywhere;
  everywhere.kind = ClusterPeerKind::kNetworks;
  everywhere.networks = {"0.0.0.0/0"};
  spec.egress.push_back(ClusterPolicyRule{"", ClusterRuleAction::kAllow, {everywhere}, {}});
  policy.content = spec;
  std::vector<std::string> judged;
  for (const Finding& finding : Evaluate(**rules, policy, CheckContext{}).findings) {
    judged.push_back(finding.rule_id);
  }
  EXPECT_EQ(judged, (std::vector<std::string>{"everywhere", "but-dev"}));
  // A NetworkPolicy as open, in any namespace, is excluded by the rule set.
  Object open_egress = Policy("shop");
  NetworkPolicySpec open_spec;
  open_spec.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
  open_spec.egress.emplace_back();
  open_egress.content = open_spec;
  EXPECT_TRUE(Evaluate(**rules, open_egress, CheckContext{}).findings.empty());
}

// A cluster view that knows one namespace and its labels.
std::unique_ptr<ClusterCache> ClusterWithNamespace(const std::string& name, Labels labels) {
  auto cache = std::make_unique<ClusterCache>();
  std::vector<ClusterObject> namespaces;
  namespaces.push_back(
      ClusterObject{ClusterKind::kNamespace, "1", CachedNamespace{name, std::move(labels)}});
  cache->Replace(ClusterKind::kNamespace, std::move(namespaces));
  return cache;
}

TEST(EngineTest, NamespaceSelectorReadsTheNamespaceLabels) {
  auto rules = Rules(
      "    - id: r\n      kind: FlagNetworkPolicies\n      action: deny\n"
      "      match: {namespaceSelector: {matchLabels: {env: prod}}}\n"
      "      params: {words: [a]}\n");
  const auto prod = ClusterWithNamespace("shop", {{"env", "prod"}});
  const auto dev = ClusterWithNamespace("shop", {{"env", "dev"}});
  CheckContext context;
  context.cluster = prod.get();
  EXPECT_TRUE(Evaluate(*rules, Policy("shop"), context).Denied());
  context.cluster = dev.get();
  EXPECT_FALSE(Evaluate(*rules, Policy("shop"), context).Denied());
  // Without a cluster view only the name label is known, which env=prod does not match.
  EXPECT_FALSE(Evaluate(*rules, Policy("shop"), CheckContext{}).Denied());
}

TEST(EngineTest, NamespaceSelectorOnTheNameLabelWorksWithoutACluster) {
  auto rules = Rules(
      "    - id: r\n      kind: FlagNetworkPolicies\n      action: deny\n"
      "      match: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, "
      "operator: NotIn, values: [sandbox]}]}}\n"
      "      params: {words: [a]}\n");
  EXPECT_TRUE(Evaluate(*rules, Policy("shop"), CheckContext{}).Denied());
  EXPECT_FALSE(Evaluate(*rules, Policy("sandbox"), CheckContext{}).Denied());
}

// A kind like RequireDefaultDeny: needs the cluster, looks at DELETE, confirms its denials.
RuleCatalog StatefulCatalog() {
  RuleCatalog catalog = testing::TestCatalog();
  RuleKind kind{"FlagStateful", "test", Target::kNetworkPolicy, {}, testing::CompileFlag};
  kind.needs_cluster = true;
  kind.checks_delete = true;
  kind.confirm_with_fresh_read = true;
  (void)catalog.Add(std::move(kind));
  return catalog;
}

TEST(EngineTest, StatefulKindsNeedTheClusterAndSeeDelete) {
  static const RuleCatalog catalog = StatefulCatalog();
  const auto rules = Rules(
      "    - {id: s, kind: FlagStateful, action: deny, params: {words: [a]}}\n"
      "    - {id: w, kind: FlagStateful, action: warn, params: {words: [b]}}\n",
      catalog);
  CheckContext context;
  context.operation = Operation::kDelete;
  EXPECT_TRUE(Evaluate(*rules, Policy("shop"), context).findings.empty());  // no cluster
  const auto cluster = ClusterWithNamespace("shop", {});
  context.cluster = cluster.get();
  const Evaluation evaluation = Evaluate(*rules, Policy("shop"), context);
  ASSERT_EQ(evaluation.findings.size(), 2u);
  EXPECT_EQ(evaluation.findings[0].unconfirmed_namespace, "shop");
  // Only deny findings need confirming.
  EXPECT_EQ(evaluation.UnconfirmedNamespaces(), std::vector<std::string>{"shop"});
}

// RulesMayBeSlow over the rules ApplicableRules chooses.
bool EvaluationMayBeSlow(const RuleSet& rules, const Object& object, const CheckContext& context) {
  return RulesMayBeSlow(ApplicableRules(rules, object, context), object, context);
}

TEST(EngineTest, MayBeSlowAsksOnlyTheRulesThatApply) {
  const auto quick =
      Rules("    - {id: r, kind: FlagNetworkPolicies, action: deny, params: {words: [a]}}\n");
  EXPECT_FALSE(quick->MayBeSlow());
  EXPECT_FALSE(EvaluationMayBeSlow(*quick, Policy("prod-eu"), {}));

  const auto slow = Rules(
      "    - {id: r, kind: FlagNetworkPolicies, action: deny, params: {words: [a]}}\n"
      "    - id: s\n      kind: SlowNetworkPolicies\n      action: deny\n"
      "      match: {namespaces: [\"prod-*\"]}\n      params: {words: [np]}\n");
  EXPECT_TRUE(slow->MayBeSlow());
  EXPECT_TRUE(EvaluationMayBeSlow(*slow, Policy("prod-eu"), {}));
  EXPECT_FALSE(EvaluationMayBeSlow(*slow, Policy("dev"), {}));  // not matched
  Object other = Policy("prod-eu");
  other.metadata.name = "other";
  EXPECT_FALSE(EvaluationMayBeSlow(*slow, other, {}));  // the check says quick
  CheckContext deleting;
  deleting.operation = Operation::kDelete;
  EXPECT_FALSE(EvaluationMayBeSlow(*slow, Policy("prod-eu"), deleting));  // not checked on DELETE
}

// Reports how many NetworkPolicies the cluster view has in the object's namespace; with
// `lacking: true`, only when it has none (as RequireDefaultDeny reports a missing policy).
class PolicyCountCheck final : public RuleCheck {
 public:
  explicit PolicyCountCheck(bool lacking) : lacking_(lacking) {}
  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    const auto count = context.cluster->Policies(object.metadata.namespace_name).size();
    if (!lacking_ || count == 0) {
      violations.push_back(Violation{"", "sees", std::to_string(count) + " policies", ""});
    }
  }

 private:
  bool lacking_;
};

Result<std::unique_ptr<const RuleCheck>> CompilePolicyCount(ParamReader& params) {
  const bool lacking = params.Bool("lacking", false);
  if (auto error = params.Finish()) {
    return *error;
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<PolicyCountCheck>(lacking));
}

// PolicyCount reads the cluster view; ConfirmedPolicyCount also asks for its findings to be
// confirmed over a fresh read.
RuleCatalog PolicyCountCatalog() {
  RuleCatalog catalog;
  for (const bool confirm : {false, true}) {
    RuleKind kind{confirm ? "ConfirmedPolicyCount" : "PolicyCount",
                  "test",
                  Target::kNetworkPolicy,
                  {},
                  CompilePolicyCount};
    kind.needs_cluster = true;
    kind.confirm_with_fresh_read = confirm;
    (void)catalog.Add(std::move(kind));
  }
  return catalog;
}

std::vector<std::string> Messages(const Evaluation& evaluation) {
  std::vector<std::string> messages;
  for (const auto& finding : evaluation.findings) {
    messages.push_back(finding.Message());
  }
  return messages;
}

TEST(EngineTest, EvaluateAgainRerunsOnlyTheRulesThatAskedForIt) {
  static const RuleCatalog catalog = PolicyCountCatalog();
  const auto rules = Rules(
      "    - {id: plain, kind: PolicyCount, action: deny}\n"
      "    - {id: asks, kind: ConfirmedPolicyCount, action: deny}\n"
      "    - {id: plain-warn, kind: PolicyCount, action: warn}\n"
      "    - {id: asks-warn, kind: ConfirmedPolicyCount, action: warn}\n"
      "    - {id: lacks, kind: ConfirmedPolicyCount, action: deny, params: {lacking: true}}\n",
      catalog);
  const auto cache = ClusterWithNamespace("shop", {});
  CheckContext context;
  context.cluster = cache.get();
  const Object policy = Policy("shop");
  const auto applicable = ApplicableRules(*rules, policy, context);
  ASSERT_EQ(applicable.size(), 5u);
  Evaluation first = EvaluateRules(applicable, policy, context);
  EXPECT_EQ(Messages(first), (std::vector<std::string>{
                                 "[plain] sees (0 policies)", "[asks] sees (0 policies)",
                                 "[plain-warn] sees (0 policies)", "[asks-warn] sees (0 policies)",
                                 "[lacks] sees (0 policies)"}));

  // The fresh read finds a policy: the rules that asked see it, the others are not run again.
  FreshPolicies::ByNamespace read;
  read["shop"].push_back(std::make_shared<const CachedPolicy>(
      CachedPolicy{"shop", "default-deny", {}, NetworkPolicySpec{}}));
  const FreshPolicies fresh(*cache, std::move(read));
  CheckContext fresh_context = context;
  fresh_context.cluster = &fresh;
  const Evaluation again = EvaluateAgain(std::move(first), applicable, policy, fresh_context);
  EXPECT_EQ(Messages(again),
            (std::vector<std::string>{"[plain] sees (0 policies)", "[asks] sees (1 policies)",
                                      "[plain-warn] sees (0 policies)",
                                      "[asks-warn] sees (1 policies)"}));
  EXPECT_EQ(again.findings[1].unconfirmed_namespace, "shop");
  EXPECT_TRUE(again.findings[0].unconfirmed_namespace.empty());
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
