#include "../policy-rules/rules/kinds/no_open_egress.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::PathCase;
using testing::Policy;
using testing::RunCheck;

constexpr char kDns[] = "{allowedPorts: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}";
constexpr char kDnsInside10[] =
    "{allowedCIDRs: [10.0.0.0/8], allowedPorts: [{protocol: UDP, port: 53}, {protocol: TCP, port: "
    "53}]}";

TEST(NoOpenEgressTest, AllowsBoundedEgress) {
  ExpectPaths(
      NoOpenEgressKind(),
      {
          {"pod selector",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: "
                  "db}}}]}]}"),
           {}},
          {"namespace selector",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {team: "
                  "a}}}]}]}"),
           {}},
          {"narrow ipBlock without allowedCIDRs",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}"),
           {}},
          {"ipBlock inside allowedCIDRs",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.1.0.0/16}}]}]}"),
           {}},
          {"ipBlock equal to an allowed CIDR",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}"),
           {}},
          {"IPv6 ipBlock inside an allowed IPv6 CIDR",
           "{allowedCIDRs: [10.0.0.0/8, fd00::/8]}",
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: fd12::/16}}]}]}"),
           {}},
          {"DNS to anywhere without `to`",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, {protocol: "
                  "TCP, port: 53}]}]}"),
           {}},
          {"DNS to 0.0.0.0/0",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: "
                  "[{protocol: UDP, port: 53}]}]}"),
           {}},
          {"DNS port written without protocol is TCP and allowed",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 53}]}]}"),
           {}},
          {"range covered by two adjacent allowed ranges",
           "{allowedPorts: [{port: 8000, endPort: 8100}, {port: 8101, endPort: 8200}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8050, endPort: 8150}]}]}"),
           {}},
          {"range covered by overlapping allowed ranges listed out of order",
           "{allowedPorts: [{port: 8150, endPort: 8200}, {port: 8000, endPort: 8100}, {port: 8090, "
           "endPort: 8160}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8050, endPort: 8200}]}]}"),
           {}},
          {"range inside one allowed range",
           "{allowedPorts: [{port: 8000, endPort: 8100}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8000, endPort: 8100}]}]}"),
           {}},
          {"no egress rules at all (deny all egress)", kDns, Policy("{policyTypes: [Egress]}"), {}},
          {"egress rules the policy types leave out have no effect",
           kDns,
           Policy("{policyTypes: [Ingress], egress: [{}]}"),
           {}},
          {"namespaceSelector: {} is bounded unless clusterWideIsOpen",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}]}]}"),
           {}},
          {"clusterWideIsOpen: a selected pod in every namespace is bounded",
           "{clusterWideIsOpen: true}",
           Policy("{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: "
                  "{matchLabels: {app: dns}}}]}]}"),
           {}},
          {"clusterWideIsOpen: pods of the own namespace are bounded",
           "{clusterWideIsOpen: true}",
           Policy("{policyTypes: [Egress], egress: [{to: [{podSelector: {}}]}]}"),
           {}},
      });
}

TEST(NoOpenEgressTest, FlagsOpenEgress) {
  ExpectPaths(
      NoOpenEgressKind(),
      {
          {"no `to`", kDns, Policy("{policyTypes: [Egress], egress: [{}]}"), {"spec.egress[0]"}},
          {"empty `to`",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: []}]}"),
           {"spec.egress[0]"}},
          {"policy types inferred from the egress rules",
           kDns,
           Policy("{egress: [{}]}"),
           {"spec.egress[0]"}},
          {"0.0.0.0/0",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"::/0",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: '::/0'}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"0.0.0.0/0 with except",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: "
                  "[10.0.0.0/8]}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"IPv4-mapped everything",
           kDns,
           Policy(
               "{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: '::ffff:0.0.0.0/96'}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"host bits set on /0",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 1.2.3.4/0}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"invalid ipBlock",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"no ports means all ports, so DNS exemption does not apply",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{to: []}]}"),
           {"spec.egress[0]"}},
          {"port entry without a number is every port of the protocol",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{ports: [{protocol: UDP}]}]}"),
           {"spec.egress[0]"}},
          {"protocol defaults to TCP",
           "{allowedPorts: [{protocol: UDP, port: 53}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 53}]}]}"),
           {"spec.egress[0]"}},
          {"one port outside the allowed ports",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}, {port: "
                  "443}]}]}"),
           {"spec.egress[0]"}},
          {"range partly outside the allowed ports",
           "{allowedPorts: [{port: 8000, endPort: 8100}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8050, endPort: 8150}]}]}"),
           {"spec.egress[0]"}},
          {"range across a gap between allowed ranges listed out of order",
           "{allowedPorts: [{port: 8102, endPort: 8200}, {protocol: UDP, port: 8101}, {port: 8000, "
           "endPort: 8100}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8050, endPort: 8150}]}]}"),
           {"spec.egress[0]"}},
          {"range across a gap in the allowed ports",
           "{allowedPorts: [{port: 8000, endPort: 8100}, {port: 8102, endPort: 8200}]}",
           Policy("{policyTypes: [Egress], egress: [{ports: [{port: 8050, endPort: 8150}]}]}"),
           {"spec.egress[0]"}},
          {"a named port cannot be proven to be allowed",
           kDns,
           Policy("{policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: dns}]}]}"),
           {"spec.egress[0]"}},
          {"ipBlock outside allowedCIDRs",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 192.168.0.0/16}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"ipBlock wider than the allowed CIDR",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/7}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"IPv6 ipBlock against IPv4 allowedCIDRs",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 'fd00::/8'}}]}]}"),
           {"spec.egress[0].to[0].ipBlock.cidr"}},
          {"clusterWideIsOpen: namespaceSelector: {}",
           "{clusterWideIsOpen: true}",
           Policy("{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}]}]}"),
           {"spec.egress[0].to[0].namespaceSelector"}},
          {"clusterWideIsOpen: with an empty podSelector",
           "{clusterWideIsOpen: true}",
           Policy("{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: "
                  "{}}]}]}"),
           {"spec.egress[0].to[0].namespaceSelector"}},
          {"each open peer of each rule, in order",
           kDnsInside10,
           Policy("{policyTypes: [Egress], egress: [{to: [{podSelector: {}}]}, {to: [{ipBlock: "
                  "{cidr: 10.2.0.0/16}}, {ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "
                  "8.8.8.8/32}}]}, {}]}"),
           {"spec.egress[1].to[1].ipBlock.cidr", "spec.egress[1].to[2].ipBlock.cidr",
            "spec.egress[2]"}},
          {"without allowedPorts nothing is exempt",
           "",
           Policy("{policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}]}]}"),
           {"spec.egress[0]"}},
      });
}

TEST(NoOpenEgressTest, Messages) {
  struct Case {
    std::string name;
    std::string params;
    Object object;
    std::vector<std::string> messages;
  };
  const std::vector<Case> cases = {
      {"no `to`, DNS exempt",
       kDns,
       Policy("{policyTypes: [Egress], egress: [{}]}"),
       {"[no-open-egress] egress rule has no `to`, so it allows every destination (on all ports) "
        "at spec.egress[0] \u2014 add `to` with pod/namespace selectors or narrower CIDRs; 53/UDP, "
        "53/TCP alone are exempt"}},
      {"0.0.0.0/0 with allowedCIDRs",
       kDnsInside10,
       Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: "
              "[169.254.169.254/32]}}], ports: [{port: 443}]}]}"),
       {"[no-open-egress] egress rule allows every destination (ipBlock 0.0.0.0/0 minus 1 except "
        "block) at spec.egress[0].to[0].ipBlock.cidr \u2014 use pod/namespace selectors or CIDRs "
        "inside 10.0.0.0/8; 53/UDP, 53/TCP alone are exempt"}},
      {"normalized everything",
       "",
       Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: '::ffff:0.0.0.0/96'}}]}]}"),
       {"[no-open-egress] egress rule allows every destination (ipBlock ::ffff:0.0.0.0/96, which "
        "is 0.0.0.0/0) at spec.egress[0].to[0].ipBlock.cidr \u2014 use pod/namespace selectors or "
        "narrower CIDRs"}},
      {"outside allowedCIDRs",
       kDnsInside10,
       Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}], ports: "
              "[{port: 443}, {port: 8000, endPort: 8080}, {protocol: UDP}, {port: https}]}]}"),
       {"[no-open-egress] egress rule allows destinations outside allowedCIDRs (ipBlock "
        "203.0.113.0/24) at spec.egress[0].to[0].ipBlock.cidr \u2014 use pod/namespace selectors "
        "or CIDRs inside 10.0.0.0/8; 53/UDP, 53/TCP alone are exempt"}},
      {"ports listed in the detail",
       "",
       Policy("{policyTypes: [Egress], egress: [{ports: [{port: 443}, {port: 8000, endPort: 8080}, "
              "{protocol: UDP}, {port: https}]}]}"),
       {"[no-open-egress] egress rule has no `to`, so it allows every destination (on 443/TCP, "
        "8000-8080/TCP, all UDP ports, ...) at spec.egress[0] \u2014 add `to` with pod/namespace "
        "selectors or narrower CIDRs"}},
      {"invalid ipBlock",
       "",
       Policy("{policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}"),
       {"[no-open-egress] ipBlock is not a valid CIDR (cidr \"10.0.0.0/33\") at "
        "spec.egress[0].to[0].ipBlock.cidr \u2014 write it as address/prefix, e.g. 10.0.0.0/8"}},
      {"cluster-wide peer",
       "{clusterWideIsOpen: true}",
       Policy(
           "{policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: {}}]}]}"),
       {"[no-open-egress] egress rule allows every pod in every namespace (namespaceSelector: {} "
        "and podSelector: {}) at spec.egress[0].to[0].namespaceSelector \u2014 select namespaces "
        "by label, e.g. kubernetes.io/metadata.name"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto check = MustCompile(NoOpenEgressKind(), c.params);
    const auto messages = Messages("no-open-egress", RunCheck(check.get(), c.object));
    EXPECT_EQ(messages, c.messages);
    for (const auto& message : messages) {
      EXPECT_LE(message.size(), 256u) << message;
    }
  }
}

TEST(NoOpenEgressTest, ParamErrors) {
  struct Case {
    std::string params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"allowedCIDRs: \"10.0.0.0/8\"",
       "rules.yaml:1:15: spec.rules[0].params.allowedCIDRs: must be a list of CIDRs, got string "
       "\"10.0.0.0/8\""},
      {"allowedCIDRs:\n  - 10.0.0.0/8\n  - 300.0.0.0/8\n",
       "rules.yaml:3:5: spec.rules[0].params.allowedCIDRs[1]: invalid CIDR \"300.0.0.0/8\": not an "
       "IPv4 address"},
      {"allowedCidrs: [10.0.0.0/8]",
       "rules.yaml:1:1: spec.rules[0].params.allowedCidrs: unknown field \"allowedCidrs\"; did you "
       "mean \"allowedCIDRs\"?"},
      {"allowedNamespaces: [ingress-nginx]",
       "rules.yaml:1:1: spec.rules[0].params.allowedNamespaces: unknown field "
       "\"allowedNamespaces\""},
      {"allowedPorts: [{protocol: ICMP, port: 1}]",
       "rules.yaml:1:27: spec.rules[0].params.allowedPorts[0].protocol: must be TCP, UDP or SCTP, "
       "got \"ICMP\""},
      {"clusterWideIsOpen: 1",
       "rules.yaml:1:20: spec.rules[0].params.clusterWideIsOpen: must be true or false, got \"1\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(testing::CompileError(NoOpenEgressKind(), c.params).ToString(), c.error);
  }
}

TEST(NoOpenEgressTest, IgnoresOtherObjects) {
  const auto check = MustCompile(NoOpenEgressKind(), "");
  const Object pod = testing::DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: true}\n");
  EXPECT_TRUE(RunCheck(check.get(), pod).empty());
}

Object Anp(const std::string& egress) {
  return testing::ClusterPolicy(
      "AdminNetworkPolicy", "guard",
      "{priority: 10, subject: {namespaces: {}}, egress: " + egress + "}");
}

Object Banp(const std::string& egress) {
  return testing::ClusterPolicy("BaselineAdminNetworkPolicy", "default",
                                "{subject: {namespaces: {}}, egress: " + egress + "}");
}

Object Cnp(const std::string& tier, const std::string& egress) {
  return testing::ClusterPolicy(
      "ClusterNetworkPolicy", "guard",
      "{tier: " + tier + ", priority: 10, subject: {namespaces: {}}, egress: " + egress + "}");
}

TEST(NoOpenEgressTest, ClusterPolicyAllowToEveryAddressIsReportedAtTheNetwork) {
  const auto check = MustCompile(NoOpenEgressKind(), kDns);
  const Object policy =
      Anp("[{action: Allow, to: [{namespaces: {matchLabels: {team: a}}}, {networks: [10.0.0.0/8, "
          "0.0.0.0/0]}]}]");
  EXPECT_EQ(Messages("no-open-egress", RunCheck(check.get(), policy)),
            std::vector<std::string>{
                "[no-open-egress] egress rule allows every destination (network 0.0.0.0/0) at "
                "spec.egress[0].to[1].networks[1] \u2014 use pod/namespace selectors or narrower "
                "CIDRs; 53/UDP, 53/TCP alone are exempt"});
}

TEST(NoOpenEgressTest, JudgesTheAllowRulesOfClusterPolicies) {
  ExpectPaths(
      NoOpenEgressKind(),
      {
          {"Admin Allow to ::/0",
           "",
           Anp("[{action: Allow, to: [{networks: ['::/0']}]}]"),
           {"spec.egress[0].to[0].networks[0]"}},
          {"Deny to everything opens nothing",
           "",
           Anp("[{action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}, {namespaces: {}}]}]"),
           {}},
          {"Pass to everything opens nothing",
           "",
           Anp("[{action: Pass, to: [{networks: [0.0.0.0/0]}, {namespaces: {}}]}]"),
           {}},
          {"ClusterNetworkPolicy Accept",
           "",
           Cnp("Admin",
               "[{action: Deny, to: [{namespaces: {}}]}, {action: Accept, to: "
               "[{networks: [0.0.0.0/0]}]}]"),
           {"spec.egress[1].to[0].networks[0]"}},
          {"Admin Allow to every namespace",
           "",
           Anp("[{action: Allow, to: [{namespaces: {}}]}]"),
           {"spec.egress[0].to[0].namespaces"}},
          {"Admin Allow to every pod of every namespace",
           "",
           Anp("[{action: Allow, to: [{pods: {namespaceSelector: {}, podSelector: {}}}]}]"),
           {"spec.egress[0].to[0].pods"}},
          {"Admin Allow to some pods of every namespace",
           "",
           Anp("[{action: Allow, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: "
               "{app: dns}}}}]}]"),
           {}},
          {"Baseline Allow to every namespace: as namespaceSelector: {} in a NetworkPolicy",
           "",
           Banp("[{action: Allow, to: [{namespaces: {}}]}, {action: Deny, to: [{networks: "
                "[0.0.0.0/0]}]}]"),
           {}},
          {"Baseline Allow to every namespace with clusterWideIsOpen",
           "{clusterWideIsOpen: true}",
           Cnp("Baseline", "[{action: Accept, to: [{namespaces: {}}]}]"),
           {"spec.egress[0].to[0].namespaces"}},
          {"Baseline Allow to every address",
           "",
           Banp("[{action: Allow, to: [{networks: [0.0.0.0/0]}]}]"),
           {"spec.egress[0].to[0].networks[0]"}},
          {"network outside allowedCIDRs",
           "{allowedCIDRs: [10.0.0.0/8]}",
           Anp("[{action: Allow, to: [{networks: [10.1.0.0/16, 192.168.0.0/16]}]}]"),
           {"spec.egress[0].to[0].networks[1]"}},
          {"nodes and domain names are not judged",
           "",
           Anp("[{action: Allow, to: [{nodes: {}}, {domainNames: ['*.example.com']}]}]"),
           {}},
      });
}

TEST(NoOpenEgressTest, ClusterPolicyRulesOnAllowedPortsAreExempt) {
  ExpectPaths(
      NoOpenEgressKind(),
      {
          {"DNS by number",
           kDns,
           Anp("[{action: Allow, to: [{networks: [0.0.0.0/0]}], ports: [{portNumber: {protocol: "
               "UDP, port: 53}}, {portNumber: {protocol: TCP, port: 53}}]}]"),
           {}},
          {"DNS in ClusterNetworkPolicy protocols",
           kDns,
           Cnp("Admin",
               "[{action: Accept, to: [{networks: [0.0.0.0/0]}], protocols: [{udp: "
               "{destinationPort: {number: 53}}}]}]"),
           {}},
          {"every UDP port is not DNS",
           kDns,
           Cnp("Admin",
               "[{action: Accept, to: [{networks: [0.0.0.0/0]}], protocols: [{udp: "
               "{}}]}]"),
           {"spec.egress[0].to[0].networks[0]"}},
          {"a range past the allowed port",
           kDns,
           Anp("[{action: Allow, to: [{networks: [0.0.0.0/0]}], ports: [{portRange: {protocol: "
               "UDP, start: 53, end: 54}}]}]"),
           {"spec.egress[0].to[0].networks[0]"}},
      });
}

TEST(NoOpenEgressTest, Describes) {
  const RuleKind kind = NoOpenEgressKind();
  EXPECT_EQ(kind.name, "NoOpenEgress");
  EXPECT_EQ(kind.target, Target::kAnyNetworkPolicy);
  ASSERT_EQ(kind.params.size(), 3u);
  EXPECT_EQ(kind.params[0].name, "allowedCIDRs");
  EXPECT_EQ(kind.params[1].name, "allowedPorts");
  EXPECT_EQ(kind.params[2].name, "clusterWideIsOpen");
}

}  // namespace
}  // namespace netadmit
