// Decoding of the cluster-scoped policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
// ClusterNetworkPolicy) into model/cluster_policy.h, from JSON and from YAML manifests.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"

namespace netadmit {
namespace {

constexpr const char* kV1alpha1 = "policy.networking.k8s.io/v1alpha1";

Result<Object> Decode(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  EXPECT_FALSE(document.HasParseError()) << json;
  return DecodeObject(document, "default");
}

std::string Manifest(const std::string& api_version, const std::string& kind,
                     const std::string& spec) {
  return R"({"apiVersion": ")" + api_version + R"(", "kind": ")" + kind +
         R"(", "metadata": {"name": "p"}, "spec": )" + spec + "}";
}

std::string Anp(const std::string& spec) { return Manifest(kV1alpha1, "AdminNetworkPolicy", spec); }
std::string Banp(const std::string& spec) {
  return Manifest(kV1alpha1, "BaselineAdminNetworkPolicy", spec);
}
std::string Cnp(const std::string& spec) {
  return Manifest("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", spec);
}

TEST(ClusterPolicyDecodeTest, AdminNetworkPolicyEveryField) {
  auto object = Decode(R"({
    "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
    "metadata": {"name": "guard", "namespace": "ignored", "labels": {"team": "sec"}},
    "spec": {
      "priority": 10,
      "subject": {"namespaces": {"matchLabels": {"env": "prod"}}},
      "ingress": [
        {"name": "from-monitoring", "action": "Allow",
         "from": [{"namespaces": {"matchLabels": {"app": "mon"}}},
                  {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}}}],
         "ports": [{"portNumber": {"port": 8080}},
                   {"portRange": {"protocol": "UDP", "start": 5000, "end": 5100}},
                   {"namedPort": "metrics"},
                   {"portNumber": {"protocol": "SCTP", "port": 9}}]}
      ],
      "egress": [
        {"action": "Pass", "to": [{"networks": ["10.0.0.0/8", "fd00::/8"]}]},
        {"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "cp"}}},
                                  {"domainNames": ["*.example.com", "kubernetes.io."]}]}
      ]
    }})");
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  // Cluster-scoped: neither the written namespace nor the default one.
  EXPECT_EQ(object->metadata.namespace_name, "");
  EXPECT_EQ(object->Describe(), "AdminNetworkPolicy guard");
  EXPECT_EQ(object->metadata.labels.at("team"), "sec");
  const ClusterPolicySpec* spec = object->cluster_policy();
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->kind, ClusterPolicyKind::kAdminNetworkPolicy);
  EXPECT_EQ(spec->tier, ClusterPolicyTier::kAdmin);
  EXPECT_EQ(spec->priority, 10);
  ASSERT_TRUE(spec->subject.namespaces.has_value());
  EXPECT_EQ(spec->subject.namespaces->match_labels.at("env"), "prod");
  EXPECT_FALSE(spec->subject.pods.has_value());

  ASSERT_EQ(spec->ingress.size(), 1u);
  const ClusterPolicyRule& in = spec->ingress[0];
  EXPECT_EQ(in.name, "from-monitoring");
  EXPECT_EQ(in.action, ClusterRuleAction::kAllow);
  ASSERT_EQ(in.peers.size(), 2u);
  EXPECT_EQ(in.peers[0].kind, ClusterPeerKind::kNamespaces);
  EXPECT_EQ(in.peers[0].namespace_selector.match_labels.at("app"), "mon");
  EXPECT_EQ(in.peers[1].kind, ClusterPeerKind::kPods);
  EXPECT_TRUE(in.peers[1].namespace_selector.Empty());
  EXPECT_EQ(in.peers[1].pod_selector.match_labels.at("a"), "b");
  ASSERT_TRUE(in.ports.has_value());
  ASSERT_EQ(in.ports->size(), 4u);
  const auto& ports = *in.ports;
  EXPECT_EQ(ports[0].protocol, Protocol::kTCP);  // defaulted
  EXPECT_EQ(ports[0].first, 8080);
  EXPECT_EQ(ports[0].last, 8080);
  EXPECT_FALSE(ports[0].named_port.has_value());
  EXPECT_EQ(ports[1].protocol, Protocol::kUDP);
  EXPECT_EQ(ports[1].first, 5000);
  EXPECT_EQ(ports[1].last, 5100);
  EXPECT_EQ(ports[2].named_port, "metrics");
  EXPECT_EQ(ports[3].protocol, Protocol::kSCTP);
  EXPECT_EQ(ports[3].first, 9);

  ASSERT_EQ(spec->egress.size(), 2u);
  EXPECT_EQ(spec->egress[0].action, ClusterRuleAction::kPass);
  EXPECT_EQ(spec->egress[0].name, "");
  EXPECT_FALSE(spec->egress[0].ports.has_value());  // every port
  ASSERT_EQ(spec->egress[0].peers.size(), 1u);
  EXPECT_EQ(spec->egress[0].peers[0].kind, ClusterPeerKind::kNetworks);
  EXPECT_EQ(spec->egress[0].peers[0].networks,
            (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  EXPECT_EQ(spec->egress[1].action, ClusterRuleAction::kDeny);
  ASSERT_EQ(spec->egress[1].peers.size(), 2u);
  EXPECT_EQ(spec->egress[1].peers[0].kind, ClusterPeerKind::kNodes);
  EXPECT_EQ(spec->egress[1].peers[0].node_selector.match_labels.at("role"), "cp");
  EXPECT_EQ(spec->egress[1].peers[1].kind, ClusterPeerKind::kDomainNames);
  EXPECT_EQ(spec->egress[1].peers[1].domain_names,
            (std::vector<std::string>{"*.example.com", "kubernetes.io."}));
}

TEST(ClusterPolicyDecodeTest, BaselineAdminNetworkPolicy) {
  // Named other than "default": the API server refuses it (CEL), the decoder leaves it.
  auto object = Decode(R"({
    "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
    "metadata": {"name": "other"},
    "spec": {
      "subject": {"pods": {"namespaceSelector": {"matchLabels": {"a": "1"}},
                           "podSelector": {"matchLabels": {"b": "2"}}}},
      "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}],
      "egress": [{"action": "Allow", "to": [{"pods": {"namespaceSelector": {}, "podSelector": {}}}],
                  "ports": [{"portNumber": {"protocol": "TCP", "port": 53}}]}]
    }})");
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  EXPECT_EQ(object->metadata.name, "other");
  EXPECT_EQ(object->metadata.namespace_name, "");
  const ClusterPolicySpec* spec = object->cluster_policy();
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->kind, ClusterPolicyKind::kBaselineAdminNetworkPolicy);
  EXPECT_EQ(spec->tier, ClusterPolicyTier::kBaseline);
  EXPECT_EQ(spec->priority, 0);
  ASSERT_TRUE(spec->subject.pods.has_value());
  EXPECT_EQ(spec->subject.pods->namespace_selector.match_labels.at("a"), "1");
  EXPECT_EQ(spec->subject.pods->pod_selector.match_labels.at("b"), "2");
  ASSERT_EQ(spec->ingress.size(), 1u);
  EXPECT_EQ(spec->ingress[0].action, ClusterRuleAction::kDeny);
  EXPECT_EQ(spec->ingress[0].peers[0].kind, ClusterPeerKind::kNamespaces);
  ASSERT_EQ(spec->egress.size(), 1u);
  EXPECT_EQ(spec->egress[0].action, ClusterRuleAction::kAllow);
  EXPECT_EQ(spec->egress[0].peers[0].kind, ClusterPeerKind::kPods);
  ASSERT_TRUE(spec->egress[0].ports.has_value());
  EXPECT_EQ((*spec->egress[0].ports)[0].first, 53);
}

class ClusterNetworkPolicyVersionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ClusterNetworkPolicyVersionTest, EveryField) {
  auto object = Decode(Manifest(GetParam(), "ClusterNetworkPolicy", R"({
      "tier": "Baseline", "priority": 1000,
      "subject": {"pods": {"podSelector": {"matchLabels": {"app": "db"}}}},
      "ingress": [{"name": "in", "action": "Accept",
                   "from": [{"pods": {"podSelector": {}}}],
                   "protocols": [{"tcp": {"destinationPort": {"number": 5432}}},
                                 {"udp": {"destinationPort": {"range": {"start": 100, "end": 200}}}},
                                 {"sctp": {}},
                                 {"tcp": {}},
                                 {"destinationNamedPort": "pg"}]}],
      "egress": [{"action": "Pass", "to": [{"namespaces": {}}]},
                 {"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}],
                  "protocols": [{"udp": {"destinationPort": {"number": 53}}}]}]
    })"));
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  EXPECT_EQ(object->metadata.namespace_name, "");
  const ClusterPolicySpec* spec = object->cluster_policy();
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->kind, ClusterPolicyKind::kClusterNetworkPolicy);
  EXPECT_EQ(spec->tier, ClusterPolicyTier::kBaseline);
  EXPECT_EQ(spec->priority, 1000);
  ASSERT_TRUE(spec->subject.pods.has_value());
  // v1alpha2 lets namespaceSelector out: every namespace.
  EXPECT_TRUE(spec->subject.pods->namespace_selector.Empty());
  EXPECT_EQ(spec->subject.pods->pod_selector.match_labels.at("app"), "db");

  ASSERT_EQ(spec->ingress.size(), 1u);
  EXPECT_EQ(spec->ingress[0].name, "in");
  EXPECT_EQ(spec->ingress[0].action, ClusterRuleAction::kAllow);
  EXPECT_EQ(spec->ingress[0].peers[0].kind, ClusterPeerKind::kPods);
  ASSERT_TRUE(spec->ingress[0].ports.has_value());
  const auto& ports = *spec->ingress[0].ports;
  ASSERT_EQ(ports.size(), 5u);
  EXPECT_EQ(ports[0].protocol, Protocol::kTCP);
  EXPECT_EQ(ports[0].first, 5432);
  EXPECT_EQ(ports[0].last, 5432);
  EXPECT_EQ(ports[1].protocol, Protocol::kUDP);
  EXPECT_EQ(ports[1].first, 100);
  EXPECT_EQ(ports[1].last, 200);
  // A protocol without destinationPort: every port of it.
  EXPECT_EQ(ports[2].protocol, Protocol::kSCTP);
  EXPECT_EQ(ports[2].first, 1);
  EXPECT_EQ(ports[2].last, 65535);
  EXPECT_EQ(ports[3].protocol, Protocol::kTCP);
  EXPECT_EQ(ports[3].first, 1);
  EXPECT_EQ(ports[3].last, 65535);
  EXPECT_EQ(ports[4].named_port, "pg");

  ASSERT_EQ(spec->egress.size(), 2u);
  EXPECT_EQ(spec->egress[0].action, ClusterRuleAction::kPass);
  EXPECT_FALSE(spec->egress[0].ports.has_value());
  EXPECT_EQ(spec->egress[1].action, ClusterRuleAction::kDeny);
  EXPECT_EQ(spec->egress[1].peers[0].kind, ClusterPeerKind::kNetworks);
  ASSERT_TRUE(spec->egress[1].ports.has_value());
  EXPECT_EQ((*spec->egress[1].ports)[0].protocol, Protocol::kUDP);
  EXPECT_EQ((*spec->egress[1].ports)[0].first, 53);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, ClusterNetworkPolicyVersionTest,
    ::testing::Values("policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"),
    [](const ::testing::TestParamInfo<const char*>& case_info) {
      return std::string(case_info.param).substr(std::string("policy.networking.k8s.io/").size());
    });

TEST(ClusterPolicyDecodeTest, ClusterNetworkPolicyAdminTier) {
  auto object = Decode(Cnp(R"({"tier": "Admin", "priority": 0, "subject": {"namespaces": {}}})"));
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  EXPECT_EQ(object->cluster_policy()->tier, ClusterPolicyTier::kAdmin);
  EXPECT_EQ(object->cluster_policy()->priority, 0);
  EXPECT_TRUE(object->cluster_policy()->ingress.empty());
  EXPECT_TRUE(object->cluster_policy()->egress.empty());
}

// A peer with none of the fields netadmit knows comes from a newer API: it decodes, as kUnknown,
// and the engine fails closed on it.
TEST(ClusterPolicyDecodeTest, PeerWithoutAKnownFieldIsUnknown) {
  auto object = Decode(Anp(R"({"priority": 1, "subject": {"namespaces": {}},
      "ingress": [{"action": "Deny", "from": [{}, {"networks": ["10.0.0.0/8"]}]}],
      "egress": [{"action": "Allow", "to": [{"services": {"name": "x"}}]}]})"));
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  const ClusterPolicySpec* spec = object->cluster_policy();
  ASSERT_EQ(spec->ingress[0].peers.size(), 2u);
  EXPECT_EQ(spec->ingress[0].peers[0].kind, ClusterPeerKind::kUnknown);
  // An ingress peer has no `networks` in any version: unknown there.
  EXPECT_EQ(spec->ingress[0].peers[1].kind, ClusterPeerKind::kUnknown);
  EXPECT_TRUE(spec->ingress[0].peers[1].networks.empty());
  ASSERT_EQ(spec->egress[0].peers.size(), 1u);
  EXPECT_EQ(spec->egress[0].peers[0].kind, ClusterPeerKind::kUnknown);

  // The BaselineAdminNetworkPolicy has no domainNames.
  auto baseline = Decode(Banp(R"({"subject": {"namespaces": {}},
      "egress": [{"action": "Deny", "to": [{"domainNames": ["example.com"]}]}]})"));
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  EXPECT_EQ(baseline->cluster_policy()->egress[0].peers[0].kind, ClusterPeerKind::kUnknown);
}

TEST(ClusterPolicyDecodeTest, OtherVersionsKeepOnlyTypeAndMetadata) {
  for (const auto& [api_version, kind] : std::vector<std::pair<std::string, std::string>>{
           {"policy.networking.k8s.io/v9", "AdminNetworkPolicy"},
           {"policy.networking.k8s.io/v1alpha2", "AdminNetworkPolicy"},
           {kV1alpha1, "ClusterNetworkPolicy"},
           {"policy.networking.k8s.io/v1", "BaselineAdminNetworkPolicy"}}) {
    SCOPED_TRACE(api_version + " " + kind);
    // The spec would not decode as any known version's.
    auto object = Decode(R"({"apiVersion": ")" + api_version + R"(", "kind": ")" + kind +
                         R"(", "metadata": {"name": "x", "namespace": "n"},
                              "spec": {"priority": "high", "subject": 1}})");
    ASSERT_TRUE(object.ok()) << object.error().ToString();
    EXPECT_EQ(object->api_version, api_version);
    EXPECT_EQ(object->kind, kind);
    EXPECT_EQ(object->metadata.name, "x");
    // Still cluster-scoped: these kinds are in every version.
    EXPECT_EQ(object->metadata.namespace_name, "");
    EXPECT_EQ(object->cluster_policy(), nullptr);
  }
}

TEST(ClusterPolicyDecodeTest, OfTypeDecodesListItems) {
  rapidjson::Document item;
  item.Parse(R"({"metadata": {"name": "b"}, "spec": {"tier": "Admin", "priority": 3,
                 "subject": {"namespaces": {}}}})");
  auto object = DecodeObjectOfType(
      item, TypeMeta{"policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy"}, "default");
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  ASSERT_NE(object->cluster_policy(), nullptr);
  EXPECT_EQ(object->cluster_policy()->priority, 3);
  EXPECT_EQ(object->metadata.namespace_name, "");
}

struct ErrorCase {
  std::string name;
  std::string json;
  std::string path;
  std::string message;
};

class ClusterPolicyErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ClusterPolicyErrorTest, NamesTheField) {
  auto object = Decode(GetParam().json);
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().path, GetParam().path);
  EXPECT_EQ(object.error().message, GetParam().message);
}

// A valid subject and rule skeletons, to put one wrong field in.
constexpr const char* kSubject = R"("subject": {"namespaces": {}})";

std::string AnpWith(const std::string& rest) {
  return Anp(std::string(R"({"priority": 5, )") + kSubject + ", " + rest + "}");
}
std::string CnpWith(const std::string& rest) {
  return Cnp(std::string(R"({"tier": "Admin", "priority": 5, )") + kSubject + ", " + rest + "}");
}
std::string AnpIngressPorts(const std::string& ports) {
  return AnpWith(R"("ingress": [{"action": "Allow", "from": [{"namespaces": {}}], "ports": )" +
                 ports + "}]");
}
std::string CnpIngressProtocols(const std::string& protocols) {
  return CnpWith(R"("ingress": [{"action": "Accept", "from": [{"namespaces": {}}], "protocols": )" +
                 protocols + "}]");
}
std::string AnpEgressTo(const std::string& to) {
  return AnpWith(R"("egress": [{"action": "Deny", "to": )" + to + "}]");
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ClusterPolicyErrorTest,
    ::testing::Values(
        // The spec and its scalars.
        ErrorCase{"NoSpec",
                  R"({"apiVersion": "policy.networking.k8s.io/v1alpha1",
                      "kind": "AdminNetworkPolicy", "metadata": {"name": "a"}})",
                  "spec", "missing"},
        ErrorCase{"SpecNotAnObject", Anp("[]"), "spec", "expected an object"},
        ErrorCase{"NoPriority", Anp(std::string("{") + kSubject + "}"), "spec.priority",
                  "missing (expected a number from 0 to 1000)"},
        ErrorCase{"PriorityTooHigh", Anp(std::string(R"({"priority": 1001, )") + kSubject + "}"),
                  "spec.priority", "expected a number from 0 to 1000"},
        ErrorCase{"NegativePriority", Anp(std::string(R"({"priority": -1, )") + kSubject + "}"),
                  "spec.priority", "expected a number from 0 to 1000"},
        ErrorCase{"PriorityNotANumber",
                  Cnp(std::string(R"({"tier": "Admin", "priority": "1", )") + kSubject + "}"),
                  "spec.priority", "expected a number from 0 to 1000"},
        ErrorCase{"CnpWithoutPriority", Cnp(std::string(R"({"tier": "Admin", )") + kSubject + "}"),
                  "spec.priority", "missing (expected a number from 0 to 1000)"},
        ErrorCase{"NoTier", Cnp(std::string(R"({"priority": 1, )") + kSubject + "}"), "spec.tier",
                  "missing (expected Admin or Baseline)"},
        ErrorCase{"UnknownTier",
                  Cnp(std::string(R"({"tier": "admin", "priority": 1, )") + kSubject + "}"),
                  "spec.tier", "unknown tier \"admin\" (expected Admin or Baseline)"},
        ErrorCase{"TierNotAString",
                  Cnp(std::string(R"({"tier": 1, "priority": 1, )") + kSubject + "}"), "spec.tier",
                  "expected a string"},
        // The subject.
        ErrorCase{"NoSubject", Anp(R"({"priority": 1})"), "spec.subject",
                  "missing (expected namespaces or pods)"},
        ErrorCase{"EmptySubject", Anp(R"({"priority": 1, "subject": {}})"), "spec.subject",
                  "expected exactly one of namespaces or pods"},
        ErrorCase{"SubjectWithBoth", Anp(R"({"priority": 1, "subject": {"namespaces": {},
                          "pods": {"namespaceSelector": {}, "podSelector": {}}}})"),
                  "spec.subject",
                  "sets both namespaces and pods (expected exactly one of namespaces or pods)"},
        ErrorCase{"SubjectPodsWithoutPodSelector", Cnp(R"({"tier": "Admin", "priority": 1,
                          "subject": {"pods": {"namespaceSelector": {}}}})"),
                  "spec.subject.pods.podSelector",
                  "missing (an empty selector {} selects everything)"},
        ErrorCase{"V1alpha1PodsWithoutNamespaceSelector",
                  Anp(R"({"priority": 1, "subject": {"pods": {"podSelector": {}}}})"),
                  "spec.subject.pods.namespaceSelector",
                  "missing (an empty selector {} selects everything)"},
        ErrorCase{"SubjectSelectorOperator",
                  Anp(R"({"priority": 1, "subject": {"namespaces": {"matchExpressions":
                          [{"key": "a", "operator": "Has"}]}}})"),
                  "spec.subject.namespaces.matchExpressions[0].operator",
                  "unknown operator \"Has\" (expected In, NotIn, Exists or DoesNotExist)"},
        // Rules.
        ErrorCase{"IngressNotAList", AnpWith(R"("ingress": {})"), "spec.ingress",
                  "expected a list"},
        ErrorCase{"RuleNotAnObject", AnpWith(R"("egress": ["Deny"])"), "spec.egress[0]",
                  "expected an object"},
        ErrorCase{
            "RuleNameNotAString",
            AnpWith(R"("ingress": [{"name": 7, "action": "Allow", "from": [{"namespaces": {}}]}])"),
            "spec.ingress[0].name", "expected a string"},
        ErrorCase{"NoAction", AnpWith(R"("ingress": [{"from": [{"namespaces": {}}]}])"),
                  "spec.ingress[0].action", "missing (expected Allow, Deny or Pass)"},
        ErrorCase{"AnpAccept",
                  AnpWith(R"("ingress": [{"action": "Accept", "from": [{"namespaces": {}}]}])"),
                  "spec.ingress[0].action",
                  "unknown action \"Accept\" (expected Allow, Deny or Pass)"},
        ErrorCase{"BanpPass",
                  Banp(std::string("{") + kSubject +
                       R"(, "egress": [{"action": "Allow", "to": [{"namespaces": {}}]},
                                       {"action": "Pass", "to": [{"namespaces": {}}]}]})"),
                  "spec.egress[1].action", "unknown action \"Pass\" (expected Allow or Deny)"},
        ErrorCase{
            "CnpAllow", CnpWith(R"("egress": [{"action": "Allow", "to": [{"namespaces": {}}]}])"),
            "spec.egress[0].action", "unknown action \"Allow\" (expected Accept, Deny or Pass)"},
        ErrorCase{"NoFrom", AnpWith(R"("ingress": [{"action": "Allow"}])"), "spec.ingress[0].from",
                  "missing (a rule needs at least one peer)"},
        ErrorCase{"EmptyTo", AnpEgressTo("[]"), "spec.egress[0].to", "expected at least one peer"},
        // Peers.
        ErrorCase{
            "PeerWithTwoFields",
            AnpEgressTo(R"([{"namespaces": {}}, {"namespaces": {}, "networks": ["1.2.3.4/32"]}])"),
            "spec.egress[0].to[1]",
            "sets both namespaces and networks (expected exactly one of namespaces, pods, "
            "networks, nodes or domainNames)"},
        ErrorCase{"PeerNotAnObject", AnpEgressTo(R"(["all"])"), "spec.egress[0].to[0]",
                  "expected an object"},
        ErrorCase{"PeerSelectorNotAnObject", AnpEgressTo(R"([{"nodes": "all"}])"),
                  "spec.egress[0].to[0].nodes", "expected a label selector object"},
        ErrorCase{"BadCidr", AnpWith(R"("egress": [{"action": "Deny", "to": [{"namespaces": {}}]},
                                        {"action": "Deny", "to": [{"networks":
                                         ["10.0.0.0/8", "::/0", "10.0.0.0/33"]}]}])"),
                  "spec.egress[1].to[0].networks[2]",
                  "invalid CIDR \"10.0.0.0/33\": prefix length must be a number from 0 to 32"},
        ErrorCase{"CidrWithoutPrefix", AnpEgressTo(R"([{"networks": ["10.0.0.1"]}])"),
                  "spec.egress[0].to[0].networks[0]",
                  "invalid CIDR \"10.0.0.1\": missing /prefix-length"},
        ErrorCase{"NoNetworks", AnpEgressTo(R"([{"networks": []}])"),
                  "spec.egress[0].to[0].networks", "expected at least one item"},
        ErrorCase{"NetworkNotAString", AnpEgressTo(R"([{"networks": [10]}])"),
                  "spec.egress[0].to[0].networks[0]", "expected a string"},
        ErrorCase{"BadDomainName", AnpEgressTo(R"([{"domainNames": ["example.com", "a.*.b"]}])"),
                  "spec.egress[0].to[0].domainNames[1]", "\"a.*.b\" is not a domain name"},
        ErrorCase{"SingleLabelDomainName", AnpEgressTo(R"([{"domainNames": ["localhost"]}])"),
                  "spec.egress[0].to[0].domainNames[0]", "\"localhost\" is not a domain name"},
        ErrorCase{"PodsPeerWithoutPodSelector",
                  AnpEgressTo(R"([{"pods": {"namespaceSelector": {}}}])"),
                  "spec.egress[0].to[0].pods.podSelector",
                  "missing (an empty selector {} selects everything)"},
        // v1alpha1 ports.
        ErrorCase{"NoPorts", AnpIngressPorts("[]"), "spec.ingress[0].ports",
                  "expected at least one item (leave the field out for every port)"},
        ErrorCase{"EmptyPort", AnpIngressPorts("[{}]"), "spec.ingress[0].ports[0]",
                  "expected exactly one of portNumber, portRange or namedPort"},
        ErrorCase{"PortWithTwoFields",
                  AnpIngressPorts(R"([{"portNumber": {"port": 80}, "namedPort": "http"}])"),
                  "spec.ingress[0].ports[0]",
                  "sets both portNumber and namedPort (expected exactly one of portNumber, "
                  "portRange or namedPort)"},
        ErrorCase{"PortZero", AnpIngressPorts(R"([{"portNumber": {"port": 0}}])"),
                  "spec.ingress[0].ports[0].portNumber.port", "expected a number from 1 to 65535"},
        ErrorCase{
            "PortTooHigh",
            AnpIngressPorts(R"([{"portNumber": {"port": 80}}, {"portNumber": {"port": 65536}}])"),
            "spec.ingress[0].ports[1].portNumber.port", "expected a number from 1 to 65535"},
        ErrorCase{"PortNumberWithoutPort",
                  AnpIngressPorts(R"([{"portNumber": {"protocol": "UDP"}}])"),
                  "spec.ingress[0].ports[0].portNumber.port",
                  "missing (expected a number from 1 to 65535)"},
        ErrorCase{"UnknownProtocol",
                  AnpIngressPorts(R"([{"portNumber": {"protocol": "ICMP", "port": 1}}])"),
                  "spec.ingress[0].ports[0].portNumber.protocol",
                  "unknown protocol \"ICMP\" (expected TCP, UDP or SCTP)"},
        ErrorCase{"RangeBackwards", AnpIngressPorts(R"([{"portRange": {"start": 90, "end": 80}}])"),
                  "spec.ingress[0].ports[0].portRange", "start (90) must be less than end (80)"},
        ErrorCase{"RangeOfOne", AnpIngressPorts(R"([{"portRange": {"start": 80, "end": 80}}])"),
                  "spec.ingress[0].ports[0].portRange", "start (80) must be less than end (80)"},
        ErrorCase{"RangeWithoutEnd", AnpIngressPorts(R"([{"portRange": {"start": 80}}])"),
                  "spec.ingress[0].ports[0].portRange.end",
                  "missing (expected a number from 1 to 65535)"},
        ErrorCase{"EmptyNamedPort", AnpIngressPorts(R"([{"namedPort": ""}])"),
                  "spec.ingress[0].ports[0].namedPort", "must not be empty"},
        ErrorCase{"PortNumberNotAnObject", AnpIngressPorts(R"([{"portNumber": 80}])"),
                  "spec.ingress[0].ports[0].portNumber", "expected an object"},
        ErrorCase{"ProtocolsInAnp",
                  AnpWith(R"("ingress": [{"action": "Allow", "from": [{"namespaces": {}}],
                                          "protocols": [{"tcp": {}}]}])"),
                  "spec.ingress[0].protocols",
                  "not a field of AdminNetworkPolicy (its ports are in `ports`)"},
        // v1alpha2 protocols.
        ErrorCase{"NoProtocols", CnpIngressProtocols("[]"), "spec.ingress[0].protocols",
                  "expected at least one item (leave the field out for every port)"},
        ErrorCase{"EmptyProtocol", CnpIngressProtocols("[{}]"), "spec.ingress[0].protocols[0]",
                  "expected exactly one of tcp, udp, sctp or destinationNamedPort"},
        ErrorCase{"TwoProtocols", CnpIngressProtocols(R"([{"tcp": {}, "udp": {}}])"),
                  "spec.ingress[0].protocols[0]",
                  "sets both tcp and udp (expected exactly one of tcp, udp, sctp or "
                  "destinationNamedPort)"},
        ErrorCase{"ProtocolNotAnObject", CnpIngressProtocols(R"([{"udp": 53}])"),
                  "spec.ingress[0].protocols[0].udp", "expected an object"},
        ErrorCase{"EmptyDestinationPort",
                  CnpIngressProtocols(R"([{"tcp": {"destinationPort": {}}}])"),
                  "spec.ingress[0].protocols[0].tcp.destinationPort",
                  "expected exactly one of number or range"},
        ErrorCase{"NumberAndRange",
                  CnpIngressProtocols(R"([{"tcp": {"destinationPort": {"number": 1,
                                          "range": {"start": 1, "end": 2}}}}])"),
                  "spec.ingress[0].protocols[0].tcp.destinationPort",
                  "sets both number and range (expected exactly one of number or range)"},
        ErrorCase{"NumberZero",
                  CnpIngressProtocols(R"([{"sctp": {"destinationPort": {"number": 0}}}])"),
                  "spec.ingress[0].protocols[0].sctp.destinationPort.number",
                  "expected a number from 1 to 65535"},
        ErrorCase{"ProtocolRangeBackwards",
                  CnpIngressProtocols(R"([{"tcp": {}}, {"udp": {"destinationPort":
                                          {"range": {"start": 9, "end": 8}}}}])"),
                  "spec.ingress[0].protocols[1].udp.destinationPort.range",
                  "start (9) must be less than end (8)"},
        ErrorCase{"ProtocolRangeWithoutStart",
                  CnpIngressProtocols(R"([{"udp": {"destinationPort": {"range": {"end": 8}}}}])"),
                  "spec.ingress[0].protocols[0].udp.destinationPort.range.start",
                  "missing (expected a number from 1 to 65535)"},
        ErrorCase{"EmptyDestinationNamedPort",
                  CnpIngressProtocols(R"([{"destinationNamedPort": ""}])"),
                  "spec.ingress[0].protocols[0].destinationNamedPort", "must not be empty"},
        ErrorCase{"PortsInCnp", CnpWith(R"("egress": [{"action": "Deny", "to": [{"namespaces": {}}],
                                         "ports": [{"portNumber": {"port": 80}}]}])"),
                  "spec.egress[0].ports",
                  "not a field of ClusterNetworkPolicy (its ports are in `protocols`)"}),
    [](const ::testing::TestParamInfo<ErrorCase>& case_info) { return case_info.param.name; });

// Manifests of the three kinds, as `netadmit check` reads them: each object keeps its file and
// line, and decodes.
TEST(ClusterPolicyDecodeTest, YamlManifestsDecodeWithFileAndLine) {
  const std::string text = R"(apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: cluster-control
spec:
  priority: 20
  subject:
    namespaces: {}
  ingress:
  - name: allow-monitoring
    action: Allow
    from:
    - namespaces:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
    ports:
    - portNumber: {protocol: TCP, port: 9090}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  ingress:
  - action: Deny
    from:
    - namespaces: {}
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: dns
  namespace: kube-system
spec:
  tier: Admin
  priority: 5
  subject:
    pods:
      podSelector: {}
  egress:
  - action: Accept
    to:
    - pods:
        namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
        podSelector: {matchLabels: {k8s-app: kube-dns}}
    protocols:
    - udp: {destinationPort: {number: 53}}
    - tcp: {destinationPort: {range: {start: 53, end: 54}}}
)";
  auto manifests = ParseManifests("policies.yaml", text);
  ASSERT_TRUE(manifests.ok()) << manifests.error().ToString();
  ASSERT_EQ(manifests->size(), 3u);
  const std::vector<int> lines = {1, 19, 31};
  const std::vector<ClusterPolicyKind> kinds = {ClusterPolicyKind::kAdminNetworkPolicy,
                                                ClusterPolicyKind::kBaselineAdminNetworkPolicy,
                                                ClusterPolicyKind::kClusterNetworkPolicy};
  for (std::size_t i = 0; i < manifests->size(); ++i) {
    const ManifestObject& manifest = (*manifests)[i];
    EXPECT_EQ(manifest.file, "policies.yaml");
    EXPECT_EQ(manifest.line, lines[i]);
    auto object = DecodeObject(*manifest.object, "default");
    ASSERT_TRUE(object.ok()) << object.error().ToString();
    ASSERT_NE(object->cluster_policy(), nullptr);
    EXPECT_EQ(object->cluster_policy()->kind, kinds[i]);
    EXPECT_EQ(object->metadata.namespace_name, "");
  }
  auto anp = DecodeObject(*(*manifests)[0].object, "default");
  const auto& port = (*anp->cluster_policy()->ingress[0].ports)[0];
  EXPECT_EQ(port.first, 9090);  // YAML's 9090 is a number, as Kubernetes reads it
  auto cnp = DecodeObject(*(*manifests)[2].object, "default");
  const auto& egress = cnp->cluster_policy()->egress[0];
  EXPECT_EQ(egress.peers[0].pod_selector.match_labels.at("k8s-app"), "kube-dns");
  ASSERT_EQ(egress.ports->size(), 2u);
  EXPECT_EQ((*egress.ports)[0].protocol, Protocol::kUDP);
  EXPECT_EQ((*egress.ports)[1].last, 54);
}

}  // namespace
}  // namespace netadmit
