#include <gtest/gtest.h>

#include "../policy-rules/kinds/flows.h"
#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::DecodeYaml;
using testing::MustCompile;
using testing::RunCheck;

constexpr char kParams[] = R"({
  forbid: [{from: {namespaceSelector: {matchLabels: {env: dev}}},
            to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: ["5432/TCP"]}],
  require: [{from: {}, to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                            podSelector: {matchLabels: {k8s-app: kube-dns}}},
             ports: ["53/UDP"]}]})";

ClusterObject Namespace(const std::string& name, Labels labels) {
  labels.emplace("kubernetes.io/metadata.name", name);
  return ClusterObject{ClusterKind::kNamespace, "1", CachedNamespace{name, std::move(labels)}};
}

ClusterObject PodObject(const std::string& ns, const std::string& name, Labels labels) {
  return ClusterObject{ClusterKind::kPod, "1", CachedPod{ns, name, std::move(labels), {}, {}}};
}

ClusterObject PolicyObject(const std::string& ns, const std::string& name,
                           const std::string& spec) {
  const Object decoded = testing::Policy(spec, ns);
  return ClusterObject{ClusterKind::kNetworkPolicy, "1",
                       CachedPolicy{ns, name, {}, *decoded.network_policy()}};
}

Object NamedPolicy(const std::string& ns, const std::string& name, const std::string& spec) {
  return DecodeYaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " +
                    name + ", namespace: " + ns + "}\nspec: " + spec + "\n");
}

// dev (app) and prod (db) namespaces and kube-dns; prod's db accepts nothing but its own
// namespace, so dev does not reach it.
class FlowsKindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ClusterObject> namespaces;
    namespaces.push_back(Namespace("dev", {{"env", "dev"}}));
    namespaces.push_back(Namespace("prod", {{"env", "prod"}}));
    namespaces.push_back(Namespace("kube-system", {}));
    std::vector<ClusterObject> pods;
    pods.push_back(PodObject("dev", "app", {{"app", "app"}}));
    pods.push_back(PodObject("prod", "db", {{"app", "db"}}));
    pods.push_back(PodObject("kube-system", "coredns", {{"k8s-app", "kube-dns"}}));
    std::vector<ClusterObject> policies;
    policies.push_back(PolicyObject("prod", "db-own-namespace", kOwnNamespace));
    cluster_.Replace(ClusterKind::kNamespace, std::move(namespaces));
    cluster_.Replace(ClusterKind::kPod, std::move(pods));
    cluster_.Replace(ClusterKind::kNetworkPolicy, std::move(policies));
    cluster_.Replace(ClusterKind::kConfigMap, {});
    check_ = MustCompile(FlowsKind(), kParams);
  }

  std::vector<Violation> Judge(Operation operation, const Object& object,
                               const Object* old_object = nullptr) {
    CheckContext context;
    context.operation = operation;
    context.cluster = &cluster_;
    context.old_object = old_object;
    return RunCheck(check_.get(), object, context);
  }

  static constexpr char kOwnNamespace[] =
      "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {}}]}]}";
  ClusterCache cluster_;
  std::unique_ptr<const RuleCheck> check_;
};

TEST_F(FlowsKindTest, PolicyThatOpensAForbiddenFlowIsRefused) {
  const Object open =
      NamedPolicy("prod", "db-from-dev",
                  "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: "
                  "{matchLabels: {env: dev}}}]}]}");
  const auto violations = Judge(Operation::kCreate, open);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].path, "spec");
  EXPECT_EQ(violations[0].problem,
            "this change opens a flow forbidden by spec.rules[0].params.forbid[0]");
  EXPECT_EQ(violations[0].detail,
            "dev/app -> prod/db on 5432/TCP, opened by NetworkPolicy prod/db-from-dev "
            "spec.ingress[0].from[0]");
}

TEST_F(FlowsKindTest, PolicyThatKeepsFlowsAsTheyAreIsAllowed) {
  const Object narrow =
      NamedPolicy("prod", "db-from-prod",
                  "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: "
                  "{matchLabels: {env: prod}}}]}]}");
  EXPECT_TRUE(Judge(Operation::kCreate, narrow).empty());
}

TEST_F(FlowsKindTest, DeletingTheIsolatingPolicyOpensTheForbiddenFlow) {
  const Object own = NamedPolicy("prod", "db-own-namespace", kOwnNamespace);
  const auto violations = Judge(Operation::kDelete, own);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].detail,
            "dev/app -> prod/db on 5432/TCP, no NetworkPolicy isolates prod/db for ingress");
}

TEST_F(FlowsKindTest, EgressDefaultDenyClosesTheRequiredDnsFlow) {
  const Object deny =
      NamedPolicy("dev", "default-deny", "{podSelector: {}, policyTypes: [Egress]}");
  const auto violations = Judge(Operation::kCreate, deny);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].problem,
            "this change closes a flow required by spec.rules[0].params.require[0]");
  // With DNS allowed in the same policy, nothing is closed.
  const Object with_dns = NamedPolicy(
      "dev", "default-deny",
      "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}]}]}");
  EXPECT_TRUE(Judge(Operation::kCreate, with_dns).empty());
}

TEST_F(FlowsKindTest, FlowsBrokenBeforeTheChangeAreNotBlamedOnIt) {
  // dev already reaches prod's db through a second policy; an unrelated change passes.
  cluster_.Apply(EventType::kAdded,
                 PolicyObject("prod", "db-from-dev",
                              "{podSelector: {matchLabels: {app: db}}, ingress: [{from: "
                              "[{namespaceSelector: {matchLabels: {env: dev}}}]}]}"));
  const Object unrelated =
      NamedPolicy("dev", "app-ingress", "{podSelector: {matchLabels: {app: app}}}");
  EXPECT_TRUE(Judge(Operation::kCreate, unrelated).empty());
}

TEST_F(FlowsKindTest, NewPodJoiningAForbiddenFlowIsRefused) {
  // A pod labeled env=... in prod that no policy isolates: dev reaches it on 5432.
  const Object pod = DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: cache, namespace: prod, labels: {app: cache}}\n"
      "spec: {containers: [{name: cache}]}\n");
  const auto violations = Judge(Operation::kCreate, pod);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].path, "metadata.labels");
  EXPECT_EQ(violations[0].detail,
            "dev/app -> prod/cache on 5432/TCP, no NetworkPolicy isolates prod/cache for ingress");
}

TEST(FlowsKindParamsTest, ErrorsKeepTheirPosition) {
  const Error error = testing::CompileError(FlowsKind(), "{forbid: [{from: {}, to: {}}]}");
  EXPECT_EQ(error.file, "rules.yaml");
  EXPECT_EQ(error.path.rfind("spec.rules[0].params.forbid[0]", 0), 0u) << error.ToString();
  EXPECT_FALSE(testing::CompileKind(FlowsKind(), "{}").ok());
  EXPECT_FALSE(testing::CompileKind(FlowsKind(), "{forbid: [], other: 1}").ok());
}

}  // namespace
}  // namespace netadmit
