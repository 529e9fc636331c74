#include "../policy-rules/rules/kinds/protected_policies.h"

#include <gtest/gtest.h>

#include <span>

#include "netadmit/codec/admission.h"
#include "netadmit/rules/review.h"
#include "netadmit/rules/rule_set.h"
#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::DecodeYaml;
using testing::Messages;
using testing::MustCompile;
using testing::RunCheck;

constexpr char kParams[] =
    "{names: [default-deny*], selector: {matchLabels: {owner: platform}}, users: [alice], "
    "groups: [platform-team]}";

Object Policy(const std::string& name, const std::string& labels) {
  return DecodeYaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " +
                    name + ", namespace: shop, labels: " + labels + "}\nspec: {podSelector: {}}\n");
}

std::vector<Violation> CheckAs(const RuleCheck* check, Operation operation, const Object& object,
                               const UserInfo& user, const Object* old_object = nullptr) {
  CheckContext context;
  context.operation = operation;
  context.user = &user;
  context.old_object = old_object;
  return RunCheck(check, object, context);
}

TEST(ProtectedPoliciesTest, OthersMayNotChangeOrDeleteProtectedPolicies) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  const Object policy = Policy("default-deny", "{owner: platform}");
  const UserInfo bob{"bob", {"developers", "system:authenticated"}};
  EXPECT_EQ(Messages("r", CheckAs(check.get(), Operation::kDelete, policy, bob)),
            std::vector<std::string>{
                "[r] deleting protected NetworkPolicy shop/default-deny is reserved (user bob is "
                "not among users alice and groups platform-team) at metadata.name \u2014 ask one "
                "of them to make the change"});
  EXPECT_EQ(CheckAs(check.get(), Operation::kUpdate, policy, bob, &policy).size(), 1u);
}

TEST(ProtectedPoliciesTest, OwnersByNameOrGroupMayChangeThem) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  const Object policy = Policy("default-deny", "{owner: platform}");
  EXPECT_TRUE(CheckAs(check.get(), Operation::kDelete, policy, UserInfo{"alice", {}}).empty());
  EXPECT_TRUE(CheckAs(check.get(), Operation::kDelete, policy, UserInfo{"carol", {"platform-team"}})
                  .empty());
}

TEST(ProtectedPoliciesTest, OnlyPoliciesMatchingNameAndLabelsAreProtected) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  const UserInfo bob{"bob", {}};
  EXPECT_TRUE(
      CheckAs(check.get(), Operation::kDelete, Policy("allow-web", "{owner: platform}"), bob)
          .empty());
  EXPECT_TRUE(CheckAs(check.get(), Operation::kDelete, Policy("default-deny", "{owner: team}"), bob)
                  .empty());
}

TEST(ProtectedPoliciesTest, RelabellingToEscapeProtectionIsRefused) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  const Object before = Policy("default-deny", "{owner: platform}");
  const Object after = Policy("default-deny", "{owner: me}");
  EXPECT_EQ(CheckAs(check.get(), Operation::kUpdate, after, UserInfo{"bob", {}}, &before).size(),
            1u);
}

TEST(ProtectedPoliciesTest, CreateIsNotChecked) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  EXPECT_TRUE(CheckAs(check.get(), Operation::kCreate, Policy("default-deny", "{owner: platform}"),
                      UserInfo{"bob", {}})
                  .empty());
}

Object AdminPolicy(const std::string& name, const std::string& labels) {
  return testing::ClusterPolicy(
      "AdminNetworkPolicy", name,
      "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: "
      "{}}]}]}",
      labels);
}

TEST(ProtectedPoliciesTest, ClusterPoliciesAreProtectedByNameWithoutNamespace) {
  const auto check = MustCompile(ProtectedPoliciesKind(),
                                 "{names: [platform.deny-*, default], groups: [platform-team]}");
  const UserInfo bob{"bob", {"developers"}};
  const Object admin = AdminPolicy("platform.deny-all", "{}");
  EXPECT_EQ(Messages("r", CheckAs(check.get(), Operation::kDelete, admin, bob)),
            std::vector<std::string>{
                "[r] deleting protected AdminNetworkPolicy platform.deny-all is reserved (user bob "
                "is not among groups platform-team) at metadata.name \u2014 ask one of them to "
                "make the change"});
  const Object baseline = testing::ClusterPolicy(
      "BaselineAdminNetworkPolicy", "default",
      "{subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}]}]}");
  EXPECT_EQ(Messages("r", CheckAs(check.get(), Operation::kUpdate, baseline, bob, &baseline)),
            std::vector<std::string>{
                "[r] changing protected BaselineAdminNetworkPolicy default is reserved (user bob "
                "is not among groups platform-team) at metadata.name \u2014 ask one of them to "
                "make the change"});
  EXPECT_TRUE(CheckAs(check.get(), Operation::kDelete, AdminPolicy("team-a", "{}"), bob).empty());
  EXPECT_TRUE(CheckAs(check.get(), Operation::kDelete, admin, UserInfo{"carol", {"platform-team"}})
                  .empty());
  EXPECT_TRUE(CheckAs(check.get(), Operation::kCreate, admin, bob).empty());
}

TEST(ProtectedPoliciesTest, ClusterPoliciesAreProtectedByTheirLabelsAsTheyWere) {
  const auto check = MustCompile(ProtectedPoliciesKind(), kParams);
  const UserInfo bob{"bob", {}};
  const Object before = AdminPolicy("default-deny-all", "{owner: platform}");
  const Object after = AdminPolicy("default-deny-all", "{owner: me}");
  EXPECT_EQ(CheckAs(check.get(), Operation::kUpdate, after, bob, &before).size(), 1u);
  EXPECT_TRUE(CheckAs(check.get(), Operation::kUpdate, before, bob, &after).empty());
  // The namespace controller empties namespaces; a cluster policy is in none.
  const UserInfo controller{"system:serviceaccount:kube-system:namespace-controller", {}};
  EXPECT_EQ(CheckAs(check.get(), Operation::kDelete, before, controller).size(), 1u);
}

// The DELETE of an AdminNetworkPolicy, as the API server sends it: cluster-scoped, so no
// namespace, and only oldObject. A rule that names namespaces in its match does not judge it.
TEST(ProtectedPoliciesTest, AdmissionOfAClusterPolicyDelete) {
  const RuleSource source{
      "rules.yaml",
      "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\nspec:\n"
      "  exclude: {namespaces: [kube-system]}\n  rules:\n"
      "    - {id: protect, kind: ProtectedPolicies, action: deny, params: {names: [deny-all], "
      "groups: [platform-team]}}\n"
      "    - {id: shop-only, kind: ProtectedPolicies, action: deny, match: {namespaces: [shop]}, "
      "params: {groups: [shop-team]}}\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  auto request = DecodeAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
      R"("kind":{"group":"policy.networking.k8s.io","version":"v1alpha1",)"
      R"("kind":"AdminNetworkPolicy"},"name":"deny-all","operation":"DELETE",)"
      R"("userInfo":{"username":"bob","groups":["devs"]},"object":null,"oldObject":{)"
      R"("apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy",)"
      R"("metadata":{"name":"deny-all"},"spec":{"priority":1,"subject":{"namespaces":{}},)"
      R"("ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}}}})");
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  const ReviewResult result = Review(**rules, *request);
  EXPECT_FALSE(result.response.allowed);
  EXPECT_EQ(result.response.message,
            "[protect] deleting protected AdminNetworkPolicy deny-all is reserved (user bob is not "
            "among groups platform-team) at metadata.name \u2014 ask one of them to make the "
            "change");
}

TEST(ProtectedPoliciesTest, ParamsNeedOwnersAndValidSelectors) {
  EXPECT_EQ(testing::CompileError(ProtectedPoliciesKind(), "{names: [default-deny]}").ToString(),
            "rules.yaml:1:1: spec.rules[0].params.users: give at least one of users and groups: "
            "who may change these policies");
  EXPECT_EQ(testing::CompileError(ProtectedPoliciesKind(),
                                  "{users: [a], selector: {matchExpressions: [{key: k, operator: "
                                  "In}]}}")
                .ToString(),
            "rules.yaml:1:44: spec.rules[0].params.selector.matchExpressions[0].values: must not "
            "be empty for operator In");
  EXPECT_FALSE(
      testing::CompileKind(ProtectedPoliciesKind(), "{users: [a], selector: {matchLables: {}}}")
          .ok());
  EXPECT_EQ(
      testing::CompileError(ProtectedPoliciesKind(), "{users: [a], names: [Default]}").ToString(),
      "rules.yaml:1:22: spec.rules[0].params.names[0]: invalid name pattern \"Default\": "
      "only lowercase letters, digits, '-', '.' and '*' are allowed");
}

}  // namespace
}  // namespace netadmit
