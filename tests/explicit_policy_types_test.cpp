#include "../policy-rules/rules/kinds/explicit_policy_types.h"

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

// At admission the API server has already filled in policyTypes; the annotation kubectl apply
// writes still holds the manifest as the user wrote it.
Object Admitted(const std::string& last_applied) {
  Object object = Policy("{policyTypes: [Ingress, Egress], egress: [{}]}");
  object.metadata.last_applied_configuration = last_applied;
  return object;
}

TEST(ExplicitPolicyTypesTest, JudgesWhatKubectlApplyWroteWhenTheServerDefaulted) {
  const auto check = MustCompile(ExplicitPolicyTypesKind(), "");
  const std::string head = R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",)"
                           R"("metadata":{"name":"test","namespace":"default"},)";
  EXPECT_EQ(
      Messages("explicit-policy-types",
               RunCheck(check.get(), Admitted(head + R"("spec":{"egress":[{}]}})"))),
      std::vector<std::string>{
          "[explicit-policy-types] policyTypes is not written out (Kubernetes infers [Ingress, "
          "Egress], which denies all ingress; as last applied with kubectl, read from its "
          "kubectl.kubernetes.io/last-applied-configuration annotation) at spec.policyTypes "
          "\u2014 add `policyTypes: [Ingress, Egress]`, or `[Egress]` to leave ingress open"});
  // Written out in the manifest: nothing to say.
  EXPECT_TRUE(
      RunCheck(check.get(), Admitted(head + R"("spec":{"policyTypes":["Egress"],"egress":[{}]}})"))
          .empty());
  // No annotation, or one that is not this policy or not JSON: only the object speaks.
  for (const std::string& annotation :
       {std::string(), std::string("{not json"),
        std::string(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",)"
                    R"("metadata":{"name":"other"},"spec":{}})"),
        std::string(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"test"}})"),
        std::string(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",)"
                    R"("metadata":{"name":"test"},"spec":{"egress":"nope"}})")}) {
    SCOPED_TRACE(annotation);
    EXPECT_TRUE(RunCheck(check.get(), Admitted(annotation)).empty());
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
