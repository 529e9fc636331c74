// The shipped default rule set (policy-rules/default-rules.yaml) loads with the built-in kinds
// and judges real API-server objects as its comments say.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netadmit/codec/admission.h"
#include "netadmit/codec/decode.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/rule_set.h"
#include "rule_kind_testing.h"
#include "support/files.h"

namespace netadmit {
namespace {

std::shared_ptr<const RuleSet> DefaultRules() {
  const RuleSource source = DefaultRuleSource();
  auto rules = LoadRuleSet(std::span(&source, 1));
  if (!rules) {
    ADD_FAILURE() << rules.error().ToString();
    return nullptr;
  }
  return rules.value();
}

// The object of a captured AdmissionReview request.
Object CapturedObject(const std::string& fixture) {
  auto request = DecodeAdmissionReview(testing::Fixture("apiserver-v1.28/" + fixture));
  if (!request || request->object == nullptr) {
    ADD_FAILURE() << fixture << " has no object";
    return Object{};
  }
  auto object = DecodeObject(*request->object, request->namespace_name);
  if (!object) {
    ADD_FAILURE() << object.error().ToString();
    return Object{};
  }
  return std::move(object.value());
}

std::vector<std::string> Findings(const RuleSet& rules, const Object& object) {
  std::vector<std::string> out;
  for (const auto& finding : Evaluate(rules, object, CheckContext{}).findings) {
    out.push_back(std::string(ActionName(finding.action)) + " " + finding.Message());
  }
  return out;
}

TEST(DefaultRulesTest, LoadsWithTheDocumentedRulesAndActions) {
  const auto rules = DefaultRules();
  ASSERT_NE(rules, nullptr);
  struct Expected {
    std::string id;
    std::string kind;
    Action action;
  };
  const std::vector<Expected> expected = {
      {"no-open-egress", "NoOpenEgress", Action::kDeny},
      {"no-open-ingress", "NoOpenIngress", Action::kDeny},
      {"require-ports", "RequirePorts", Action::kWarn},
      {"explicit-policy-types", "ExplicitPolicyTypes", Action::kWarn},
      {"no-host-network", "NoHostNetwork", Action::kDeny},
      {"require-pod-labels", "RequirePodLabels", Action::kWarn},
      {"restrict-namespace-peers", "RestrictNamespacePeers", Action::kAudit},
      {"require-default-deny", "RequireDefaultDeny", Action::kWarn},
      {"distinct-priorities", "DistinctPriorities", Action::kDeny},
  };
  ASSERT_EQ(rules->rules().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(rules->rules()[i].id, expected[i].id);
    EXPECT_EQ(rules->rules()[i].kind->name, expected[i].kind);
    EXPECT_EQ(rules->rules()[i].action, expected[i].action) << expected[i].id;
  }
  EXPECT_EQ(rules->names(), std::vector<std::string>{"baseline"});
  EXPECT_TRUE(rules->Excludes("kube-system"));
  EXPECT_TRUE(rules->Excludes("netadmit-system"));
  EXPECT_FALSE(rules->Excludes("default"));
}

TEST(DefaultRulesTest, JudgesCapturedRequests) {
  const auto rules = DefaultRules();
  ASSERT_NE(rules, nullptr);
  struct Case {
    std::string fixture;
    std::vector<std::string> findings;
  };
  const std::vector<Case> cases = {
      {"001-NetworkPolicy-CREATE-bad-allow-everything.body.json",
       {"deny [no-open-ingress] ingress rule allows every source (ipBlock 0.0.0.0/0) at "
        "spec.ingress[0].from[0].ipBlock.cidr \u2014 use pod/namespace selectors or narrower "
        "CIDRs"}},
      {"012-NetworkPolicy-CREATE-good-deny-all.body.json", {}},
      {"013-Pod-CREATE-web-1.body.json",
       {"warn [require-pod-labels] pod is missing a required label (app.kubernetes.io/name) at "
        "metadata.labels \u2014 add `app.kubernetes.io/name: <value>` to the pod's labels"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture);
    EXPECT_EQ(Findings(*rules, CapturedObject(c.fixture)), c.findings);
  }
}

TEST(DefaultRulesTest, ExemptsDnsAndIngressControllersAndSystemNamespaces) {
  const auto rules = DefaultRules();
  ASSERT_NE(rules, nullptr);
  const Object dns_anywhere = testing::Policy(
      "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, "
      "{protocol: TCP, port: 53}]}]}",
      "shop");
  EXPECT_TRUE(Findings(*rules, dns_anywhere).empty());

  const Object open_controller = testing::Policy(
      "{podSelector: {}, policyTypes: [Ingress], ingress: [{ports: [{port: 443}]}]}",
      "ingress-nginx");
  EXPECT_TRUE(Findings(*rules, open_controller).empty());

  const std::string host_pod =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: cni, namespace: NS, labels: "
      "{app.kubernetes.io/name: cni}}\nspec: {hostNetwork: true, containers: [{name: cni}]}\n";
  std::string in_system = host_pod;
  in_system.replace(in_system.find("NS"), 2, "kube-system");
  EXPECT_TRUE(Findings(*rules, testing::DecodeYaml(in_system)).empty());
  std::string in_shop = host_pod;
  in_shop.replace(in_shop.find("NS"), 2, "shop");
  EXPECT_EQ(
      Findings(*rules, testing::DecodeYaml(in_shop)),
      std::vector<std::string>{"deny [no-host-network] pod uses the node's network, bypassing "
                               "NetworkPolicy (hostNetwork: true) at spec.hostNetwork \u2014 "
                               "remove `hostNetwork`; expose the pod through a Service"});
}

TEST(DefaultRulesTest, OpenEgressIsDeniedWithEveryFinding) {
  const auto rules = DefaultRules();
  ASSERT_NE(rules, nullptr);
  const Object policy = testing::Policy("{podSelector: {}, egress: [{}]}", "shop");
  EXPECT_EQ(Findings(*rules, policy),
            (std::vector<std::string>{
                "deny [no-open-egress] egress rule has no `to`, so it allows every destination (on "
                "all ports) at spec.egress[0] \u2014 add `to` with pod/namespace selectors or "
                "narrower CIDRs; 53/UDP, 53/TCP alone are exempt",
                "warn [require-ports] egress rule does not list ports (every port is open) at "
                "spec.egress[0].ports \u2014 list the ports it needs in `ports`, e.g. {protocol: "
                "TCP, port: 8080}",
                "warn [explicit-policy-types] policyTypes is not written out (Kubernetes infers "
                "[Ingress, Egress], which denies all ingress) at spec.policyTypes \u2014 add "
                "`policyTypes: [Ingress, Egress]`, or `[Egress]` to leave ingress open",
            }));
}

TEST(DefaultRulesTest, JudgesClusterPolicies) {
  const auto rules = DefaultRules();
  ASSERT_NE(rules, nullptr);
  const Object open_admin = testing::ClusterPolicy(
      "AdminNetworkPolicy", "open",
      "{priority: 5, subject: {namespaces: {}}, egress: [{action: Allow, to: [{networks: "
      "[0.0.0.0/0]}]}]}");
  EXPECT_EQ(Findings(*rules, open_admin),
            std::vector<std::string>{
                "deny [no-open-egress] egress rule allows every destination (network 0.0.0.0/0) "
                "at spec.egress[0].to[0].networks[0] \u2014 use pod/namespace selectors or "
                "narrower CIDRs; 53/UDP, 53/TCP alone are exempt"});
  // The usual baseline: pods reach each other unless a NetworkPolicy says otherwise, and
  // nothing outside the cluster.
  const Object baseline = testing::ClusterPolicy(
      "BaselineAdminNetworkPolicy", "default",
      "{subject: {namespaces: {}}, egress: [{action: Allow, to: [{namespaces: {}}]}, {action: "
      "Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}]}");
  EXPECT_TRUE(Findings(*rules, baseline).empty());
}

}  // namespace
}  // namespace netadmit
