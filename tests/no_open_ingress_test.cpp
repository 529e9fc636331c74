#include "../policy-rules/rules/kinds/no_open_ingress.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::Policy;
using testing::RunCheck;

constexpr char kIngressNginx[] = "{allowedNamespaces: [ingress-nginx, \"edge-*\"]}";

TEST(NoOpenIngressTest, AllowsBoundedIngress) {
  ExpectPaths(NoOpenIngressKind(),
              {
                  {"pod selector",
                   kIngressNginx,
                   Policy("{ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}"),
                   {}},
                  {"narrow ipBlock",
                   kIngressNginx,
                   Policy("{ingress: [{from: [{ipBlock: {cidr: 192.168.10.0/24}}]}]}"),
                   {}},
                  {"ipBlock inside allowedCIDRs",
                   "{allowedCIDRs: [192.168.0.0/16]}",
                   Policy("{ingress: [{from: [{ipBlock: {cidr: 192.168.10.0/24}}]}]}"),
                   {}},
                  {"no ingress rules (deny all ingress)", kIngressNginx, Policy("{}"), {}},
                  {"open ingress in an allowed namespace",
                   kIngressNginx,
                   Policy("{ingress: [{}]}", "ingress-nginx"),
                   {}},
                  {"open ingress in a namespace matching an allowed pattern",
                   kIngressNginx,
                   Policy("{ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}", "edge-eu"),
                   {}},
                  {"ingress rules the policy types leave out have no effect",
                   "",
                   Policy("{policyTypes: [Egress], ingress: [{}]}"),
                   {}},
                  {"all ports in allowedPorts",
                   "{allowedPorts: [{port: 443}, {port: 80}]}",
                   Policy("{ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 80}, "
                          "{port: 443}]}]}"),
                   {}},
              });
}

TEST(NoOpenIngressTest, FlagsOpenIngress) {
  ExpectPaths(NoOpenIngressKind(),
              {
                  {"no `from`", kIngressNginx, Policy("{ingress: [{}]}"), {"spec.ingress[0]"}},
                  {"empty `from`",
                   kIngressNginx,
                   Policy("{ingress: [{from: [], ports: [{port: 80}]}]}"),
                   {"spec.ingress[0]"}},
                  {"0.0.0.0/0",
                   kIngressNginx,
                   Policy("{ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 0.0.0.0/0}}]}]}"),
                   {"spec.ingress[0].from[1].ipBlock.cidr"}},
                  {"::/0 with except",
                   kIngressNginx,
                   Policy("{ingress: [{from: [{ipBlock: {cidr: '::/0', except: ['fd00::/8']}}]}]}"),
                   {"spec.ingress[0].from[0].ipBlock.cidr"}},
                  {"namespace close to but not matching an allowed one",
                   kIngressNginx,
                   Policy("{ingress: [{}]}", "ingress-nginx-test"),
                   {"spec.ingress[0]"}},
                  {"ipBlock outside allowedCIDRs",
                   "{allowedCIDRs: [192.168.0.0/16]}",
                   Policy("{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}"),
                   {"spec.ingress[0].from[0].ipBlock.cidr"}},
                  {"clusterWideIsOpen",
                   "{clusterWideIsOpen: true}",
                   Policy("{ingress: [{from: [{namespaceSelector: {}}]}, {from: "
                          "[{namespaceSelector: {}, podSelector: {}}]}]}"),
                   {"spec.ingress[0].from[0].namespaceSelector",
                    "spec.ingress[1].from[0].namespaceSelector"}},
                  {"one port outside allowedPorts",
                   "{allowedPorts: [{port: 443}]}",
                   Policy("{ingress: [{ports: [{port: 443}, {port: 444}]}]}"),
                   {"spec.ingress[0]"}},
                  {"egress rules are not this kind's business",
                   "",
                   Policy("{policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}]}"),
                   {"spec.ingress[0]"}},
              });
}

TEST(NoOpenIngressTest, Messages) {
  const auto check = MustCompile(NoOpenIngressKind(),
                                 "{allowedCIDRs: [192.168.0.0/16], allowedPorts: [{port: 443}]}");
  const Object policy = Policy(
      "{ingress: [{ports: [{port: 80}]}, {from: [{ipBlock: {cidr: 0.0.0.0/0}}]}, {from: [{ipBlock: "
      "{cidr: 10.0.0.0/8}}]}]}");
  EXPECT_EQ(Messages("no-open-ingress", RunCheck(check.get(), policy)),
            (std::vector<std::string>{
                "[no-open-ingress] ingress rule has no `from`, so it allows every source (on "
                "80/TCP) at spec.ingress[0] \u2014 add `from` with pod/namespace selectors or "
                "CIDRs inside 192.168.0.0/16; 443/TCP alone are exempt",
                "[no-open-ingress] ingress rule allows every source (ipBlock 0.0.0.0/0) at "
                "spec.ingress[1].from[0].ipBlock.cidr \u2014 use pod/namespace selectors or CIDRs "
                "inside 192.168.0.0/16; 443/TCP alone are exempt",
                "[no-open-ingress] ingress rule allows sources outside allowedCIDRs (ipBlock "
                "10.0.0.0/8) at spec.ingress[2].from[0].ipBlock.cidr \u2014 use pod/namespace "
                "selectors or CIDRs inside 192.168.0.0/16; 443/TCP alone are exempt",
            }));
}

TEST(NoOpenIngressTest, ParamErrors) {
  struct Case {
    std::string params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"allowedNamespaces: ingress-nginx",
       "rules.yaml:1:20: spec.rules[0].params.allowedNamespaces: must be a list of namespace names "
       "or patterns, got \"ingress-nginx\""},
      {"allowedNamespaces: [Ingress-Nginx]",
       "rules.yaml:1:21: spec.rules[0].params.allowedNamespaces[0]: invalid namespace pattern "
       "\"Ingress-Nginx\": namespaces are lowercase; use \"ingress-nginx\""},
      {"allowedCIDRs: [10.0.0.0/8, fd00::/129]",
       "rules.yaml:1:28: spec.rules[0].params.allowedCIDRs[1]: invalid CIDR \"fd00::/129\": prefix "
       "length must be a number from 0 to 128"},
      {"allowednamespaces: []",
       "rules.yaml:1:1: spec.rules[0].params.allowednamespaces: unknown field "
       "\"allowednamespaces\"; did you mean \"allowedNamespaces\"?"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(testing::CompileError(NoOpenIngressKind(), c.params).ToString(), c.error);
  }
}

TEST(NoOpenIngressTest, JudgesTheAllowRulesOfClusterPolicies) {
  const auto check = MustCompile(NoOpenIngressKind(), "{allowedNamespaces: ['*']}");
  const Object policy = testing::ClusterPolicy(
      "AdminNetworkPolicy", "open-web",
      "{priority: 3, subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "
      "ingress-nginx}}}, ingress: [{action: Pass, from: [{namespaces: {}}]}, {action: Allow, "
      "from: [{namespaces: {matchLabels: {team: a}}}, {pods: {namespaceSelector: {}, "
      "podSelector: {}}}]}, {action: Deny, from: [{namespaces: {}}]}]}");
  // A cluster policy is in no namespace: allowedNamespaces does not exempt it.
  EXPECT_EQ(Messages("no-open-ingress", RunCheck(check.get(), policy)),
            std::vector<std::string>{
                "[no-open-ingress] ingress rule allows every pod in every namespace (pods: "
                "{namespaceSelector: {}, podSelector: {}}) at spec.ingress[1].from[1].pods \u2014 "
                "select namespaces by label, e.g. kubernetes.io/metadata.name"});
  const Object baseline = testing::ClusterPolicy(
      "BaselineAdminNetworkPolicy", "default",
      "{subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}");
  EXPECT_TRUE(RunCheck(check.get(), baseline).empty());
  const auto strict = MustCompile(NoOpenIngressKind(), "{clusterWideIsOpen: true}");
  EXPECT_EQ(testing::Paths(RunCheck(strict.get(), baseline)),
            std::vector<std::string>{"spec.ingress[0].from[0].namespaces"});
}

TEST(NoOpenIngressTest, Describes) {
  const RuleKind kind = NoOpenIngressKind();
  EXPECT_EQ(kind.name, "NoOpenIngress");
  EXPECT_EQ(kind.target, Target::kAnyNetworkPolicy);
  ASSERT_EQ(kind.params.size(), 4u);
  EXPECT_EQ(kind.params[3].name, "allowedNamespaces");
}

}  // namespace
}  // namespace netadmit
