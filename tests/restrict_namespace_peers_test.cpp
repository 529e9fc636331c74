#include "../policy-rules/rules/kinds/restrict_namespace_peers.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::Policy;
using testing::RunCheck;

constexpr char kMonitoring[] = "{allowedNamespaces: [monitoring, \"shared-*\"]}";

TEST(RestrictNamespacePeersTest, AllowsPinnedAllowedNamespaces) {
  ExpectPaths(
      RestrictNamespacePeersKind(),
      {
          {"matchLabels name of an allowed namespace",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchLabels: "
                  "{kubernetes.io/metadata.name: monitoring}}}]}]}"),
           {}},
          {"In expression of allowed namespaces",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
                  "kubernetes.io/metadata.name, operator: In, values: [monitoring, "
                  "shared-db]}]}}]}]}"),
           {}},
          {"the policy's own namespace",
           "",
           Policy("{ingress: [{from: [{namespaceSelector: {matchLabels: "
                  "{kubernetes.io/metadata.name: shop}}}]}]}",
                  "shop"),
           {}},
          {"pinned by name plus another label",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchLabels: "
                  "{kubernetes.io/metadata.name: monitoring, team: obs}}, podSelector: {}}]}]}"),
           {}},
          {"peers without namespaceSelector stay in the namespace",
           "",
           Policy("{ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 0.0.0.0/0}}]}]}"),
           {}},
          {"egress rules the policy types leave out have no effect",
           "",
           Policy("{policyTypes: [Ingress], egress: [{to: [{namespaceSelector: {}}]}]}"),
           {}},
      });
}

TEST(RestrictNamespacePeersTest, FlagsUnpinnedOrForeignNamespaces) {
  ExpectPaths(
      RestrictNamespacePeersKind(),
      {
          {"namespaceSelector: {}",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
          {"selector on another label",
           kMonitoring,
           Policy("{ingress: [{from: [{podSelector: {}}, {namespaceSelector: {matchLabels: {team: "
                  "obs}}}]}]}"),
           {"spec.ingress[0].from[1].namespaceSelector"}},
          {"NotIn on the name label",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
                  "kubernetes.io/metadata.name, operator: NotIn, values: [prod]}]}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
          {"Exists on the name label",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
                  "kubernetes.io/metadata.name, operator: Exists}]}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
          {"a namespace that is not allowed",
           kMonitoring,
           Policy("{ingress: [{from: [{namespaceSelector: {matchLabels: "
                  "{kubernetes.io/metadata.name: payments}}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
          {"one of several names not allowed",
           kMonitoring,
           Policy(
               "{ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
               "kubernetes.io/metadata.name, operator: In, values: [monitoring, payments]}]}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
          {"egress peers too",
           kMonitoring,
           Policy(
               "{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: "
               "{kubernetes.io/metadata.name: monitoring}}}]}, {to: [{namespaceSelector: {}}]}]}"),
           {"spec.egress[1].to[0].namespaceSelector"}},
          {"without allowedNamespaces only the own namespace",
           "",
           Policy("{ingress: [{from: [{namespaceSelector: {matchLabels: "
                  "{kubernetes.io/metadata.name: monitoring}}}]}]}"),
           {"spec.ingress[0].from[0].namespaceSelector"}},
      });
}

TEST(RestrictNamespacePeersTest, Messages) {
  const auto check = MustCompile(RestrictNamespacePeersKind(), kMonitoring);
  const Object policy = Policy(
      "{policyTypes: [Ingress, Egress], ingress: [{from: [{namespaceSelector: {}}, "
      "{namespaceSelector: {matchLabels: {team: obs}, matchExpressions: [{key: env, operator: "
      "NotIn, values: [prod]}]}}]}], egress: [{to: [{namespaceSelector: {matchExpressions: [{key: "
      "kubernetes.io/metadata.name, operator: In, values: [payments, monitoring, billing]}]}}]}]}",
      "shop");
  EXPECT_EQ(Messages("restrict-namespace-peers", RunCheck(check.get(), policy)),
            (std::vector<std::string>{
                "[restrict-namespace-peers] namespaceSelector does not name namespaces ({} matches "
                "every namespace) at spec.ingress[0].from[0].namespaceSelector \u2014 use "
                "`kubernetes.io/metadata.name` in matchLabels or with operator In",
                "[restrict-namespace-peers] namespaceSelector does not name namespaces (selects by "
                "team=obs, env NotIn) at spec.ingress[0].from[1].namespaceSelector \u2014 use "
                "`kubernetes.io/metadata.name` in matchLabels or with operator In",
                "[restrict-namespace-peers] namespaceSelector names a namespace that is not "
                "allowed (namespaces payments, billing) at spec.egress[0].to[0].namespaceSelector "
                "\u2014 keep to the policy's own namespace or monitoring, shared-*",
            }));
}

TEST(RestrictNamespacePeersTest, ParamErrors) {
  EXPECT_EQ(
      testing::CompileError(RestrictNamespacePeersKind(), "allowedNamespaces: [monitoring, ~]")
          .ToString(),
      "rules.yaml:1:33: spec.rules[0].params.allowedNamespaces[1]: must be a namespace name or "
      "pattern, got null");
  EXPECT_EQ(
      testing::CompileError(RestrictNamespacePeersKind(), "allowedNamespace: [monitoring]")
          .ToString(),
      "rules.yaml:1:1: spec.rules[0].params.allowedNamespace: unknown field \"allowedNamespace\"");
}

}  // namespace
}  // namespace netadmit
