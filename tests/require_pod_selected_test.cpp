#include "../policy-rules/rules/kinds/require_pod_selected.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "../policy-rules/rules/kinds/cluster_coverage.h"
#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::Cluster;
using testing::DecodeYaml;
using testing::Messages;
using testing::MustCompile;
using testing::RunCheck;

Object Pod(const std::string& labels) {
  return DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: " +
                    labels + "}\nspec: {containers: [{name: web}]}\n");
}

CheckContext Create(const ClusterView* cluster) {
  CheckContext context;
  context.operation = Operation::kCreate;
  context.cluster = cluster;
  return context;
}

TEST(RequirePodSelectedTest, SelectedPodIsAllowed) {
  const auto check = MustCompile(RequirePodSelectedKind(), "");
  const auto cluster = Cluster({{"shop", "web", "{podSelector: {matchLabels: {app: web}}}"}});
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web, tier: front}"), Create(cluster.get())).empty());
}

TEST(RequirePodSelectedTest, UnselectedPodIsRefused) {
  const auto check = MustCompile(RequirePodSelectedKind(), "");
  const auto cluster = Cluster({
      {"shop", "db", "{podSelector: {matchLabels: {app: db}}}"},
      {"other", "all", "{podSelector: {}}"},  // another namespace does not count
  });
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Pod("{app: web}"), Create(cluster.get()))),
            std::vector<std::string>{
                "[r] no NetworkPolicy selects this pod for Ingress (labels {app: web} in "
                "namespace shop) at metadata.labels \u2014 add a NetworkPolicy for Ingress whose "
                "podSelector matches these labels, e.g. podSelector: {matchLabels: {app: web}}"});
}

TEST(RequirePodSelectedTest, EachDirectionNeedsAPolicyInForceForIt) {
  const auto check = MustCompile(RequirePodSelectedKind(), "{policyTypes: [Ingress, Egress]}");
  // Ingress only (policyTypes inferred): the pod is not selected for egress.
  const auto cluster = Cluster({{"shop", "web", "{podSelector: {matchLabels: {app: web}}}"}});
  const auto violations = RunCheck(check.get(), Pod("{app: web}"), Create(cluster.get()));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].problem, "no NetworkPolicy selects this pod for Egress");
  const auto both = Cluster({{"shop", "web", "{podSelector: {}, policyTypes: [Ingress, Egress]}"}});
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web}"), Create(both.get())).empty());
}

TEST(RequirePodSelectedTest, MatchExpressionsAreHonoured) {
  const auto check = MustCompile(RequirePodSelectedKind(), "");
  const auto cluster = Cluster({{"shop", "not-db",
                                 "{podSelector: {matchExpressions: [{key: app, operator: NotIn, "
                                 "values: [db]}]}}"}});
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web}"), Create(cluster.get())).empty());
  EXPECT_EQ(RunCheck(check.get(), Pod("{app: db}"), Create(cluster.get())).size(), 1u);
}

TEST(RequirePodSelectedTest, PodUpdatesAndMissingClusterArePassed) {
  const auto check = MustCompile(RequirePodSelectedKind(), "");
  const auto cluster = Cluster({});
  CheckContext update = Create(cluster.get());
  update.operation = Operation::kUpdate;
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web}"), update).empty());
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web}"), Create(nullptr)).empty());
}

// An AdminNetworkPolicy denying `direction` to the pods of shop labelled app=web, from (or to)
// everything.
Object AdminDenyForWeb(const std::string& direction) {
  const std::string rule = direction == "ingress"
                               ? "[{action: Deny, from: [{namespaces: {}}]}]"
                               : "[{action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}]";
  return testing::ClusterPolicy("AdminNetworkPolicy", "web-" + direction,
                                "{priority: 4, subject: {pods: {namespaceSelector: {matchLabels: "
                                "{kubernetes.io/metadata.name: "
                                "shop}}, podSelector: {matchLabels: {app: web}}}}, " +
                                    direction + ": " + rule + "}");
}

TEST(RequirePodSelectedTest, AClusterPolicyDenyingThePodEverythingSelectsIt) {
  const auto check = MustCompile(RequirePodSelectedKind(), "{policyTypes: [Ingress, Egress]}");
  const auto cluster =
      testing::ClusterWith({}, {testing::NamespaceEntry("shop")},
                           {AdminDenyForWeb("ingress"), AdminDenyForWeb("egress")});
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web, tier: front}"), Create(cluster.get())).empty());
  // The subject selects app=web only.
  EXPECT_EQ(RunCheck(check.get(), Pod("{app: db}"), Create(cluster.get())).size(), 1u);
}

TEST(RequirePodSelectedTest, TheMessageSaysWhichClusterPolicyCoversWhat) {
  const auto check = MustCompile(RequirePodSelectedKind(), "{policyTypes: [Ingress, Egress]}");
  const auto cluster =
      testing::ClusterWith({}, {testing::NamespaceEntry("shop")}, {AdminDenyForWeb("egress")});
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Pod("{app: web}"), Create(cluster.get()))),
            std::vector<std::string>{
                "[r] no NetworkPolicy selects this pod for Ingress (labels {app: web} in "
                "namespace shop; Egress is covered by AdminNetworkPolicy web-egress "
                "spec.egress[0]) at metadata.labels \u2014 add a NetworkPolicy for Ingress whose "
                "podSelector matches these labels, e.g. podSelector: {matchLabels: {app: web}}"});
}

TEST(RequirePodSelectedTest, AClusterPolicyThatAllowsOrPassesDoesNotSelect) {
  const auto check = MustCompile(RequirePodSelectedKind(), "");
  for (const std::string action : {"Allow", "Pass"}) {
    SCOPED_TRACE(action);
    const auto cluster = testing::ClusterWith(
        {}, {testing::NamespaceEntry("shop")},
        {testing::ClusterPolicy("AdminNetworkPolicy", "a",
                                "{priority: 1, subject: {namespaces: {}}, ingress: [{action: " +
                                    action + ", from: [{namespaces: {}}]}]}")});
    EXPECT_EQ(RunCheck(check.get(), Pod("{app: web}"), Create(cluster.get())).size(), 1u);
  }
}

TEST(RequirePodSelectedTest, CoveredNamespacesAreTakenAtTheirWord) {
  const auto check =
      MustCompile(RequirePodSelectedKind(), "{coveredNamespaces: {matchLabels: {cilium: ccnp}}}");
  const auto declared =
      testing::ClusterWith({}, {testing::NamespaceEntry("shop", {{"cilium", "ccnp"}})}, {});
  EXPECT_TRUE(RunCheck(check.get(), Pod("{app: web}"), Create(declared.get())).empty());
  const auto undeclared = testing::ClusterWith({}, {testing::NamespaceEntry("shop")}, {});
  EXPECT_EQ(RunCheck(check.get(), Pod("{app: web}"), Create(undeclared.get())).size(), 1u);
}

// What the coverage names: the cluster policy first, the declaration when no policy covers.
TEST(RequirePodSelectedTest, CoverageNamesThePolicyBeforeTheDeclaration) {
  const std::optional<LabelSelector> every_namespace = LabelSelector{};
  const Labels web{{"app", "web"}};
  const auto cluster =
      testing::ClusterWith({}, {testing::NamespaceEntry("shop")}, {AdminDenyForWeb("ingress")});
  const ClusterCoverage coverage(*cluster, "shop", &web, every_namespace);
  EXPECT_EQ(coverage.CoveredBy(PolicyType::kIngress),
            "AdminNetworkPolicy web-ingress spec.ingress[0]");
  EXPECT_EQ(coverage.CoveredBy(PolicyType::kEgress), "declaration coveredNamespaces");
  const ClusterCoverage undeclared(*cluster, "shop", &web, std::nullopt);
  EXPECT_EQ(undeclared.CoveredBy(PolicyType::kEgress), std::nullopt);
}

TEST(RequirePodSelectedTest, BadCoveredNamespaces) {
  EXPECT_EQ(testing::CompileError(RequirePodSelectedKind(), "{coveredNamespaces: [a]}").ToString(),
            "rules.yaml:1:21: spec.rules[0].params.coveredNamespaces: must be a label selector "
            "such as {matchLabels: {team: a}}, got a list");
}

}  // namespace
}  // namespace netadmit
