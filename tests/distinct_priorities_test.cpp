#include "../policy-rules/rules/kinds/distinct_priorities.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "netadmit/rules/check.h"
#include "netadmit/rules/rule_set.h"
#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::ClusterPolicy;
using testing::ClusterWith;
using testing::Messages;
using testing::MustCompile;
using testing::NamespaceEntry;
using testing::PodEntry;
using testing::RunCheck;

Object Admin(const std::string& name, int priority, const std::string& subject) {
  return ClusterPolicy("AdminNetworkPolicy", name,
                       "{priority: " + std::to_string(priority) + ", subject: " + subject +
                           ", ingress: [{action: Deny, from: [{namespaces: {}}]}]}");
}

Object Cnp(const std::string& name, const std::string& tier, int priority,
           const std::string& subject) {
  return ClusterPolicy(
      "ClusterNetworkPolicy", name,
      "{tier: " + tier + ", priority: " + std::to_string(priority) + ", subject: " + subject + "}");
}

constexpr char kProd[] = "{namespaces: {matchLabels: {env: prod}}}";
constexpr char kShop[] = "{namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}";
constexpr char kWebPods[] =
    "{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}";
constexpr char kDbPods[] = "{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}";

// shop (env=prod) runs web-1 and db-0; lab (env=dev) runs web-2.
std::unique_ptr<ClusterCache> Cluster(const std::vector<Object>& policies) {
  return ClusterWith(
      {}, {NamespaceEntry("shop", {{"env", "prod"}}), NamespaceEntry("lab", {{"env", "dev"}})},
      policies,
      {PodEntry("shop", "db-0", {{"app", "db"}}), PodEntry("shop", "web-1", {{"app", "web"}}),
       PodEntry("lab", "web-2", {{"app", "web"}})});
}

CheckContext Context(Operation operation, const ClusterView* cluster) {
  CheckContext context;
  context.operation = operation;
  context.cluster = cluster;
  return context;
}

TEST(DistinctPrioritiesTest, AnEqualPriorityOverAKnownPodIsRefused) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster = Cluster(
      {Admin("prod-guard", 10, kProd), Admin("other", 9, kDbPods), Admin("more", 11, kDbPods)});
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Admin("web-guard", 10, kWebPods),
                                   Context(Operation::kCreate, cluster.get()))),
            std::vector<std::string>{
                "[r] priority 10 is also that of AdminNetworkPolicy prod-guard, whose subject "
                "overlaps (both select pod shop/web-1; the order between them is undefined in the "
                "Admin tier) at spec.priority \u2014 use a free priority: 8 or 12"});
}

TEST(DistinctPrioritiesTest, NamespaceSubjectsOverlapByNamespaceEvenWithoutPods) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster =
      ClusterWith({}, {NamespaceEntry("shop", {{"env", "prod"}})}, {Admin("prod-guard", 0, kProd)});
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Admin("shop-guard", 0, kShop),
                                   Context(Operation::kCreate, cluster.get()))),
            std::vector<std::string>{
                "[r] priority 0 is also that of AdminNetworkPolicy prod-guard, whose subject "
                "overlaps (both select namespace shop; the order between them is undefined in the "
                "Admin tier) at spec.priority \u2014 use a free priority: 1"});
}

TEST(DistinctPrioritiesTest, AnEqualPriorityWithoutOverlapPasses) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster = Cluster(
      {Admin("db", 10, kDbPods), Admin("dev", 10, "{namespaces: {matchLabels: {env: dev}}}")});
  // web pods run in lab (env=dev) too, so only db does not overlap.
  EXPECT_TRUE(RunCheck(check.get(),
                       Admin("prod-web", 10,
                             "{pods: {namespaceSelector: {matchLabels: {env: prod}}, "
                             "podSelector: {matchLabels: {app: web}}}}"),
                       Context(Operation::kCreate, cluster.get()))
                  .empty());
  // A pods subject meets a namespaces subject only in a known pod: staging has none.
  const auto empty_namespace =
      ClusterWith({}, {NamespaceEntry("staging")}, {Admin("all", 3, "{namespaces: {}}")});
  EXPECT_TRUE(RunCheck(check.get(), Admin("web", 3, kWebPods),
                       Context(Operation::kCreate, empty_namespace.get()))
                  .empty());
}

TEST(DistinctPrioritiesTest, AdminNetworkPoliciesAndAdminClusterNetworkPoliciesShareATier) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster =
      Cluster({Cnp("admin-cnp", "Admin", 20, kProd), Cnp("baseline-cnp", "Baseline", 30, kProd)});
  EXPECT_EQ(
      RunCheck(check.get(), Admin("web", 20, kWebPods), Context(Operation::kCreate, cluster.get()))
          .size(),
      1u);
  // Another tier is ordered by its tier.
  EXPECT_TRUE(
      RunCheck(check.get(), Admin("web", 30, kWebPods), Context(Operation::kCreate, cluster.get()))
          .empty());
  // Baseline-tier ClusterNetworkPolicies share their own tier's order.
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Cnp("web", "Baseline", 30, kWebPods),
                                   Context(Operation::kCreate, cluster.get()))),
            std::vector<std::string>{
                "[r] priority 30 is also that of ClusterNetworkPolicy baseline-cnp, whose subject "
                "overlaps (both select pod shop/web-1; the order between them is undefined in the "
                "Baseline tier) at spec.priority \u2014 use a free priority: 29 or 31"});
}

TEST(DistinctPrioritiesTest, TheBaselineAdminNetworkPolicyHasNoPriority) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const Object baseline = ClusterPolicy("BaselineAdminNetworkPolicy", "default",
                                        "{subject: {namespaces: {}}, ingress: [{action: Deny, "
                                        "from: [{namespaces: {}}]}]}");
  const auto cluster = Cluster({baseline, Cnp("b", "Baseline", 0, kProd)});
  EXPECT_TRUE(RunCheck(check.get(), baseline, Context(Operation::kCreate, cluster.get())).empty());
  EXPECT_TRUE(RunCheck(check.get(), Cnp("c", "Baseline", 1, kProd),
                       Context(Operation::kCreate, cluster.get()))
                  .empty());
}

TEST(DistinctPrioritiesTest, AnUpdateIsNotComparedWithItself) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster = Cluster({Admin("web", 10, kWebPods), Cnp("web", "Admin", 10, kDbPods)});
  // The ClusterNetworkPolicy named web is another object, and it selects db pods only.
  EXPECT_TRUE(RunCheck(check.get(), Admin("web", 10, "{namespaces: {matchLabels: {env: dev}}}"),
                       Context(Operation::kUpdate, cluster.get()))
                  .empty());
  EXPECT_EQ(
      RunCheck(check.get(), Admin("web", 10, kProd), Context(Operation::kUpdate, cluster.get()))
          .size(),
      1u);
}

TEST(DistinctPrioritiesTest, EveryOverlappingPolicyIsNamedAndFreePrioritiesSkipTakenOnes) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  std::vector<Object> policies = {Admin("a", 1000, kProd), Admin("b", 1000, kWebPods),
                                  Admin("c", 999, kDbPods)};
  const auto cluster = Cluster(policies);
  const auto violations = RunCheck(check.get(), Admin("new", 1000, "{namespaces: {}}"),
                                   Context(Operation::kCreate, cluster.get()));
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].problem,
            "priority 1000 is also that of AdminNetworkPolicy a, whose subject overlaps");
  EXPECT_EQ(violations[1].problem,
            "priority 1000 is also that of AdminNetworkPolicy b, whose subject overlaps");
  EXPECT_EQ(violations[1].fix, "use a free priority: 998");
}

// The decoder keeps priorities within 0-1000; a policy built otherwise must not break the search.
TEST(DistinctPrioritiesTest, APriorityOutsideTheRangeStillGetsAFreeOne) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  Object high = Admin("high", 1, kProd);
  Object other = Admin("other", 1, kProd);
  std::get<ClusterPolicySpec>(high.content).priority = INT32_MAX;
  std::get<ClusterPolicySpec>(other.content).priority = INT32_MAX;
  const auto cluster = Cluster({other});
  const auto violations = RunCheck(check.get(), high, Context(Operation::kCreate, cluster.get()));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].fix, "use a free priority: 1000");
}

TEST(DistinctPrioritiesTest, OtherObjectsAndMissingClusterPass) {
  const auto check = MustCompile(DistinctPrioritiesKind(), "");
  const auto cluster = Cluster({Admin("a", 1, kProd)});
  EXPECT_TRUE(
      RunCheck(check.get(), Admin("b", 1, kProd), Context(Operation::kCreate, nullptr)).empty());
  EXPECT_TRUE(RunCheck(check.get(), testing::Policy("{podSelector: {}}", "shop"),
                       Context(Operation::kCreate, cluster.get()))
                  .empty());
}

// `netadmit check` judges each manifest against the others: both policies are refused.
TEST(DistinctPrioritiesTest, CheckComparesThePoliciesOfTheManifests) {
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: "
                          "t}\nspec:\n  rules:\n    - {id: r, kind: DistinctPriorities, action: "
                          "deny}\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  auto manifests = ParseManifests(
      "app.yaml",
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
      "metadata: {name: a}\nspec: {priority: 7, subject: {namespaces: {}}}\n---\n"
      "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\n"
      "metadata: {name: b}\nspec: {tier: Admin, priority: 7, subject: {namespaces: {}}}\n");
  ASSERT_TRUE(manifests.ok()) << manifests.error().ToString();
  CheckOptions options;
  options.manifests = *std::move(manifests);
  auto report = netadmit::RunCheck(**rules, options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  std::vector<std::string> findings;
  for (const ObjectReport& object : report->objects) {
    for (const Finding& finding : object.evaluation.findings) {
      findings.push_back(object.description + ": " + finding.violation.problem);
    }
  }
  EXPECT_EQ(findings,
            (std::vector<std::string>{
                "AdminNetworkPolicy a: priority 7 is also that of ClusterNetworkPolicy b, whose "
                "subject overlaps",
                "ClusterNetworkPolicy b: priority 7 is also that of AdminNetworkPolicy a, whose "
                "subject overlaps"}));
}

TEST(DistinctPrioritiesTest, Describes) {
  const RuleKind kind = DistinctPrioritiesKind();
  EXPECT_EQ(kind.name, "DistinctPriorities");
  EXPECT_EQ(kind.target, Target::kClusterPolicy);
  EXPECT_TRUE(kind.needs_cluster);
  EXPECT_FALSE(kind.checks_delete);
  EXPECT_TRUE(kind.params.empty());
  EXPECT_EQ(testing::CompileError(kind, "{priority: 1}").ToString(),
            "rules.yaml:1:2: spec.rules[0].params.priority: unknown field \"priority\"");
}

}  // namespace
}  // namespace netadmit
