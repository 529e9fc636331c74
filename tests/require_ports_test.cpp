#include "../policy-rules/rules/kinds/require_ports.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::Policy;
using testing::RunCheck;

TEST(RequirePortsTest, AllowsListedPorts) {
  ExpectPaths(RequirePortsKind(),
              {
                  {"numbered ports",
                   "{maxPortRange: 1000}",
                   Policy("{policyTypes: [Ingress, Egress], ingress: [{ports: [{port: 80}, "
                          "{protocol: UDP, port: 53}]}], egress: [{ports: [{port: 5432}]}]}"),
                   {}},
                  {"named port",
                   "{maxPortRange: 1000}",
                   Policy("{ingress: [{ports: [{port: http}]}]}"),
                   {}},
                  {"range exactly maxPortRange wide",
                   "{maxPortRange: 1000}",
                   Policy("{ingress: [{ports: [{port: 8000, endPort: 8999}]}]}"),
                   {}},
                  {"any range without maxPortRange",
                   "",
                   Policy("{ingress: [{ports: [{port: 1, endPort: 65535}]}]}"),
                   {}},
                  {"a policy without rules",
                   "{maxPortRange: 1000}",
                   Policy("{policyTypes: [Ingress, Egress]}"),
                   {}},
                  {"egress rules the policy types leave out have no effect",
                   "",
                   Policy("{policyTypes: [Ingress], egress: [{}]}"),
                   {}},
              });
}

TEST(RequirePortsTest, FlagsMissingAndWidePorts) {
  ExpectPaths(
      RequirePortsKind(),
      {
          {"ingress rule without ports",
           "",
           Policy("{ingress: [{from: [{podSelector: {}}]}]}"),
           {"spec.ingress[0].ports"}},
          {"egress rule without ports",
           "",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 53}]}, {}]}"),
           {"spec.egress[1].ports"}},
          {"port entry without a number",
           "",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 53}, {protocol: UDP}]}]}"),
           {"spec.egress[0].ports[1]"}},
          {"range one wider than maxPortRange",
           "{maxPortRange: 1000}",
           Policy("{ingress: [{ports: [{port: 8000, endPort: 9000}]}]}"),
           {"spec.ingress[0].ports[0].endPort"}},
          {"both directions, in order",
           "{maxPortRange: 10}",
           Policy("{policyTypes: [Ingress, Egress], ingress: [{}, {ports: [{port: 1, endPort: "
                  "100}]}], egress: [{}]}"),
           {"spec.ingress[0].ports", "spec.ingress[1].ports[0].endPort", "spec.egress[0].ports"}},
      });
}

TEST(RequirePortsTest, Messages) {
  const auto check = MustCompile(RequirePortsKind(), "{maxPortRange: 1000}");
  const Object policy = Policy(
      "{policyTypes: [Ingress, Egress], ingress: [{}], egress: [{ports: [{protocol: "
      "UDP}, {port: 8000, endPort: 9999}]}]}");
  EXPECT_EQ(Messages("require-ports", RunCheck(check.get(), policy)),
            (std::vector<std::string>{
                "[require-ports] ingress rule does not list ports (every port is open) at "
                "spec.ingress[0].ports \u2014 list the ports it needs in `ports`, e.g. "
                "{protocol: TCP, port: 8080}",
                "[require-ports] port entry has no port number (every UDP port is open) at "
                "spec.egress[0].ports[0] \u2014 set `port` (and `endPort` for a range)",
                "[require-ports] port range is too wide (8000-9999/TCP spans 2000 ports) at "
                "spec.egress[0].ports[1].endPort \u2014 narrow it to at most 1000 ports",
            }));
}

TEST(RequirePortsTest, ParamErrors) {
  struct Case {
    std::string params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"maxPortRange: 0",
       "rules.yaml:1:15: spec.rules[0].params.maxPortRange: must be an integer from 1 to 65535, "
       "got 0"},
      {"maxPortRange: 100000",
       "rules.yaml:1:15: spec.rules[0].params.maxPortRange: must be an integer from 1 to 65535, "
       "got 100000"},
      {"maxPortRange: ten",
       "rules.yaml:1:15: spec.rules[0].params.maxPortRange: must be an integer from 1 to 65535, "
       "got \"ten\""},
      {"maxPortRange: 10.5",
       "rules.yaml:1:15: spec.rules[0].params.maxPortRange: must be an integer from 1 to 65535, "
       "got \"10.5\""},
      {"maxPortrange: 10",
       "rules.yaml:1:1: spec.rules[0].params.maxPortrange: unknown field \"maxPortrange\"; did "
       "you mean \"maxPortRange\"?"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(testing::CompileError(RequirePortsKind(), c.params).ToString(), c.error);
  }
}

}  // namespace
}  // namespace netadmit
