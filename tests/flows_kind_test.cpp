#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <random>
#include <set>

#include "../policy-rules/rules/kinds/flows.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/connectivity/flow_requirements.h"
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

// An AdminNetworkPolicy that denies dev's egress to prod decides before any NetworkPolicy: the
// policy that would open the flow opens nothing, and the deny is named when a flow is required.
TEST_F(FlowsKindTest, AdminTierDenyDecidesBeforeTheNetworkPolicies) {
  ClusterPolicySpec spec;
  spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
  spec.priority = 5;
  spec.subject.namespaces = LabelSelector{{{"env", "dev"}}, {}};
  ClusterPolicyPeer prod;
  prod.kind = ClusterPeerKind::kNamespaces;
  prod.namespace_selector = LabelSelector{{{"env", "prod"}}, {}};
  spec.egress.push_back({"no-prod", ClusterRuleAction::kDeny, {prod}, std::nullopt});
  std::vector<ClusterObject> admin;
  admin.push_back(ClusterObject{ClusterKind::kAdminNetworkPolicy, "1",
                                CachedClusterPolicy{"dev-not-prod", {}, spec}});
  cluster_.Replace(ClusterKind::kAdminNetworkPolicy, std::move(admin));
  const Object open =
      NamedPolicy("prod", "db-from-dev",
                  "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: "
                  "{matchLabels: {env: dev}}}]}]}");
  EXPECT_TRUE(Judge(Operation::kCreate, open).empty());
  // Without the deny, the same policy opens the forbidden flow.
  cluster_.Replace(ClusterKind::kAdminNetworkPolicy, {});
  EXPECT_EQ(Judge(Operation::kCreate, open).size(), 1u);
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

Object ClusterPolicy(const std::string& yaml) { return DecodeYaml(yaml); }

ClusterObject CachedClusterPolicyOf(const Object& object, ClusterKind kind) {
  return ClusterObject{kind, "1",
                       CachedClusterPolicy{object.metadata.name, {}, *object.cluster_policy()}};
}

constexpr char kAllowDevToProd[] = R"(apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: dev-to-prod}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {name: from-dev, action: Allow, from: [{namespaces: {matchLabels: {env: dev}}}]}
)";

TEST_F(FlowsKindTest, AdminAllowOpensAForbiddenFlowOverTheNamespacesPolicy) {
  // prod/db's own NetworkPolicy keeps dev out; an Admin Allow comes before it.
  const auto violations = Judge(Operation::kCreate, ClusterPolicy(kAllowDevToProd));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].path, "spec");
  EXPECT_EQ(violations[0].problem,
            "this change opens a flow forbidden by spec.rules[0].params.forbid[0]");
  EXPECT_NE(violations[0].detail.find("AdminNetworkPolicy dev-to-prod spec.ingress[0]"),
            std::string::npos)
      << violations[0].detail;
}

TEST_F(FlowsKindTest, AdminPassLeavesTheDecisionToTheNamespacesPolicy) {
  std::string pass = kAllowDevToProd;
  pass.replace(pass.find("action: Allow"), 13, "action: Pass");
  EXPECT_TRUE(Judge(Operation::kCreate, ClusterPolicy(pass)).empty());
}

TEST_F(FlowsKindTest, BaselineDenyClosesTheRequiredDnsFlowOfPodsNoPolicySelects) {
  const Object baseline = ClusterPolicy(R"(apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {env: dev}}}
  egress:
  - {action: Deny, to: [{namespaces: {}}]}
)");
  const auto violations = Judge(Operation::kCreate, baseline);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].problem,
            "this change closes a flow required by spec.rules[0].params.require[0]");
  EXPECT_NE(violations[0].detail.find("BaselineAdminNetworkPolicy default spec.egress[0]"),
            std::string::npos)
      << violations[0].detail;
  // A NetworkPolicy of dev's that allows its egress decides before the Baseline tier.
  cluster_.Apply(EventType::kAdded,
                 PolicyObject("dev", "egress", "{podSelector: {}, egress: [{}]}"));
  EXPECT_TRUE(Judge(Operation::kCreate, baseline).empty());
}

TEST_F(FlowsKindTest, DeletingAnAdminDenyOpensWhatItClosed) {
  const Object deny = ClusterPolicy(R"(apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: no-dev-to-prod}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}
)");
  // dev may reach prod's db once prod's own NetworkPolicy is gone, but the Admin deny holds.
  cluster_.Apply(EventType::kDeleted, PolicyObject("prod", "db-own-namespace", kOwnNamespace));
  cluster_.Apply(EventType::kAdded,
                 CachedClusterPolicyOf(deny, ClusterKind::kClusterNetworkPolicy));
  EXPECT_TRUE(Judge(Operation::kCreate, ClusterPolicy(kAllowDevToProd)).empty())
      << "the Admin deny of priority 5 comes before the Allow of priority 10";
  const auto violations = Judge(Operation::kDelete, deny);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].problem,
            "this change opens a flow forbidden by spec.rules[0].params.forbid[0]");
}

// The evaluator says how each entry is broken as a value, which the kind's wording follows; its
// own problem text is for people and plays no part.
TEST(FindBrokenFlowsTest, SaysWhichEntryIsBrokenAndHow) {
  auto flows = ParseFlows(YAML::Load(kParams), "rules.yaml", "spec.rules[0].params");
  ASSERT_TRUE(flows.ok()) << flows.error().ToString();
  // prod's pods may send nothing, not even to DNS, and accept anything: dev reaches prod/db.
  ClusterState state;
  state.namespaces = {{"dev", {{"env", "dev"}}}, {"prod", {{"env", "prod"}}}, {"kube-system", {}}};
  state.pods = {{"dev", "app", {{"app", "app"}}, {}, {}},
                {"prod", "db", {{"app", "db"}}, {}, {}},
                {"kube-system", "coredns", {{"k8s-app", "kube-dns"}}, {}, {}}};
  state.policies = {
      {"prod", "no-egress",
       *testing::Policy("{podSelector: {}, policyTypes: [Egress]}", "prod").network_policy()}};
  auto engine = Connectivity::Build(std::move(state));
  ASSERT_TRUE(engine.ok());
  const std::vector<BrokenFlow> broken = FindBrokenFlows(*engine, *flows);
  ASSERT_EQ(broken.size(), 2u);
  EXPECT_EQ(broken[0].entry, &flows->forbid[0]);
  EXPECT_EQ(broken[0].how, FlowBreak::kForbiddenOpen);
  EXPECT_EQ(broken[1].entry, &flows->require[0]);
  EXPECT_EQ(broken[1].how, FlowBreak::kRequiredClosed);
  EXPECT_EQ(broken[1].violation.detail,
            "prod/db -> kube-system/coredns on 53/UDP, egress closed by prod/no-egress (no egress "
            "rule allows it)");
  // EvaluateFlows gives the same, for people.
  const std::vector<Violation> violations = EvaluateFlows(*engine, *flows);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].detail, broken[0].violation.detail);
  EXPECT_EQ(violations[1].path, "spec.rules[0].params.require[0]");
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

TEST_F(FlowsKindTest, RelabellingAPodIntoAForbiddenFlowIsRefused) {
  // prod's db also accepts the migrator pods of every namespace.
  cluster_.Apply(EventType::kAdded,
                 PolicyObject("prod", "db-from-migrators",
                              "{podSelector: {matchLabels: {app: db}}, ingress: [{from: "
                              "[{namespaceSelector: {}, podSelector: {matchLabels: {role: "
                              "migrator}}}]}]}"));
  const auto app = [](const std::string& labels, const std::string& image) {
    return DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: dev, labels: " +
                      labels + "}\nspec: {containers: [{name: c, image: " + image + "}]}\n");
  };
  const Object before = app("{app: app}", "tool:1");
  CheckContext context;
  context.operation = Operation::kUpdate;
  context.cluster = &cluster_;
  context.old_object = &before;
  // `kubectl label pod app role=migrator`: dev/app now reaches prod/db.
  const Object relabelled = app("{app: app, role: migrator}", "tool:1");
  EXPECT_TRUE(check_->MayBeSlow(relabelled, context));
  const auto violations = Judge(Operation::kUpdate, relabelled, &before);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].path, "metadata.labels");
  EXPECT_EQ(violations[0].detail,
            "dev/app -> prod/db on 5432/TCP, opened by NetworkPolicy prod/db-from-migrators "
            "spec.ingress[0].from[0]");
  // An update policies cannot tell from the pod as it was (another image) is not judged.
  const Object new_image = app("{app: app}", "tool:2");
  EXPECT_FALSE(check_->MayBeSlow(new_image, context));
  EXPECT_TRUE(Judge(Operation::kUpdate, new_image, &before).empty());
  // Nor is a pod's DELETE: evictions and drains are never refused.
  context.operation = Operation::kDelete;
  EXPECT_FALSE(check_->MayBeSlow(before, context));
}

TEST_F(FlowsKindTest, ReplicaWithAnotherNamedPortIsJudgedOnItsOwn) {
  // Only the forbid entry: the pods need not reach DNS here.
  check_ = MustCompile(FlowsKind(), R"({
    forbid: [{from: {namespaceSelector: {matchLabels: {env: dev}}},
              to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: ["5432/TCP"]}]})");
  // prod's cache pods accept anyone on their port named "db"; the one there names 5433.
  ClusterObject cache = PodObject("prod", "cache-1", {{"app", "cache"}});
  std::get<CachedPod>(cache.value).named_ports.push_back(NamedPort{"db", 5433, Protocol::kTCP});
  cluster_.Apply(EventType::kAdded, std::move(cache));
  cluster_.Apply(EventType::kAdded,
                 PolicyObject("prod", "cache-db-port",
                              "{podSelector: {matchLabels: {app: cache}}, ingress: [{from: "
                              "[{namespaceSelector: {}}], ports: [{port: db}]}]}"));
  const auto replica = [](int port) {
    return DecodeYaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: cache-2, namespace: prod, labels: {app: "
        "cache}}\nspec: {containers: [{name: cache, ports: [{name: db, containerPort: " +
        std::to_string(port) + "}]}]}\n");
  };
  // The same labels and named port as cache-1: nothing it could open is not open already.
  EXPECT_TRUE(Judge(Operation::kCreate, replica(5433)).empty());
  // The same labels, but "db" is 5432 here: dev reaches it on the forbidden port.
  const auto violations = Judge(Operation::kCreate, replica(5432));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].detail,
            "dev/app -> prod/cache-2 on 5432/TCP, opened by NetworkPolicy prod/cache-db-port "
            "spec.ingress[0].from[0]");
}

TEST_F(FlowsKindTest, OnlyChangesTheEngineMustJudgeMayBeSlow) {
  check_ = MustCompile(FlowsKind(), R"({
    forbid: [{from: {namespaceSelector: {matchLabels: {env: dev}}},
              to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: ["5432/TCP"]}]})");
  cluster_.Apply(EventType::kAdded, PodObject("prod", "cache-1", {{"app", "cache"}}));
  CheckContext context;
  context.operation = Operation::kCreate;
  context.cluster = &cluster_;
  const auto pod = [](const std::string& ns, const std::string& app) {
    return DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: " + ns +
                      ", labels: {app: " + app + "}}\nspec: {containers: [{name: c}]}\n");
  };
  // kube-system holds no pod an entry names: nothing there can change what the entries see.
  EXPECT_FALSE(check_->MayBeSlow(NamedPolicy("kube-system", "p", "{podSelector: {}}"), context));
  EXPECT_FALSE(check_->MayBeSlow(pod("kube-system", "dns"), context));
  // A replica of cache-1 opens nothing cache-1 has not.
  EXPECT_FALSE(check_->MayBeSlow(pod("prod", "cache"), context));
  // A policy selecting prod's pods, and a new kind of pod in prod, need the engine.
  EXPECT_TRUE(check_->MayBeSlow(NamedPolicy("prod", "p", "{podSelector: {}}"), context));
  EXPECT_TRUE(check_->MayBeSlow(pod("prod", "queue"), context));
  // Without the cluster view the kind does nothing.
  context.cluster = nullptr;
  EXPECT_FALSE(check_->MayBeSlow(pod("prod", "queue"), context));
}

// prod's db also accepts the migrator pods of every namespace; a workload whose pods carry that
// label in dev opens the forbidden flow, and is refused at its own CREATE or UPDATE.
class FlowsTemplateTest : public FlowsKindTest {
 protected:
  void SetUp() override {
    FlowsKindTest::SetUp();
    cluster_.Apply(EventType::kAdded,
                   PolicyObject("prod", "db-from-migrators",
                                "{podSelector: {matchLabels: {app: db}}, ingress: [{from: "
                                "[{namespaceSelector: {}, podSelector: {matchLabels: {role: "
                                "migrator}}}]}]}"));
  }

  static Object Deployment(const std::string& role, const std::string& image) {
    return DecodeYaml(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: migrate, namespace: dev}\n"
        "spec:\n  template:\n    metadata: {labels: {app: tool, role: " +
        role + "}}\n    spec: {containers: [{name: c, image: " + image + "}]}\n");
  }
};

TEST_F(FlowsTemplateTest, AWorkloadWhosePodsWouldOpenAForbiddenFlowIsRefused) {
  const auto violations = Judge(Operation::kCreate, Deployment("migrator", "tool:1"));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].path, "spec.template.metadata.labels");
  EXPECT_EQ(violations[0].detail,
            "dev/migrate -> prod/db on 5432/TCP, opened by NetworkPolicy prod/db-from-migrators "
            "spec.ingress[0].from[0]");
  EXPECT_TRUE(Judge(Operation::kCreate, Deployment("reporter", "tool:1")).empty());

  const Object cron = DecodeYaml(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: dev}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {role: migrator}}
        spec: {containers: [{name: c}]}
)");
  const auto cron_violations = Judge(Operation::kCreate, cron);
  ASSERT_EQ(cron_violations.size(), 1u);
  EXPECT_EQ(cron_violations[0].path, "spec.jobTemplate.spec.template.metadata.labels");
}

TEST_F(FlowsTemplateTest, AnUpdateIsJudgedWhenItChangesWhatPoliciesSee) {
  const Object before = Deployment("reporter", "tool:1");
  EXPECT_EQ(Judge(Operation::kUpdate, Deployment("migrator", "tool:1"), &before).size(), 1u);
  // A new image changes nothing policies look at: not even the engine is asked.
  const Object was_migrator = Deployment("migrator", "tool:1");
  CheckContext context;
  context.operation = Operation::kUpdate;
  context.cluster = &cluster_;
  context.old_object = &was_migrator;
  EXPECT_FALSE(check_->MayBeSlow(Deployment("migrator", "tool:2"), context));
  context.operation = Operation::kDelete;
  context.old_object = nullptr;
  EXPECT_FALSE(check_->MayBeSlow(Deployment("migrator", "tool:1"), context));
}

// The kind judges a change on its kept engine (over the pods its entries name, updated in place
// from the cache's journal), asking only the connections the change can alter. That must not
// change a single answer: on random clusters and changes, the entries it reports broken are
// exactly those with a connection (source, destination, port) that a fresh whole-cluster build
// after the change finds broken and one before it does not, between pods of the same shapes.
class FlowsScopeEquivalenceTest : public ::testing::Test {
 protected:
  static constexpr char kScopedParams[] = R"({
    forbid: [{from: {namespaceSelector: {matchLabels: {env: dev}}},
              to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: ["5432/TCP"]},
             {from: {podSelector: {matchLabels: {app: web}}},
              to: {namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: {app: db}}},
              ports: ["5432/TCP"]},
             {from: {cidrs: ["203.0.113.0/24"]}, to: {podSelector: {matchLabels: {app: db}}},
              ports: ["5432/TCP"]}],
    require: [{from: {namespaceSelector: {matchLabels: {env: staging}}},
               to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                    podSelector: {matchLabels: {k8s-app: kube-dns}}}, ports: ["53/UDP"]},
              {from: {podSelector: {matchLabels: {app: web}}}, to: {cidrs: ["8.8.8.8/32"]},
               ports: ["443/TCP"]}]})";

  // Policies the random changes pick from; "A", "B" and "E" are replaced by an app and an env.
  static constexpr const char* kPolicyTemplates[] = {
      "{podSelector: {}, policyTypes: [Ingress]}",
      "{podSelector: {}, policyTypes: [Egress]}",
      "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{protocol: UDP, port: 53}]}]}",
      "{podSelector: {matchLabels: {app: A}}, ingress: [{from: [{namespaceSelector: {matchLabels: "
      "{env: E}}}], ports: [{port: 5432}]}]}",
      "{podSelector: {matchLabels: {app: A}}, ingress: [{from: [{podSelector: {matchLabels: "
      "{app: B}}, namespaceSelector: {}}], ports: [{port: db}]}]}",
      "{podSelector: {matchLabels: {app: A}}, ingress: [{from: [{podSelector: {}}]}]}",
      "{podSelector: {}, ingress: [{}]}",
      "{podSelector: {matchLabels: {app: A}}, policyTypes: [Egress], egress: [{to: [{podSelector: "
      "{matchLabels: {app: B}}}]}]}",
      "{podSelector: {matchLabels: {app: A}}, policyTypes: [Egress], egress: [{to: [{ipBlock: "
      "{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]}",
      "{podSelector: {matchLabels: {app: A}}, ingress: [{from: [{ipBlock: {cidr: "
      "203.0.113.0/24}}]}]}",
      "{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [A]}]}, "
      "policyTypes: [Ingress, Egress], egress: [{to: [{namespaceSelector: {matchLabels: {env: "
      "E}}}]}]}",
  };
  static constexpr const char* kApps[] = {"web", "db", "cache", "batch"};
  static constexpr const char* kEnvs[] = {"dev", "prod", "staging"};

  void SetUp() override {
    flows_ = *ParseFlows(YAML::Load(kScopedParams), testing::kRulesFile, testing::kParamsPath);
    check_ = MustCompile(FlowsKind(), kScopedParams);
  }

  template <std::size_t N>
  const char* Pick(const char* const (&choices)[N]) {
    return choices[std::uniform_int_distribution<std::size_t>(0, N - 1)(random_)];
  }
  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string RandomPolicySpec() {
    std::string spec = Pick(kPolicyTemplates);
    for (const auto& [placeholder, value] :
         {std::pair<std::string, std::string>{"app: A", std::string("app: ") + Pick(kApps)},
          {"[A]", std::string("[") + Pick(kApps) + "]"},
          {"app: B", std::string("app: ") + Pick(kApps)},
          {"env: E", std::string("env: ") + Pick(kEnvs)}}) {
      if (auto at = spec.find(placeholder); at != std::string::npos) {
        spec.replace(at, placeholder.size(), value);
      }
    }
    return spec;
  }

  Labels RandomPodLabels() {
    Labels labels{{"app", Pick(kApps)}};
    if (Below(4) == 0) {
      labels["k8s-app"] = "kube-dns";
    }
    return labels;
  }

  // namespaces ns-0.. with random envs plus kube-system; pods and policies at random.
  void FillCluster() {
    std::vector<ClusterObject> namespaces;
    std::vector<ClusterObject> pods;
    std::vector<ClusterObject> policies;
    namespaces.push_back(Namespace("kube-system", {}));
    pods.push_back(PodObject("kube-system", "coredns", {{"k8s-app", "kube-dns"}}));
    if (Below(2) == 0) {
      // DNS answers pod addresses only: a pod without one yet is not let in.
      policies.push_back(PolicyObject("kube-system", "dns-from-pods",
                                      "{podSelector: {matchLabels: {k8s-app: kube-dns}}, "
                                      "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16}}]}]}"));
    }
    for (int n = 0; n < 5; ++n) {
      const std::string ns = "ns-" + std::to_string(n);
      namespaces.push_back(Namespace(ns, {{"env", Pick(kEnvs)}}));
      for (int p = Below(4); p > 0; --p) {
        ClusterObject pod = PodObject(ns, "pod-" + std::to_string(p), RandomPodLabels());
        auto& cached = std::get<CachedPod>(pod.value);
        if (Below(2) == 0) {
          cached.named_ports.push_back(NamedPort{"db", 5432 + Below(2), Protocol::kTCP});
        }
        cached.ips.push_back("10.0." + std::to_string(n) + '.' + std::to_string(p));
        pods.push_back(std::move(pod));
      }
      for (int p = Below(3); p > 0; --p) {
        policies.push_back(PolicyObject(ns, "policy-" + std::to_string(p), RandomPolicySpec()));
      }
    }
    cluster_.Replace(ClusterKind::kNamespace, std::move(namespaces));
    cluster_.Replace(ClusterKind::kPod, std::move(pods));
    cluster_.Replace(ClusterKind::kNetworkPolicy, std::move(policies));
    cluster_.Replace(ClusterKind::kConfigMap, {});
  }

  // The whole cache as connectivity input, without the pod or policy `skip` names.
  ClusterState WholeCluster(const std::string& skip_namespace, const std::string& skip_name,
                            bool skip_policy) {
    ClusterState state;
    for (const auto& ns : cluster_.Namespaces()) {
      state.namespaces.push_back(NamespaceInfo{ns->name, ns->labels});
      for (const auto& policy : cluster_.Policies(ns->name)) {
        if (!(skip_policy && policy->namespace_name == skip_namespace &&
              policy->name == skip_name)) {
          state.policies.push_back(PolicyInfo{policy->namespace_name, policy->name, policy->spec});
        }
      }
      for (const auto& pod : cluster_.Pods(ns->name, LabelSelector{})) {
        if (skip_policy || pod->namespace_name != skip_namespace || pod->name != skip_name) {
          PodInfo info{pod->namespace_name, pod->name, pod->labels, {}, pod->ips};
          for (const auto& port : pod->named_ports) {
            info.ports.push_back(NamedPort{port.name, port.port, port.protocol});
          }
          state.pods.push_back(std::move(info));
        }
      }
    }
    return state;
  }

  // The ends the peer names in `engine`: its pods ("namespace", "name"), or for a peer of
  // addresses the address each CIDR stands for ("", "address").
  static std::vector<std::pair<std::string, std::string>> Ends(const Connectivity& engine,
                                                               const FlowPeer& peer) {
    std::vector<std::pair<std::string, std::string>> ends;
    for (const Cidr& cidr : peer.cidrs) {
      const std::string text = cidr.ToString();
      ends.emplace_back("", text.substr(0, text.find('/')));
    }
    if (!peer.cidrs.empty()) {
      return ends;
    }
    for (const PodInfo& pod : engine.state().pods) {
      const NamespaceInfo* ns = engine.FindNamespace(pod.namespace_name);
      if ((!peer.namespace_selector || peer.namespace_selector->Matches(ns->labels)) &&
          (!peer.pod_selector || peer.pod_selector->Matches(pod.labels))) {
        ends.emplace_back(pod.namespace_name, pod.name);
      }
    }
    return ends;
  }

  static std::optional<Endpoint> EndIn(const Connectivity& engine,
                                       const std::pair<std::string, std::string>& end) {
    if (end.first.empty()) {
      return Endpoint::External(end.second);
    }
    const auto pod = engine.FindPod(end.first, end.second);
    return pod ? std::optional<Endpoint>(Endpoint::Pod(*pod)) : std::nullopt;
  }

  // The pods of `other` that policies see as `end` of `engine` (namespace, labels, named ports),
  // or the address itself.
  static std::vector<std::pair<std::string, std::string>> SameShape(
      const Connectivity& engine, const std::pair<std::string, std::string>& end,
      const Connectivity& other) {
    if (end.first.empty()) {
      return {end};
    }
    const auto sorted = [](std::vector<NamedPort> ports) {
      std::sort(ports.begin(), ports.end(), [](const NamedPort& a, const NamedPort& b) {
        return std::tie(a.name, a.port) < std::tie(b.name, b.port);
      });
      std::vector<std::pair<std::string, int32_t>> out;
      for (const NamedPort& port : ports) {
        out.emplace_back(port.name, port.port);
      }
      return out;
    };
    const PodInfo& pod = engine.state().pods[*engine.FindPod(end.first, end.second)];
    std::vector<std::pair<std::string, std::string>> same;
    for (const PodInfo& candidate : other.state().pods) {
      if (candidate.namespace_name == pod.namespace_name && candidate.labels == pod.labels &&
          sorted(candidate.ports) == sorted(pod.ports)) {
        same.emplace_back(candidate.namespace_name, candidate.name);
      }
    }
    return same;
  }

  // The reference, pod by pod with fresh builds: the entries with a connection broken after the
  // change where no pods of the same shapes (namespace, labels, named ports: the replicas of a
  // workload) had it broken before.
  std::set<std::string> Expected(const ClusterState& before, const ClusterState& after) {
    auto then = Connectivity::Build(before);
    auto now = Connectivity::Build(after);
    EXPECT_TRUE(then.ok() && now.ok());
    std::set<std::string> expected;
    for (const bool forbid : {true, false}) {
      for (const FlowEntry& entry : forbid ? flows_.forbid : flows_.require) {
        for (const auto& from : Ends(*now, entry.from)) {
          for (const auto& to : Ends(*now, entry.to)) {
            if (!forbid && from == to) {
              continue;  // a pod need not reach itself
            }
            for (const FlowPorts& range : entry.ports) {
              // The stretches of both builds: within each, both answer alike.
              std::set<int32_t> starts;
              for (const Connectivity* engine : {&*then, &*now}) {
                for (const PortProtocol& port :
                     engine->DistinctPorts(range.protocol, range.first, range.last)) {
                  starts.insert(port.port);
                }
              }
              for (const int32_t start : starts) {
                const PortProtocol port{start, range.protocol};
                const bool broken_now =
                    now->Decide(*EndIn(*now, from), *EndIn(*now, to), port).Allowed() == forbid;
                bool broken_then = false;
                for (const auto& from_then : SameShape(*now, from, *then)) {
                  for (const auto& to_then : SameShape(*now, to, *then)) {
                    broken_then = broken_then || ((forbid || from_then != to_then) &&
                                                  then->Decide(*EndIn(*then, from_then),
                                                               *EndIn(*then, to_then), port)
                                                          .Allowed() == forbid);
                  }
                }
                if (broken_now && !broken_then) {
                  expected.insert(entry.path);
                }
              }
            }
          }
        }
      }
    }
    return expected;
  }

  // The entries the kind reports broken ("... forbidden by PATH").
  std::set<std::string> Reported(Operation operation, const Object& object,
                                 const Object* old_object = nullptr) {
    CheckContext context;
    context.operation = operation;
    context.cluster = &cluster_;
    context.old_object = old_object;
    std::set<std::string> paths;
    for (const auto& violation : RunCheck(check_.get(), object, context)) {
      paths.insert(violation.problem.substr(violation.problem.rfind(' ') + 1));
    }
    // A change the kind calls quick (run on a connection thread) is one it lets through.
    if (check_->MayBeSlow(object, context)) {
      ++slow_;
    } else {
      EXPECT_TRUE(paths.empty()) << "a change called quick is refused";
      ++quick_;
    }
    return paths;
  }

  std::mt19937 random_;
  int slow_ = 0;   // changes MayBeSlow sent to the engine
  int quick_ = 0;  // and those it did not
  FlowsParams flows_;
  ClusterCache cluster_;
  std::unique_ptr<const RuleCheck> check_;
};

TEST_F(FlowsScopeEquivalenceTest, ScopedJudgementMatchesTheWholeCluster) {
  int changes_reported = 0;
  for (unsigned seed = 1; seed <= 120; ++seed) {
    random_.seed(seed);
    FillCluster();
    const std::string ns = "ns-" + std::to_string(Below(5));
    SCOPED_TRACE("seed " + std::to_string(seed) + ", namespace " + ns);

    // A new pod: as often as not a replica of a pod already there (its labels; its named port,
    // or another one), so that the kind's shortcut for replicas is tested both ways.
    Labels pod_labels = RandomPodLabels();
    int db_port = Below(3) == 0 ? 0 : 5432 + Below(2);
    if (const auto existing = cluster_.Pods(ns, LabelSelector{}); !existing.empty() && Below(2)) {
      const CachedPod& replica = *existing[Below(static_cast<int>(existing.size()))];
      pod_labels = replica.labels;
      if (Below(3) != 0) {
        db_port = replica.named_ports.empty() ? 0 : replica.named_ports.front().port;
      }
    }
    std::string labels_yaml;
    for (const auto& [key, value] : pod_labels) {
      labels_yaml += (labels_yaml.empty() ? "" : ", ") + key + ": " + value;
    }
    const std::string ports_yaml =
        db_port == 0 ? "" : ", ports: [{name: db, containerPort: " + std::to_string(db_port) + "}]";
    const Object pod = DecodeYaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: new-pod, namespace: " + ns + ", labels: {" +
        labels_yaml + "}}\nspec: {containers: [{name: c" + ports_yaml + "}]}\n");
    ClusterState before = WholeCluster(ns, "new-pod", false);
    ClusterState after = before;
    PodInfo info{ns, "new-pod", pod_labels, {}, {}};
    if (db_port != 0) {
      info.ports.push_back({"db", db_port, Protocol::kTCP});
    }
    after.pods.push_back(info);
    auto expected = Expected(before, after);
    EXPECT_EQ(Reported(Operation::kCreate, pod), expected) << "pod " << labels_yaml << ports_yaml;
    changes_reported += expected.empty() ? 0 : 1;

    // A new policy, a changed one, a deleted one.
    const std::string spec = RandomPolicySpec();
    const Object created = NamedPolicy(ns, "new-policy", spec);
    before = WholeCluster(ns, "new-policy", true);
    after = before;
    after.policies.push_back(PolicyInfo{ns, "new-policy", *created.network_policy()});
    expected = Expected(before, after);
    EXPECT_EQ(Reported(Operation::kCreate, created), expected) << "create " << spec;
    changes_reported += expected.empty() ? 0 : 1;

    const auto existing = cluster_.Policies(ns);
    if (existing.empty()) {
      continue;
    }
    const CachedPolicy& old_policy = *existing.front();
    const Object old_object = NamedPolicy(ns, old_policy.name, "{podSelector: {}}");
    Object old_version = old_object;
    old_version.content = old_policy.spec;
    const Object changed = NamedPolicy(ns, old_policy.name, spec);
    before = WholeCluster(ns, old_policy.name, true);
    after = before;
    before.policies.push_back(PolicyInfo{ns, old_policy.name, old_policy.spec});
    after.policies.push_back(PolicyInfo{ns, old_policy.name, *changed.network_policy()});
    expected = Expected(before, after);
    EXPECT_EQ(Reported(Operation::kUpdate, changed, &old_version), expected) << "update " << spec;
    changes_reported += expected.empty() ? 0 : 1;

    after.policies.pop_back();
    expected = Expected(before, after);
    EXPECT_EQ(Reported(Operation::kDelete, old_version), expected) << "delete";
    changes_reported += expected.empty() ? 0 : 1;
  }
  // The random changes do break flows, so the comparison is not only of empty answers.
  EXPECT_GT(changes_reported, 25);
  EXPECT_GT(slow_, 100);
  EXPECT_GT(quick_, 100);
}

// The kind's engine kept current event by event: 10,000 random watch events (pods added,
// relabelled, given another named port or address, deleted; policies created, changed, deleted;
// namespaces relabelled) go through the cache and its journal, and every tenth is followed by a
// judged change whose verdict must equal the fresh builds' reference.
TEST_F(FlowsScopeEquivalenceTest, JudgementsFollowTheCacheEventByEvent) {
  random_.seed(2026);
  FillCluster();
  int judged = 0;
  int reported = 0;
  for (int event = 1; event <= 10000; ++event) {
    const std::string ns = "ns-" + std::to_string(Below(5));
    const int pick = Below(10);
    if (pick < 5) {
      ClusterObject pod = PodObject(ns, "pod-" + std::to_string(Below(6)), RandomPodLabels());
      auto& cached = std::get<CachedPod>(pod.value);
      if (Below(2) == 0) {
        cached.named_ports.push_back(NamedPort{"db", 5432 + Below(2), Protocol::kTCP});
      }
      if (Below(3) != 0) {
        cached.ips.push_back("10.0." + std::to_string(Below(5)) + '.' + std::to_string(Below(9)));
      }
      cluster_.Apply(Below(4) == 0 ? EventType::kDeleted : EventType::kModified, std::move(pod));
    } else if (pick < 8) {
      const std::string name = "policy-" + std::to_string(Below(3));
      cluster_.Apply(Below(3) == 0 ? EventType::kDeleted : EventType::kModified,
                     PolicyObject(ns, name, RandomPolicySpec()));
    } else {
      cluster_.Apply(EventType::kModified, Namespace(ns, {{"env", Pick(kEnvs)}}));
    }
    if (event % 10 != 0) {
      continue;
    }
    SCOPED_TRACE("after event " + std::to_string(event));
    ++judged;
    if (Below(2) == 0) {
      const Labels labels = RandomPodLabels();
      std::string labels_yaml;
      for (const auto& [key, value] : labels) {
        labels_yaml += (labels_yaml.empty() ? "" : ", ") + key + ": " + value;
      }
      const Object pod =
          DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: new-pod, namespace: " + ns +
                     ", labels: {" + labels_yaml + "}}\nspec: {containers: [{name: c}]}\n");
      ClusterState before = WholeCluster(ns, "new-pod", false);
      ClusterState after = before;
      after.pods.push_back(PodInfo{ns, "new-pod", labels, {}, {}});
      const auto expected = Expected(before, after);
      ASSERT_EQ(Reported(Operation::kCreate, pod), expected) << "pod " << labels_yaml;
      reported += expected.empty() ? 0 : 1;
    } else {
      const std::string spec = RandomPolicySpec();
      const Object created = NamedPolicy(ns, "new-policy", spec);
      ClusterState before = WholeCluster(ns, "new-policy", true);
      ClusterState after = before;
      after.policies.push_back(PolicyInfo{ns, "new-policy", *created.network_policy()});
      const auto expected = Expected(before, after);
      ASSERT_EQ(Reported(Operation::kCreate, created), expected) << "create " << spec;
      reported += expected.empty() ? 0 : 1;
    }
  }
  EXPECT_EQ(judged, 1000);
  EXPECT_GT(reported, 50);  // not only empty answers compared
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
