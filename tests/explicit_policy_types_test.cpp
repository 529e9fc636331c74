#include "../policy-rules/kinds/explicit_policy_types.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::Messages;
using testing::MustCompile;
using testing::Policy;
using testing::RunCheck;

TEST(ExplicitPolicyTypesTest, Cases) {
  struct Case {
    std::string name;
    Object object;
    std::vector<std::string> messages;
  };
  const std::vector<Case> cases = {
      {"written out", Policy("{policyTypes: [Ingress], ingress: [{}]}"), {}},
      {"written out, egress only", Policy("{policyTypes: [Egress], egress: [{}]}"), {}},
      {"absent, nothing else",
       Policy("{podSelector: {}}"),
       {"[explicit-policy-types] policyTypes is not written out (Kubernetes infers [Ingress]) at "
        "spec.policyTypes \u2014 add `policyTypes: [Ingress]`"}},
      {"absent, ingress rules",
       Policy("{ingress: [{}]}"),
       {"[explicit-policy-types] policyTypes is not written out (Kubernetes infers [Ingress]) at "
        "spec.policyTypes \u2014 add `policyTypes: [Ingress]`"}},
      {"absent, both kinds of rules",
       Policy("{ingress: [{}], egress: [{}]}"),
       {"[explicit-policy-types] policyTypes is not written out (Kubernetes infers [Ingress, "
        "Egress]) at spec.policyTypes \u2014 add `policyTypes: [Ingress, Egress]`"}},
      {"absent, egress rules only",
       Policy("{egress: [{}]}"),
       {"[explicit-policy-types] policyTypes is not written out (Kubernetes infers [Ingress, "
        "Egress], which denies all ingress) at spec.policyTypes \u2014 add `policyTypes: [Ingress, "
        "Egress]`, or `[Egress]` to leave ingress open"}},
      {"empty list is not written out",
       Policy("{policyTypes: [], egress: [{}], ingress: [{}]}"),
       {"[explicit-policy-types] policyTypes is empty (Kubernetes infers [Ingress, Egress]) at "
        "spec.policyTypes \u2014 add `policyTypes: [Ingress, Egress]`"}},
  };
  const auto check = MustCompile(ExplicitPolicyTypesKind(), "");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Messages("explicit-policy-types", RunCheck(check.get(), c.object)), c.messages);
  }
}

TEST(ExplicitPolicyTypesTest, TakesNoParams) {
  EXPECT_TRUE(testing::CompileKind(ExplicitPolicyTypesKind(), "{}").ok());
  EXPECT_TRUE(testing::CompileKind(ExplicitPolicyTypesKind(), "~").ok());
  EXPECT_EQ(testing::CompileError(ExplicitPolicyTypesKind(), "{strict: true}").ToString(),
            "rules.yaml:1:2: spec.rules[0].params.strict: unknown field \"strict\"");
  EXPECT_EQ(testing::CompileError(ExplicitPolicyTypesKind(), "[Ingress]").ToString(),
            "rules.yaml:1:1: spec.rules[0].params: must be a map of parameter names to values, got "
            "a list");
}

}  // namespace
}  // namespace netadmit
