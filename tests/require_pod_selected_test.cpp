#include "../policy-rules/rules/kinds/require_pod_selected.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace netadmit
