#include "../policy-rules/rules/kinds/require_pod_labels.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::DecodeYaml;
using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::RunCheck;

constexpr char kKeys[] = "{keys: [app.kubernetes.io/name, team]}";

Object Pod(const std::string& labels) {
  return DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: " +
                    labels + "}\nspec: {containers: [{name: web}]}\n");
}

Object StatefulSet(const std::string& object_labels, const std::string& template_labels) {
  return DecodeYaml(
      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop, labels: " +
      object_labels + "}\nspec: {template: {metadata: {labels: " + template_labels +
      "}, spec: {containers: [{name: db}]}}}\n");
}

TEST(RequirePodLabelsTest, Cases) {
  ExpectPaths(
      RequirePodLabelsKind(),
      {
          {"all labels", kKeys, Pod("{app.kubernetes.io/name: web, team: shop, extra: x}"), {}},
          {"an empty value is still a label",
           kKeys,
           Pod("{app.kubernetes.io/name: '', team: shop}"),
           {}},
          {"one missing", kKeys, Pod("{app.kubernetes.io/name: web}"), {"metadata.labels"}},
          {"both missing: one violation each",
           kKeys,
           Pod("{}"),
           {"metadata.labels", "metadata.labels"}},
          {"keys are case-sensitive", "{keys: [app]}", Pod("{App: web}"), {"metadata.labels"}},
          {"template labels are what counts",
           kKeys,
           StatefulSet("{app.kubernetes.io/name: db, team: shop}", "{app.kubernetes.io/name: db}"),
           {"spec.template.metadata.labels"}},
          {"template with the labels",
           kKeys,
           StatefulSet("{}", "{app.kubernetes.io/name: db, team: shop}"),
           {}},
      });
}

TEST(RequirePodLabelsTest, Messages) {
  const auto check = MustCompile(RequirePodLabelsKind(), kKeys);
  EXPECT_EQ(Messages("require-pod-labels", RunCheck(check.get(), Pod("{team: shop}"))),
            (std::vector<std::string>{
                "[require-pod-labels] pod is missing a required label (app.kubernetes.io/name) "
                "at metadata.labels \u2014 add `app.kubernetes.io/name: <value>` to the pod's "
                "labels",
            }));
  EXPECT_EQ(Messages("require-pod-labels", RunCheck(check.get(), StatefulSet("{}", "{}"))),
            (std::vector<std::string>{
                "[require-pod-labels] pod template is missing a required label "
                "(app.kubernetes.io/name) at spec.template.metadata.labels \u2014 add "
                "`app.kubernetes.io/name: <value>` to the pod template's labels",
                "[require-pod-labels] pod template is missing a required label (team) at "
                "spec.template.metadata.labels \u2014 add `team: <value>` to the pod template's "
                "labels",
            }));
}

TEST(RequirePodLabelsTest, DuplicateKeysCountOnce) {
  const auto check = MustCompile(RequirePodLabelsKind(), "{keys: [app, app]}");
  EXPECT_EQ(RunCheck(check.get(), Pod("{}")).size(), 1u);
}

TEST(RequirePodLabelsTest, ParamErrors) {
  struct Case {
    std::string params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", "rules.yaml: spec.rules[0].params.keys: missing required field \"keys\""},
      {"{other: 1}", "rules.yaml:1:1: spec.rules[0].params.keys: missing required field \"keys\""},
      {"keys: []", "rules.yaml:1:7: spec.rules[0].params.keys: must list at least one label key"},
      {"keys: app",
       "rules.yaml:1:7: spec.rules[0].params.keys: must be a list of strings, got "
       "\"app\""},
      {"keys: [app, \"my label\"]",
       "rules.yaml:1:7: spec.rules[0].params.keys: \"my label\" is not a valid label key"},
      {"keys: [Example.com/app]",
       "rules.yaml:1:7: spec.rules[0].params.keys: \"Example.com/app\" is not a valid label key"},
      {"keys: [app-]",
       "rules.yaml:1:7: spec.rules[0].params.keys: \"app-\" is not a valid label "
       "key"},
      {"{keys: [app], key: [team]}",
       "rules.yaml:1:15: spec.rules[0].params.key: unknown field \"key\""},
      {"{keys: [app], Keys: [team]}",
       "rules.yaml:1:15: spec.rules[0].params.Keys: unknown field \"Keys\"; did you mean "
       "\"keys\"?"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(testing::CompileError(RequirePodLabelsKind(), c.params).ToString(), c.error);
  }
  EXPECT_TRUE(
      testing::CompileKind(RequirePodLabelsKind(), "{keys: [example.com/app_Name.v2]}").ok());
}

}  // namespace
}  // namespace netadmit
