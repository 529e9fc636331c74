#include "../policy-rules/rules/kinds/require_default_deny.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "netadmit/codec/admission.h"
#include "netadmit/rules/check.h"
#include "netadmit/rules/review.h"
#include "netadmit/rules/rule_set.h"
#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::Cluster;
using testing::DecodeYaml;
using testing::Messages;
using testing::MustCompile;
using testing::PolicyEntry;
using testing::RunCheck;

constexpr char kDenyBoth[] = "{podSelector: {}, policyTypes: [Ingress, Egress]}";
constexpr char kDenyIngress[] = "{podSelector: {}}";
constexpr char kDenyEgress[] = "{podSelector: {}, policyTypes: [Egress]}";

Object Pod(const std::string& namespace_name = "shop") {
  return DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: " +
                    namespace_name + ", labels: {app: web}}\nspec: {containers: [{name: web}]}\n");
}

Object Deployment() {
  return DecodeYaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: "
      "{template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}\n");
}

Object NamedPolicy(const std::string& name, const std::string& spec) {
  return DecodeYaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " +
                    name + ", namespace: shop}\nspec: " + spec + "\n");
}

CheckContext Context(Operation operation, const ClusterView* cluster,
                     const Object* old_object = nullptr, const UserInfo* user = nullptr) {
  CheckContext context;
  context.operation = operation;
  context.cluster = cluster;
  context.old_object = old_object;
  context.user = user;
  return context;
}

TEST(RequireDefaultDenyTest, PodInACoveredNamespaceIsAllowed) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = Cluster({{"shop", "default-deny", kDenyBoth}});
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).empty());
}

TEST(RequireDefaultDenyTest, TwoPoliciesTogetherCoverBothDirections) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster =
      Cluster({{"shop", "deny-in", kDenyIngress}, {"shop", "deny-out", kDenyEgress}});
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).empty());
}

TEST(RequireDefaultDenyTest, PodWithoutDefaultDenyIsRefusedWithTheFix) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = Cluster({{"shop", "deny-in", kDenyIngress}, {"other", "d", kDenyBoth}});
  const auto violations = RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get()));
  EXPECT_EQ(Messages("require-default-deny", violations),
            std::vector<std::string>{
                "[require-default-deny] namespace shop has no default-deny NetworkPolicy for "
                "Egress (no policy there selects every pod (podSelector: {}) with no Egress "
                "rules) at metadata.namespace \u2014 create it first: kubectl apply -f - <<< "
                "'{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: "
                "default-deny, namespace: shop}, spec: {podSelector: {}, policyTypes: [Ingress, "
                "Egress]}}'"});
}

TEST(RequireDefaultDenyTest, PoliciesThatAllowSomethingDoNotCount) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "{policyTypes: [Ingress]}");
  const auto cluster = Cluster({
      // selects only some pods
      {"shop", "web-only", "{podSelector: {matchLabels: {app: web}}}"},
      // selects all pods but allows some ingress
      {"shop", "allow-dns", "{podSelector: {}, ingress: [{ports: [{port: 53}]}]}"},
      // denies all, but egress only
      {"shop", "deny-out", kDenyEgress},
  });
  EXPECT_EQ(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).size(), 1u);
}

TEST(RequireDefaultDenyTest, DeploymentsAreCheckedOnCreateAndUpdatePodsOnCreateOnly) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto empty = Cluster({});
  EXPECT_EQ(RunCheck(check.get(), Deployment(), Context(Operation::kCreate, empty.get())).size(),
            1u);
  EXPECT_EQ(RunCheck(check.get(), Deployment(), Context(Operation::kUpdate, empty.get())).size(),
            1u);
  // Refusing a pod UPDATE would block the removal of its finalizers, and so its deletion.
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kUpdate, empty.get())).empty());
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kDelete, empty.get())).empty());
}

TEST(RequireDefaultDenyTest, DeletingTheLastDefaultDenyIsRefused) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = Cluster({{"shop", "default-deny", kDenyBoth}});
  const Object policy = NamedPolicy("default-deny", kDenyBoth);
  const auto violations = RunCheck(check.get(), policy, Context(Operation::kDelete, cluster.get()));
  EXPECT_EQ(Messages("r", violations),
            std::vector<std::string>{
                "[r] deleting the last default-deny for Ingress and Egress in namespace shop "
                "(NetworkPolicy default-deny is the only policy there that selects every pod and "
                "allows no Ingress and Egress traffic) at metadata.name \u2014 create another "
                "default-deny in the namespace first, or delete the namespace"});
}

TEST(RequireDefaultDenyTest, DeletingOneOfTwoDefaultDeniesIsAllowed) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster =
      Cluster({{"shop", "default-deny", kDenyBoth}, {"shop", "platform-deny", kDenyBoth}});
  EXPECT_TRUE(RunCheck(check.get(), NamedPolicy("default-deny", kDenyBoth),
                       Context(Operation::kDelete, cluster.get()))
                  .empty());
}

TEST(RequireDefaultDenyTest, DeletingOtherPoliciesIsAllowedEvenInUncoveredNamespaces) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = Cluster({{"shop", "allow-web", "{podSelector: {}, ingress: [{}]}"}});
  EXPECT_TRUE(RunCheck(check.get(), NamedPolicy("allow-web", "{podSelector: {}, ingress: [{}]}"),
                       Context(Operation::kDelete, cluster.get()))
                  .empty());
}

TEST(RequireDefaultDenyTest, WeakeningTheLastDefaultDenyIsRefused) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = Cluster({{"shop", "default-deny", kDenyBoth}});
  const Object before = NamedPolicy("default-deny", kDenyBoth);
  const Object after = NamedPolicy("default-deny", kDenyIngress);  // Egress dropped
  const auto violations =
      RunCheck(check.get(), after, Context(Operation::kUpdate, cluster.get(), &before));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].problem,
            "this change removes the last default-deny for Egress in namespace shop");
  // A change that keeps it denying everything is fine.
  const Object relabelled = NamedPolicy("default-deny", kDenyBoth);
  EXPECT_TRUE(RunCheck(check.get(), relabelled, Context(Operation::kUpdate, cluster.get(), &before))
                  .empty());
}

TEST(RequireDefaultDenyTest, TerminatingNamespacesAndTheNamespaceControllerPass) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const Object policy = NamedPolicy("default-deny", kDenyBoth);
  const auto terminating =
      Cluster({{"shop", "default-deny", kDenyBoth}}, {CachedNamespace{"shop", {}, true}});
  EXPECT_TRUE(
      RunCheck(check.get(), policy, Context(Operation::kDelete, terminating.get())).empty());
  const auto live = Cluster({{"shop", "default-deny", kDenyBoth}});
  const UserInfo controller{"system:serviceaccount:kube-system:namespace-controller", {}};
  EXPECT_TRUE(
      RunCheck(check.get(), policy, Context(Operation::kDelete, live.get(), nullptr, &controller))
          .empty());
  const UserInfo alice{"alice", {}};
  EXPECT_EQ(RunCheck(check.get(), policy, Context(Operation::kDelete, live.get(), nullptr, &alice))
                .size(),
            1u);
}

TEST(RequireDefaultDenyTest, WithoutAClusterViewNothingIsJudged) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kCreate, nullptr)).empty());
}

TEST(RequireDefaultDenyTest, BadParams) {
  EXPECT_EQ(testing::CompileError(RequireDefaultDenyKind(), "{policyTypes: [Ingres]}").ToString(),
            "rules.yaml:1:15: spec.rules[0].params.policyTypes: unknown policy type \"Ingres\" "
            "(expected Ingress or Egress)");
  EXPECT_FALSE(
      testing::CompileKind(RequireDefaultDenyKind(), "{policyTypes: [Egress, Egress]}").ok());
}

// The BaselineAdminNetworkPolicy that denies everything to every pod: from every pod, and to
// every address (pods' included).
constexpr char kBaselineDenyAll[] =
    "{subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}], egress: "
    "[{action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}]}";

Object Baseline(const std::string& spec) {
  return testing::ClusterPolicy("BaselineAdminNetworkPolicy", "default", spec);
}

Object Admin(const std::string& name, const std::string& spec) {
  return testing::ClusterPolicy("AdminNetworkPolicy", name, spec);
}

// The message for a namespace with no coverage at all for `missing`.
std::string Uncovered(const std::string& missing) {
  return "[r] namespace shop has no default-deny NetworkPolicy for " + missing +
         " (no policy there selects every pod (podSelector: {}) with no " + missing +
         " rules) at metadata.namespace \u2014 create it first: kubectl apply -f - <<< "
         "'{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: "
         "default-deny, namespace: shop}, spec: {podSelector: {}, policyTypes: [Ingress, "
         "Egress]}}'";
}

TEST(RequireDefaultDenyTest, ABaselineDenyAllCoversEveryNamespace) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster =
      testing::ClusterWith({}, {testing::NamespaceEntry("shop")}, {Baseline(kBaselineDenyAll)});
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).empty());
  EXPECT_TRUE(
      RunCheck(check.get(), Deployment(), Context(Operation::kUpdate, cluster.get())).empty());
  // Also a namespace the view does not know yet: its name label is all it is sure to have.
  EXPECT_TRUE(
      RunCheck(check.get(), Pod("new"), Context(Operation::kCreate, cluster.get())).empty());
}

TEST(RequireDefaultDenyTest, AnAdminPassIsNotADefaultDeny) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = testing::ClusterWith(
      {}, {testing::NamespaceEntry("shop")},
      {Admin("pass-all",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Pass, "
             "from: [{namespaces: {}}]}], egress: [{action: Pass, to: [{networks: "
             "[0.0.0.0/0, '::/0']}]}]}")});
  EXPECT_EQ(Messages("r", RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get()))),
            std::vector<std::string>{Uncovered("Ingress and Egress")});
}

TEST(RequireDefaultDenyTest, WhatCountsAsClusterCoverage) {
  struct Case {
    std::string name;
    std::string direction;  // policyTypes of the rule
    Object policy;
    bool covers;
  };
  const std::vector<Case> cases = {
      {"Admin deny from every pod", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: "
             "[{namespaces: {matchLabels: {team: mon}}}]}, {action: Deny, from: [{pods: "
             "{namespaceSelector: {}, podSelector: {}}}]}]}"),
       true},
      {"subject pods of the namespace, every pod", "Ingress",
       Admin("a",
             "{priority: 1, subject: {pods: {namespaceSelector: {matchLabels: {env: "
             "prod}}, podSelector: {}}}, ingress: [{action: Deny, from: [{namespaces: "
             "{}}]}]}"),
       true},
      {"Baseline ClusterNetworkPolicy deny to every address", "Egress",
       testing::ClusterPolicy("ClusterNetworkPolicy", "b",
                              "{tier: Baseline, priority: 5, subject: {namespaces: {}}, egress: "
                              "[{action: Accept, to: [{namespaces: {matchLabels: {team: a}}}]}, "
                              "{action: Deny, to: [{networks: ['::/0']}, {networks: "
                              "[0.0.0.0/0]}]}]}"),
       true},
      {"a peer of a newer API makes a Deny a deny-all", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: "
             "[{futurePeer: {}}]}]}"),
       true},
      {"Allow every source", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: "
             "[{namespaces: {}}]}]}"),
       false},
      {"Deny on some ports", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: "
             "[{namespaces: {}}], ports: [{portRange: {start: 1, end: 65535}}]}]}"),
       false},
      {"Deny from some namespaces", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: "
             "[{namespaces: {matchLabels: {env: dev}}}]}]}"),
       false},
      {"subject selects some pods", "Ingress",
       Admin("a",
             "{priority: 1, subject: {pods: {namespaceSelector: {}, podSelector: "
             "{matchLabels: {app: web}}}}, ingress: [{action: Deny, from: [{namespaces: "
             "{}}]}]}"),
       false},
      {"subject selects other namespaces", "Ingress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {matchLabels: {env: dev}}}, ingress: "
             "[{action: Deny, from: [{namespaces: {}}]}]}"),
       false},
      {"egress deny to every pod leaves the outside open", "Egress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: "
             "[{namespaces: {}}]}]}"),
       false},
      {"egress deny to every IPv4 address only", "Egress",
       Admin("a",
             "{priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: "
             "[{networks: [0.0.0.0/0]}]}]}"),
       false},
      {"ingress rules do not cover egress", "Egress",
       Baseline("{subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: "
                "{}}]}]}"),
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto check =
        MustCompile(RequireDefaultDenyKind(), "{policyTypes: [" + c.direction + "]}");
    const auto cluster =
        testing::ClusterWith({}, {testing::NamespaceEntry("shop", {{"env", "prod"}})}, {c.policy});
    EXPECT_EQ(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).empty(),
              c.covers);
  }
}

TEST(RequireDefaultDenyTest, TheMessageSaysWhichClusterPolicyCoversWhat) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  // The Admin policy is evaluated first, so it is the one named.
  const auto cluster = testing::ClusterWith(
      {}, {testing::NamespaceEntry("shop")},
      {Baseline("{subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}"),
       Admin("deny-in",
             "{priority: 7, subject: {namespaces: {}}, ingress: [{action: Allow, "
             "from: [{namespaces: {matchLabels: {team: mon}}}]}, {action: Deny, from: "
             "[{namespaces: {}}]}]}")});
  EXPECT_EQ(
      Messages("r", RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get()))),
      std::vector<std::string>{
          "[r] namespace shop has no default-deny NetworkPolicy for Egress (no policy there "
          "selects every pod (podSelector: {}) with no Egress rules; Ingress is covered by "
          "AdminNetworkPolicy deny-in spec.ingress[1]) at metadata.namespace \u2014 create it "
          "first: kubectl apply -f - <<< '{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, "
          "metadata: {name: default-deny, namespace: shop}, spec: {podSelector: {}, policyTypes: "
          "[Ingress, Egress]}}'"});
}

TEST(RequireDefaultDenyTest, DeletingADefaultDenyTheClusterStillCoversIsAdmitted) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster =
      testing::ClusterWith({{"shop", "default-deny", kDenyBoth}}, {testing::NamespaceEntry("shop")},
                           {Baseline(kBaselineDenyAll)});
  EXPECT_TRUE(RunCheck(check.get(), NamedPolicy("default-deny", kDenyBoth),
                       Context(Operation::kDelete, cluster.get()))
                  .empty());
  const Object weakened = NamedPolicy("default-deny", kDenyIngress);
  const Object before = NamedPolicy("default-deny", kDenyBoth);
  EXPECT_TRUE(
      RunCheck(check.get(), weakened, Context(Operation::kUpdate, cluster.get(), &before)).empty());
}

TEST(RequireDefaultDenyTest, DeletingWhenTheClusterCoversOneDirectionSaysWhichStaysCovered) {
  const auto check = MustCompile(RequireDefaultDenyKind(), "");
  const auto cluster = testing::ClusterWith(
      {{"shop", "default-deny", kDenyBoth}}, {testing::NamespaceEntry("shop")},
      {Baseline("{subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: "
                "{}}]}]}")});
  EXPECT_EQ(Messages("r", RunCheck(check.get(), NamedPolicy("default-deny", kDenyBoth),
                                   Context(Operation::kDelete, cluster.get()))),
            std::vector<std::string>{
                "[r] deleting the last default-deny for Egress in namespace shop (NetworkPolicy "
                "default-deny is the only policy there that selects every pod and allows no "
                "Egress traffic; Ingress is covered by BaselineAdminNetworkPolicy default "
                "spec.ingress[0]) at metadata.name \u2014 create another default-deny in the "
                "namespace first, or delete the namespace"});
}

TEST(RequireDefaultDenyTest, CoveredNamespacesAreTakenAtTheirWord) {
  const auto check = MustCompile(
      RequireDefaultDenyKind(), "{coveredNamespaces: {matchLabels: {policy.example/cni: calico}}}");
  const auto cluster =
      testing::ClusterWith({{"shop", "default-deny", kDenyBoth}},
                           {testing::NamespaceEntry("shop", {{"policy.example/cni", "calico"}}),
                            testing::NamespaceEntry("other")},
                           {});
  EXPECT_TRUE(RunCheck(check.get(), Pod(), Context(Operation::kCreate, cluster.get())).empty());
  EXPECT_TRUE(RunCheck(check.get(), NamedPolicy("default-deny", kDenyBoth),
                       Context(Operation::kDelete, cluster.get()))
                  .empty());
  EXPECT_EQ(RunCheck(check.get(), Pod("other"), Context(Operation::kCreate, cluster.get())).size(),
            1u);
}

// `netadmit check` builds its cluster from the manifests, cluster policies included.
std::vector<std::string> CheckManifests(const std::string& manifests) {
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: "
                          "t}\nspec:\n  rules:\n    - {id: r, kind: RequireDefaultDeny, action: "
                          "deny}\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  auto parsed = ParseManifests("app.yaml", manifests);
  if (!rules || !parsed) {
    ADD_FAILURE() << (rules ? parsed.error() : rules.error()).ToString();
    return {};
  }
  CheckOptions options;
  options.manifests = *std::move(parsed);
  auto report = netadmit::RunCheck(**rules, options);
  if (!report) {
    ADD_FAILURE() << report.error().ToString();
    return {};
  }
  std::vector<std::string> findings;
  for (const ObjectReport& object : report->objects) {
    for (const Finding& finding : object.evaluation.findings) {
      findings.push_back(object.description + ": " + finding.violation.problem);
    }
  }
  return findings;
}

TEST(RequireDefaultDenyTest, CheckSeesTheClusterPoliciesOfTheManifests) {
  const std::string deployment =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
      "spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}\n";
  const std::string baseline =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
      "metadata: {name: default}\nspec: " +
      std::string(kBaselineDenyAll) + "\n";
  EXPECT_TRUE(CheckManifests(baseline + "---\n" + deployment).empty());
  const std::string pass_all =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
      "metadata: {name: pass-all}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: "
      "[{action: Pass, from: [{namespaces: {}}]}]}\n";
  EXPECT_EQ(CheckManifests(pass_all + "---\n" + deployment),
            std::vector<std::string>{"Deployment shop/web: namespace shop has no default-deny "
                                     "NetworkPolicy for Ingress and Egress"});
}

// The DELETE of the namespace's default-deny, as the API server sends it: only oldObject.
TEST(RequireDefaultDenyTest, AdmissionOfADeleteTheClusterStillCovers) {
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: "
                          "t}\nspec:\n  rules:\n    - {id: r, kind: RequireDefaultDeny, action: "
                          "deny}\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  auto request = DecodeAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
      R"("kind":{"group":"networking.k8s.io","version":"v1","kind":"NetworkPolicy"},)"
      R"("namespace":"shop","name":"default-deny","operation":"DELETE",)"
      R"("userInfo":{"username":"alice"},"object":null,"oldObject":{"apiVersion":)"
      R"("networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"default-deny",)"
      R"("namespace":"shop"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}}})");
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  const auto covered =
      testing::ClusterWith({{"shop", "default-deny", kDenyBoth}}, {testing::NamespaceEntry("shop")},
                           {Baseline(kBaselineDenyAll)});
  EXPECT_TRUE(Review(**rules, *request, {.cluster = covered.get()}).response.allowed);
  const auto uncovered = testing::ClusterWith({{"shop", "default-deny", kDenyBoth}},
                                              {testing::NamespaceEntry("shop")}, {});
  const ReviewResult refused = Review(**rules, *request, {.cluster = uncovered.get()});
  EXPECT_FALSE(refused.response.allowed);
  EXPECT_TRUE(refused.response.message.starts_with(
      "[r] deleting the last default-deny for Ingress and Egress in namespace shop"))
      << refused.response.message;
}

TEST(RequireDefaultDenyTest, BadCoveredNamespaces) {
  EXPECT_EQ(
      testing::CompileError(RequireDefaultDenyKind(), "{coveredNamespaces: calico}").ToString(),
      "rules.yaml:1:21: spec.rules[0].params.coveredNamespaces: must be a label selector "
      "such as {matchLabels: {team: a}}, got \"calico\"");
  EXPECT_EQ(testing::CompileError(RequireDefaultDenyKind(),
                                  "{coveredNamespaces: {matchExpressions: [{key: a, operator: "
                                  "Maybe}]}}")
                .path,
            "spec.rules[0].params.coveredNamespaces.matchExpressions[0].operator");
}

}  // namespace
}  // namespace netadmit
