// The registration list: every built-in kind once, in reference order, each with a compile
// function and documented params; registering twice is a programming error that aborts.

#include "../policy-rules/rules/registration.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netadmit/rules/catalog.h"
#include "rule_kind_testing.h"
#include "support/files.h"

namespace netadmit {
namespace {

TEST(RegistrationTest, BuiltinCatalogListsEveryKindOnce) {
  std::vector<std::string> names;
  for (const auto& kind : BuiltinCatalog().kinds()) {
    names.emplace_back(kind.name);
    EXPECT_NE(kind.compile, nullptr) << kind.name;
    EXPECT_FALSE(kind.summary.empty()) << kind.name;
    for (const auto& param : kind.params) {
      EXPECT_FALSE(param.type.empty()) << kind.name << "." << param.name;
      EXPECT_FALSE(param.description.empty()) << kind.name << "." << param.name;
    }
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "NoOpenEgress", "NoOpenIngress", "RequirePorts", "ExplicitPolicyTypes",
                "RestrictNamespacePeers", "NoHostNetwork", "RequirePodLabels", "RequireDefaultDeny",
                "RequirePodSelected", "ProtectedPolicies", "DistinctPriorities", "Flows"}));
  ASSERT_NE(BuiltinCatalog().Find("NoHostNetwork"), nullptr);
  EXPECT_EQ(BuiltinCatalog().Find("NoHostNetwork")->target, Target::kPodTemplate);
  EXPECT_EQ(BuiltinCatalog().Find("RequirePodLabels")->target, Target::kPodTemplate);
  EXPECT_EQ(BuiltinCatalog().Find("NoOpenEgress")->target, Target::kAnyNetworkPolicy);
  EXPECT_EQ(BuiltinCatalog().Find("DistinctPriorities")->target, Target::kClusterPolicy);
  // The stateful kinds say what they need, so that the engine and the server can tell.
  const RuleKind* default_deny = BuiltinCatalog().Find("RequireDefaultDeny");
  EXPECT_TRUE(default_deny->needs_cluster && default_deny->checks_delete &&
              default_deny->confirm_with_fresh_read);
  EXPECT_FALSE(BuiltinCatalog().Find("ProtectedPolicies")->needs_cluster);
  EXPECT_FALSE(BuiltinCatalog().Find("NoOpenEgress")->checks_delete);
}

// Every documented param of every kind, given values of every shape: each either compiles or
// fails with an Error located in the params, and nothing throws.
TEST(RegistrationTest, EveryKindSurvivesMalformedParams) {
  const std::vector<std::string> values = {
      "~",
      "0",
      "-1",
      "99999999999999999999",
      "\"x\"",
      "[]",
      "[~]",
      "[[1]]",
      "{}",
      "{a: b}",
      "[{}]",
      "[{port: ~}]",
      "[{port: 1, endPort: [2]}]",
      "[{protocol: [TCP], port: 1}]",
      "[{1: 2}]",
      "!!binary AAAA",
      "[0.0.0.0/0, '::/0']",
      "[\"*\", \"\"]",
      "[a, a]",
  };
  for (const auto& kind : BuiltinCatalog().kinds()) {
    for (const auto& param : kind.params) {
      for (const auto& value : values) {
        const std::string params = "{" + std::string(param.name) + ": " + value + "}";
        SCOPED_TRACE(std::string(kind.name) + " " + params);
        auto compiled = testing::CompileKind(kind, params);
        if (!compiled) {
          EXPECT_FALSE(compiled.error().message.empty());
          EXPECT_EQ(compiled.error().path.rfind("spec.rules[0].params", 0), 0u);
        }
      }
    }
    for (const std::string params : {"[]", "x", "{[a]: 1}", "{~: 1}"}) {
      SCOPED_TRACE(std::string(kind.name) + " " + params);
      EXPECT_FALSE(testing::CompileKind(kind, params).ok());
    }
  }
}

// The reference in docs/rules.md is the catalog's own text, so the two cannot drift apart.
TEST(RegistrationTest, DocsMatchTheCatalog) {
  const std::string docs = testing::ReadFile(std::string(NETADMIT_SOURCE_DIR) + "/docs/rules.md");
  const std::string begin = "<!-- reference: begin -->\n\n";
  const std::string end = "<!-- reference: end -->";
  const auto from = docs.find(begin);
  const auto to = docs.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  const std::string expected = KindsReferenceMarkdown(BuiltinCatalog());
  EXPECT_EQ(docs.substr(from + begin.size(), to - from - begin.size()), expected)
      << "docs/rules.md is stale: replace the block between the reference markers with the "
         "output of `netadmit rules --markdown`:\n"
      << expected;
}

TEST(RegistrationDeathTest, RegisteringTwiceAborts) {
  RuleCatalog catalog;
  RegisterBuiltinKinds(catalog);
  EXPECT_DEATH(RegisterBuiltinKinds(catalog),
               "cannot register rule kind \"NoOpenEgress\": rule kind \"NoOpenEgress\" is "
               "registered twice");
}

}  // namespace
}  // namespace netadmit
