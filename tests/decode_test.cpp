#include "netadmit/codec/decode.h"

#include <gtest/gtest.h>

namespace netadmit {
namespace {

Result<Object> Decode(const char* json, const char* default_namespace = "default") {
  rapidjson::Document document;
  document.Parse(json);
  EXPECT_FALSE(document.HasParseError()) << json;
  return DecodeObject(document, default_namespace);
}

TEST(DecodeTest, NetworkPolicyFields) {
  auto object = Decode(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "a"}},
    "spec": {
      "podSelector": {"matchLabels": {"app": "web"},
                      "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
      "policyTypes": ["Ingress", "Egress"],
      "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}}],
                   "ports": [{"port": "http"}, {"protocol": "UDP", "port": 53, "endPort": 60}]}],
      "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}, {}]
    }})");
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  EXPECT_EQ(object->Describe(), "NetworkPolicy shop/web");
  EXPECT_EQ(object->metadata.labels.at("team"), "a");
  const NetworkPolicySpec* spec = object->network_policy();
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->pod_selector.match_labels.at("app"), "web");
  ASSERT_EQ(spec->pod_selector.match_expressions.size(), 1u);
  EXPECT_EQ(spec->pod_selector.match_expressions[0].op, SelectorOperator::kNotIn);
  ASSERT_TRUE(spec->policy_types.has_value());
  EXPECT_EQ(spec->policy_types->size(), 2u);
  ASSERT_EQ(spec->ingress.size(), 1u);
  const auto& ingress = spec->ingress[0];
  ASSERT_EQ(ingress.peers.size(), 1u);
  EXPECT_TRUE(ingress.peers[0].namespace_selector->Empty());
  EXPECT_FALSE(ingress.peers[0].pod_selector->Empty());
  EXPECT_FALSE(ingress.peers[0].ip_block.has_value());
  ASSERT_EQ(ingress.ports.size(), 2u);
  EXPECT_EQ(ingress.ports[0].named_port, "http");
  EXPECT_EQ(ingress.ports[0].protocol, Protocol::kTCP);
  EXPECT_EQ(ingress.ports[1].port, 53);
  EXPECT_EQ(ingress.ports[1].end_port, 60);
  EXPECT_EQ(ingress.ports[1].protocol, Protocol::kUDP);
  ASSERT_EQ(spec->egress.size(), 2u);
  EXPECT_EQ(spec->egress[0].peers[0].ip_block->cidr, "10.0.0.0/8");
  EXPECT_EQ(spec->egress[0].peers[0].ip_block->except, std::vector<std::string>{"10.1.0.0/16"});
  EXPECT_TRUE(spec->egress[1].peers.empty());
  EXPECT_TRUE(spec->egress[1].ports.empty());
}

TEST(DecodeTest, PolicyTypesAbsentVersusEmpty) {
  auto absent = Decode(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
                           "metadata":{"name":"a"},"spec":{"podSelector":{}}})");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->network_policy()->policy_types.has_value());
  auto empty = Decode(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
                          "metadata":{"name":"a"},"spec":{"podSelector":{},"policyTypes":[]}})");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->network_policy()->policy_types.has_value());
  EXPECT_TRUE(empty->network_policy()->policy_types->empty());
}

TEST(DecodeTest, MissingNamespaceTakesTheDefault) {
  auto object = Decode(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})", "team-a");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->metadata.namespace_name, "team-a");
}

struct TemplateCase {
  const char* json;
  const char* metadata_path;
  const char* spec_path;
};

TEST(DecodeTest, PodTemplatesOfEveryController) {
  const std::vector<TemplateCase> cases = {
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"x"}},
           "spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":8080}]}]}})",
       "metadata", "spec"},
      {R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
           "spec":{"template":{"metadata":{"labels":{"app":"x"}},
           "spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":8080}]}]}}}})",
       "spec.template.metadata", "spec.template.spec"},
      {R"({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d"},
           "spec":{"template":{"metadata":{"labels":{"app":"x"}},
           "spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":8080}]}]}}}})",
       "spec.template.metadata", "spec.template.spec"},
      {R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},
           "spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"app":"x"}},
           "spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":8080}]}]}}}}}})",
       "spec.jobTemplate.spec.template.metadata", "spec.jobTemplate.spec.template.spec"},
  };
  for (const auto& c : cases) {
    auto object = Decode(c.json);
    ASSERT_TRUE(object.ok()) << object.error().ToString();
    const PodTemplate* pod = object->pod_template();
    ASSERT_NE(pod, nullptr) << c.json;
    EXPECT_EQ(pod->metadata_path, c.metadata_path);
    EXPECT_EQ(pod->spec_path, c.spec_path);
    EXPECT_EQ(pod->labels.at("app"), "x");
    EXPECT_TRUE(pod->host_network);
    ASSERT_EQ(pod->containers.size(), 1u);
    EXPECT_EQ(pod->containers[0].ports[0].host_port, 8080);
  }
}

TEST(DecodeTest, OtherKindsKeepOnlyMetadata) {
  auto object =
      Decode(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":5}})");
  ASSERT_TRUE(object.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(object->content));
}

struct ErrorCase {
  const char* json;
  const char* error;
};

TEST(DecodeTest, WrongTypesNameTheField) {
  const std::vector<ErrorCase> cases = {
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"egress":{}}})",
       "spec.egress: expected a list"},
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"egress":[{"to":[{"ipBlock":{"cidr":7}}]}]}})",
       "spec.egress[0].to[0].ipBlock.cidr: expected a string"},
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"ingress":[{"ports":[{"port":true}]}]}})",
       "spec.ingress[0].ports[0].port: expected a port number or a port name"},
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"ingress":[{"ports":[{"protocol":"ICMP"}]}]}})",
       "spec.ingress[0].ports[0].protocol: unknown protocol \"ICMP\" (expected TCP, UDP or SCTP)"},
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"Is"}]}}})",
       "spec.podSelector.matchExpressions[0].operator: unknown operator \"Is\" (expected In, "
       "NotIn, Exists or DoesNotExist)"},
      {R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"policyTypes":["ingress"]}})",
       "spec.policyTypes[0]: unknown policy type \"ingress\" (expected Ingress or Egress)"},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"v":1}}})",
       "metadata.labels.v: expected a string"},
      {R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"hostNetwork":"yes"}}}})",
       "spec.template.spec.hostNetwork: expected true or false"},
      {R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"ports":[{"hostPort":1e3}]}]}}}})",
       "spec.template.spec.containers[0].ports[0].hostPort: expected a 32-bit integer"},
      {R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":[]}})",
       "spec.template: expected an object"},
      {R"([1,2])", "expected an object"},
  };
  for (const auto& c : cases) {
    auto object = Decode(c.json);
    ASSERT_FALSE(object.ok()) << c.json;
    EXPECT_EQ(object.error().ToString(), c.error);
  }
}

// kubectl apply records the manifest as written; the API server has defaulted the object.
TEST(DecodeTest, LastAppliedConfigurationOfANetworkPolicy) {
  auto object = Decode(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {
      "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"podSelector\":{},\"egress\":[{\"ports\":[{\"port\":53}]}]}}\n"}},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
             "egress": [{"ports": [{"protocol": "TCP", "port": 53}]}]}})");
  ASSERT_TRUE(object.ok()) << object.error().ToString();
  const std::optional<Object> applied = DecodeLastApplied(*object);
  ASSERT_TRUE(applied.has_value());
  ASSERT_NE(applied->network_policy(), nullptr);
  EXPECT_FALSE(applied->network_policy()->policy_types.has_value());
  ASSERT_EQ(applied->network_policy()->egress.size(), 1u);
  EXPECT_TRUE(object->network_policy()->policy_types.has_value());
}

TEST(DecodeTest, LastAppliedConfigurationIsKeptForNetworkPoliciesOnly) {
  auto pod = Decode(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p",
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}, "spec": {}})");
  ASSERT_TRUE(pod.ok());
  EXPECT_TRUE(pod->metadata.last_applied_configuration.empty());
  EXPECT_FALSE(DecodeLastApplied(*pod).has_value());
  // An annotation that is not a string is no record of what was written, and no error either.
  auto policy = Decode(R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "p", "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
    {"kind": "NetworkPolicy"}}}, "spec": {}})");
  ASSERT_TRUE(policy.ok());
  EXPECT_FALSE(DecodeLastApplied(*policy).has_value());
}

}  // namespace
}  // namespace netadmit
