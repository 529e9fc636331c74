// Admission through a real kube-apiserver: netadmit registered with the shipped
// ValidatingWebhookConfiguration, driven with kubectl as users drive it. Every rule kind refuses
// what it must at `kubectl apply` (its id in kubectl's stderr) and lets the rest be stored; the
// rule set comes from a ConfigMap and an edit takes effect within seconds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <thread>

#include "tests/e2e/e2e.h"
#include "tests/e2e/netadmit_webhook.h"
#include "tests/support/files.h"

namespace netadmit::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class AdmissionE2e : public NetadmitSuite {
 protected:
  static KubeCluster& Cluster() { return SharedCluster(); }
  static testing::RunResult Apply(const std::string& manifest,
                                  const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"apply", "-f", "-"};
    args.insert(args.end(), flags.begin(), flags.end());
    return Cluster().Kubectl(args, manifest);
  }
  static void ExpectRefusedBy(const testing::RunResult& result, const std::string& rule_id) {
    EXPECT_NE(result.exit_code, 0) << Printed(result);
    EXPECT_THAT(result.err, HasSubstr("admission webhook \"validate.netadmit.io\" denied the "
                                      "request"))
        << Printed(result);
    EXPECT_THAT(result.err, HasSubstr("[" + rule_id + "]")) << Printed(result);
  }
  static void ExpectStored(const std::string& kind, const std::string& namespace_name,
                           const std::string& name) {
    const testing::RunResult got =
        Cluster().Kubectl({"-n", namespace_name, "get", kind, name, "-o", "name"});
    EXPECT_EQ(got.exit_code, 0) << kind << " " << namespace_name << "/" << name << " not stored\n"
                                << Printed(got);
  }
  static void ExpectAbsent(const std::string& kind, const std::string& namespace_name,
                           const std::string& name) {
    const testing::RunResult got = Cluster().Kubectl({"-n", namespace_name, "get", kind, name});
    EXPECT_NE(got.exit_code, 0) << kind << " " << namespace_name << "/" << name
                                << " was stored although refused";
  }
  // Waits until netadmit's cluster view holds at least `count` objects of `kind`.
  static void WaitForView(const std::string& kind, int count) {
    ASSERT_TRUE(
        Webhook().WaitForMetric("netadmit_cluster_objects{kind=\"" + kind + "\"}", count, 10s))
        << "the cluster view never held " << count << " " << kind;
  }
};

std::string Policy(const std::string& namespace_name, const std::string& name,
                   const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + namespace_name + "\nspec:\n" + spec;
}

std::string Pod(const std::string& namespace_name, const std::string& name,
                const std::string& labels, const std::string& extra_spec = "") {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
         "\n  namespace: " + namespace_name + "\n  labels: " + labels + "\nspec:\n" + extra_spec +
         "  containers:\n  - name: app\n    image: registry.example/app:1\n";
}

std::string Deployment(const std::string& namespace_name, const std::string& name,
                       const std::string& extra_pod_spec = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: " + namespace_name + "\nspec:\n  selector: {matchLabels: {app: " + name +
         "}}\n  template:\n    metadata:\n      labels: {app: " + name +
         ", app.kubernetes.io/name: " + name + "}\n    spec:\n" + extra_pod_spec +
         "      containers:\n      - name: app\n        image: registry.example/app:1\n";
}

TEST_F(AdmissionE2e, NoOpenEgressRefusesEgressToEverywhere) {
  CreateNamespace("e2e-egress");
  ExpectRefusedBy(Apply(Policy("e2e-egress", "open",
                               "  podSelector: {}\n  policyTypes: [Egress]\n"
                               "  egress:\n  - to:\n    - ipBlock: {cidr: "
                               "0.0.0.0/0}\n")),
                  "no-open-egress");
  ExpectAbsent("networkpolicy", "e2e-egress", "open");
  ASSERT_EQ(Apply(Policy("e2e-egress", "dns",
                         "  podSelector: {}\n  policyTypes: [Egress]\n"
                         "  egress:\n  - ports: [{protocol: UDP, port: "
                         "53}]\n"))
                .exit_code,
            0);
  ExpectStored("networkpolicy", "e2e-egress", "dns");
}

// The API server writes `protocol: TCP` into a port that names none before the webhook sees it,
// exactly what `netadmit check` assumes: port 53 without a protocol is 53/TCP, which this rule's
// allowedPorts (53/UDP only) does not exempt, in both places.
TEST_F(AdmissionE2e, PortWithoutProtocolIsTcpAtAdmissionAsInCheck) {
  CreateNamespace("e2e-egress");
  const std::string spec =
      "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53}]\n";
  const std::string manifest = Policy("e2e-egress", "dns-tcp-by-default", spec);
  ExpectRefusedBy(Apply(manifest), "no-open-egress");
  const testing::RunResult check = testing::RunProcess(
      {NETADMIT_BINARY, "check", "--rules", SourcePath("tests/e2e/rules.yaml"), "-f", "-"},
      manifest);
  EXPECT_EQ(check.exit_code, 1) << Printed(check);
  EXPECT_THAT(check.out, HasSubstr("[no-open-egress]")) << Printed(check);
  // Where no rule applies, the server's dry run shows what it stores and webhooks receive.
  const testing::RunResult stored =
      Apply(Policy("default", "dns-tcp-by-default", spec),
            {"--dry-run=server", "-o", "jsonpath={.spec.egress[0].ports[0]}"});
  EXPECT_EQ(stored.out, "{\"port\":53,\"protocol\":\"TCP\"}") << Printed(stored);
}

// Namespace rules and `netadmit check` rely on this label being on every namespace.
TEST_F(AdmissionE2e, EveryNamespaceCarriesItsNameAsALabel) {
  const testing::RunResult created =
      Cluster().Kubectl({"create", "namespace", "e2e-unlabeled", "--dry-run=server", "-o",
                         "jsonpath={.metadata.labels}"});
  EXPECT_EQ(created.out, "{\"kubernetes.io/metadata.name\":\"e2e-unlabeled\"}") << Printed(created);
}

TEST_F(AdmissionE2e, NoOpenIngressRefusesIngressFromEverywhere) {
  CreateNamespace("e2e-ingress");
  ExpectRefusedBy(Apply(Policy("e2e-ingress", "open",
                               "  podSelector: {}\n  policyTypes: "
                               "[Ingress]\n  ingress:\n  - {}\n")),
                  "no-open-ingress");
  ASSERT_EQ(Apply(Policy("e2e-ingress", "from-web",
                         "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n"
                         "    - podSelector: {matchLabels: {app: web}}\n"))
                .exit_code,
            0);
  ExpectStored("networkpolicy", "e2e-ingress", "from-web");
}

TEST_F(AdmissionE2e, WarnRuleShowsAsKubectlWarningAndStores) {
  CreateNamespace("e2e-ports");
  const testing::RunResult applied =
      Apply(Policy("e2e-ports", "no-ports",
                   "  podSelector: {}\n  policyTypes: [Ingress]\n"
                   "  ingress:\n  - from:\n    - podSelector: {}\n"));
  ASSERT_EQ(applied.exit_code, 0) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("Warning: [require-ports]")) << Printed(applied);
  ExpectStored("networkpolicy", "e2e-ports", "no-ports");
}

// The API server fills in policyTypes before any webhook sees the object; kubectl's
// last-applied-configuration still holds what the user wrote, and the rule judges that.
TEST_F(AdmissionE2e, ExplicitPolicyTypesJudgesWhatKubectlApplyWrote) {
  CreateNamespace("e2e-types");
  const std::string inferred = Policy("e2e-types", "inferred",
                                      "  podSelector: {}\n  egress:\n  - to:\n"
                                      "    - podSelector: {}\n");
  const testing::RunResult applied = Apply(inferred);
  ExpectRefusedBy(applied, "explicit-policy-types");
  EXPECT_THAT(applied.err, HasSubstr("last-applied-configuration")) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("which denies all ingress")) << Printed(applied);

  // Written out: stored.
  ASSERT_EQ(Apply(Policy("e2e-types", "written",
                         "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n"
                         "    - podSelector: {}\n"))
                .exit_code,
            0);
  ExpectStored("networkpolicy", "e2e-types", "written");

  // Without the annotation (kubectl create, server-side apply, other clients) only the
  // defaulted object reaches the webhook: the rule cannot tell, which docs/rules.md says.
  const testing::RunResult created = Cluster().Kubectl({"create", "-f", "-"}, inferred);
  EXPECT_EQ(created.exit_code, 0) << Printed(created);
  EXPECT_EQ(Cluster().KubectlOk({"-n", "e2e-types", "get", "networkpolicy", "inferred", "-o",
                                 "jsonpath={.spec.policyTypes}"}),
            "[\"Ingress\",\"Egress\"]");
}

TEST_F(AdmissionE2e, RestrictNamespacePeersRefusesPeersByOrdinaryLabels) {
  CreateNamespace("e2e-peers");
  ExpectRefusedBy(Apply(Policy("e2e-peers", "by-team",
                               "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n"
                               "  - from:\n    - namespaceSelector: {matchLabels: {team: a}}\n")),
                  "restrict-namespace-peers");
  ASSERT_EQ(Apply(Policy("e2e-peers", "dns",
                         "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n"
                         "    - namespaceSelector:\n        matchLabels: "
                         "{kubernetes.io/metadata.name: kube-system}\n"))
                .exit_code,
            0);
  ExpectStored("networkpolicy", "e2e-peers", "dns");
}

// Pods, and pod controllers at `kubectl apply` rather than when their controller makes pods.
TEST_F(AdmissionE2e, NoHostNetworkRefusesPodsDeploymentsAndCronJobs) {
  CreateNamespace("e2e-host");
  ExpectRefusedBy(Apply(Pod("e2e-host", "on-host", "{app: x}", "  hostNetwork: true\n")),
                  "no-host-network");
  ExpectRefusedBy(Apply(Deployment("e2e-host", "on-host", "      hostNetwork: true\n")),
                  "no-host-network");
  ExpectAbsent("deployment", "e2e-host", "on-host");
  const std::string cron_job =
      "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: e2e-host}\n"
      "spec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n"
      "        spec:\n          hostNetwork: true\n          restartPolicy: OnFailure\n"
      "          containers:\n          - {name: job, image: registry.example/job:1}\n";
  ExpectRefusedBy(Apply(cron_job), "no-host-network");
  ExpectAbsent("cronjob", "e2e-host", "nightly");
  ASSERT_EQ(Apply(Deployment("e2e-host", "web")).exit_code, 0);
  ExpectStored("deployment", "e2e-host", "web");
}

TEST_F(AdmissionE2e, RequirePodLabelsRefusesUnlabeledPods) {
  CreateNamespace("e2e-labels");
  ExpectRefusedBy(Apply(Pod("e2e-labels", "bare", "{app: x}")), "require-pod-labels");
  ASSERT_EQ(Apply(Pod("e2e-labels", "named", "{app.kubernetes.io/name: x}")).exit_code, 0);
  ExpectStored("pod", "e2e-labels", "named");
}

TEST_F(AdmissionE2e, RequirePodSelectedRefusesPodsNoPolicySelects) {
  CreateNamespace("e2e-selected");
  ExpectRefusedBy(Apply(Pod("e2e-selected", "web", "{app: web}")), "require-pod-selected");
  ASSERT_EQ(Apply(Policy("e2e-selected", "web",
                         "  podSelector: {matchLabels: {app: web}}\n"
                         "  policyTypes: [Ingress]\n"))
                .exit_code,
            0);
  WaitForView("networkpolicies", 1);
  const testing::RunResult applied = Apply(Pod("e2e-selected", "web", "{app: web}"));
  EXPECT_EQ(applied.exit_code, 0) << Printed(applied);
  ExpectStored("pod", "e2e-selected", "web");
}

// `kubectl apply -f dir/` creates the namespace, its default-deny and a Deployment in one go,
// milliseconds apart: faster than the watch, so the denial must be confirmed by a fresh read.
TEST_F(AdmissionE2e, RequireDefaultDenyAdmitsANamespaceAppliedWholeAndGuardsTheLastOne) {
  testing::TempDir dir;
  dir.Write("00-namespace.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e-dd-shop}\n---\n"
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: "
            "e2e-dd-shop}\n");
  dir.Write("10-default-deny.yaml",
            Policy("e2e-dd-shop", "default-deny",
                   "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  dir.Write("20-deployment.yaml", Deployment("e2e-dd-shop", "web"));
  const testing::RunResult applied = Cluster().Kubectl({"apply", "-f", dir.path()});
  ASSERT_EQ(applied.exit_code, 0) << Printed(applied);
  ExpectStored("deployment", "e2e-dd-shop", "web");

  // Without a default-deny: refused, and the message prints the policy to apply.
  CreateNamespace("e2e-dd-bare");
  const testing::RunResult bare = Apply(Deployment("e2e-dd-bare", "web"));
  ExpectRefusedBy(bare, "require-default-deny");

  // The last default-deny cannot go.
  WaitForView("networkpolicies", 1);
  const testing::RunResult deleted =
      Cluster().Kubectl({"-n", "e2e-dd-shop", "delete", "networkpolicy", "default-deny"});
  ExpectRefusedBy(deleted, "require-default-deny");
  ExpectStored("networkpolicy", "e2e-dd-shop", "default-deny");
}

// UPDATE and DELETE of a protected policy by someone else, as kubectl --as/--as-group makes the
// API server see them (impersonation); the RBAC that lets both users touch policies at all.
TEST_F(AdmissionE2e, ProtectedPoliciesAnswerToImpersonatedUsersAndGroups) {
  CreateNamespace("e2e-protected");
  Cluster().KubectlOk(
      {"apply", "-f", "-"},
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: "
      "policy-editor, namespace: e2e-protected}\nrules:\n- apiGroups: "
      "[networking.k8s.io]\n  resources: [networkpolicies]\n  verbs: ['*']\n---\n"
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: "
      "{name: policy-editors, namespace: e2e-protected}\nroleRef: {apiGroup: "
      "rbac.authorization.k8s.io, kind: Role, name: policy-editor}\nsubjects:\n"
      "- {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}\n"
      "- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: platform-team}\n");
  ASSERT_EQ(Apply(Policy("e2e-protected", "default-deny",
                         "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"))
                .exit_code,
            0);
  const testing::RunResult by_bob = Cluster().Kubectl(
      {"--as", "bob", "-n", "e2e-protected", "delete", "networkpolicy", "default-deny"});
  ExpectRefusedBy(by_bob, "platform-owns-default-deny");
  EXPECT_THAT(by_bob.err, HasSubstr("user bob is not among groups platform-team"));
  ExpectStored("networkpolicy", "e2e-protected", "default-deny");

  const testing::RunResult by_team =
      Cluster().Kubectl({"--as", "alice", "--as-group", "platform-team", "-n", "e2e-protected",
                         "delete", "networkpolicy", "default-deny"});
  EXPECT_EQ(by_team.exit_code, 0) << Printed(by_team);
  ExpectAbsent("networkpolicy", "e2e-protected", "default-deny");
}

TEST_F(AdmissionE2e, FlowsRefusesAPolicyThatOpensAForbiddenFlow) {
  CreateNamespace("e2e-flows-dev", {"env=dev"});
  CreateNamespace("e2e-flows-prod", {"env=prod"});
  ASSERT_EQ(Apply(Policy("e2e-flows-prod", "default-deny",
                         "  podSelector: {}\n  policyTypes: [Ingress]\n"))
                .exit_code,
            0);
  ASSERT_EQ(Apply(Pod("e2e-flows-dev", "client", "{app: client}")).exit_code, 0);
  ASSERT_EQ(Apply(Pod("e2e-flows-prod", "db-0", "{app: db}")).exit_code, 0);
  WaitForView("pods", 2);

  const std::string from_dev =
      "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n"
      "  - from:\n    - namespaceSelector: {matchLabels: {env: dev}}\n"
      "    ports: [{protocol: TCP, port: 5432}]\n";
  const testing::RunResult opened = Apply(Policy("e2e-flows-prod", "db-from-dev", from_dev));
  ExpectRefusedBy(opened, "dev-never-reaches-prod-db");
  EXPECT_THAT(opened.err, HasSubstr("e2e-flows-prod/db-0")) << Printed(opened);
  ExpectAbsent("networkpolicy", "e2e-flows-prod", "db-from-dev");

  const testing::RunResult other =
      Apply(Policy("e2e-flows-prod", "db-from-staging",
                   "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n"
                   "  - from:\n    - namespaceSelector: {matchLabels: {env: staging}}\n"
                   "    ports: [{protocol: TCP, port: 5432}]\n"));
  EXPECT_EQ(other.exit_code, 0) << Printed(other);

  // The db also takes migrators from any namespace; none is in dev, so this is admitted...
  const int policies_in_view =
      static_cast<int>(Webhook().Metric(R"(netadmit_cluster_objects{kind="networkpolicies"})"));
  ASSERT_EQ(Apply(Policy("e2e-flows-prod", "db-from-migrators",
                         "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n"
                         "  ingress:\n  - from:\n    - namespaceSelector: {}\n"
                         "      podSelector: {matchLabels: {role: migrator}}\n"))
                .exit_code,
            0);
  WaitForView("networkpolicies", policies_in_view + 1);
  // ...but labelling dev's client a migrator (a Pod UPDATE) would open the forbidden flow.
  const testing::RunResult labelled =
      Cluster().Kubectl({"-n", "e2e-flows-dev", "label", "pod", "client", "role=migrator"});
  ExpectRefusedBy(labelled, "dev-never-reaches-prod-db");
  EXPECT_THAT(labelled.err, HasSubstr("e2e-flows-dev/client -> e2e-flows-prod/db-0"))
      << Printed(labelled);
  const testing::RunResult other_label =
      Cluster().Kubectl({"-n", "e2e-flows-dev", "label", "pod", "client", "tier=frontend"});
  EXPECT_EQ(other_label.exit_code, 0) << Printed(other_label);
}

TEST_F(AdmissionE2e, BrokenRuleSetConfigMapIsRefusedWithKeyLineAndColumn) {
  const std::string broken =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: netadmit-rules-broken\n"
      "  namespace: netadmit-system\n  labels: {netadmit.io/rule-set: \"true\"}\ndata:\n"
      "  broken.yaml: |\n    apiVersion: netadmit.io/v1alpha1\n    kind: RuleSet\n"
      "    metadata: {name: broken}\n    spec:\n      rules:\n      - id: x\n"
      "        kind: NoOpenEgress\n        action: deny\n        params: {allowedCidrs: []}\n";
  const testing::RunResult applied = Apply(broken);
  EXPECT_NE(applied.exit_code, 0) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("rule-sets.netadmit.io")) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("netadmit-rules-broken/broken.yaml:9:14: spec.rules[0].params."
                                     "allowedCidrs: unknown field \"allowedCidrs\""))
      << Printed(applied);
  ExpectAbsent("configmap", "netadmit-system", "netadmit-rules-broken");
}

// An edit of the rule-set ConfigMap (a PATCH, as `kubectl edit` sends) is in force within 5 s.
TEST_F(AdmissionE2e, EditedRuleSetTakesEffectWithinFiveSeconds) {
  CreateNamespace("e2e-edit");
  const std::string pod = Pod("e2e-edit", "on-host", "{app: x}", "  hostNetwork: true\n");
  ASSERT_EQ(Apply(pod, {"--dry-run=server"}).exit_code, 0);

  std::string rules = testing::ReadFile(SourcePath("tests/e2e/rules.yaml"));
  rules +=
      "    - id: edited-in\n      kind: NoHostNetwork\n      action: deny\n"
      "      match: {namespaces: [e2e-edit]}\n";
  const std::string configmap = Cluster().KubectlOk(
      {"-n", "netadmit-system", "create", "configmap", "netadmit-rules-e2e",
       "--from-literal=rules.yaml=" + rules, "--dry-run=client", "-o", "jsonpath={.data}"});
  const auto edited = std::chrono::steady_clock::now();
  Cluster().KubectlOk({"-n", "netadmit-system", "patch", "configmap", "netadmit-rules-e2e",
                       "--type=merge", "-p", "{\"data\":" + configmap + "}"});
  testing::RunResult judged;
  while (std::chrono::steady_clock::now() - edited < 5s) {
    judged = Apply(pod, {"--dry-run=server"});
    if (judged.exit_code != 0) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ExpectRefusedBy(judged, "edited-in");
}

// RFC 3339 UTC, to the second: "2026-12-03T13:40:05Z".
std::string Rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A rule-set ConfigMap whose exception names a rule no rule set has is refused at `kubectl apply`
// with the key, line and column, as a broken rule is.
TEST_F(AdmissionE2e, ExceptionNamingAnUnknownRuleIsRefusedWithKeyLineAndColumn) {
  const std::string broken =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: netadmit-exceptions-broken\n"
      "  namespace: netadmit-system\n  labels: {netadmit.io/rule-set: \"true\"}\ndata:\n"
      "  exceptions.yaml: |\n    apiVersion: netadmit.io/v1alpha1\n    kind: RuleExceptions\n"
      "    metadata: {name: broken}\n    spec:\n      exceptions:\n      - name: typo\n"
      "        rules: [no-open-egres]\n        match: {namespaces: [e2e-egress]}\n"
      "        expires: 2020-01-31\n        owner: o\n        reason: r\n";
  const testing::RunResult applied = Apply(broken);
  EXPECT_NE(applied.exit_code, 0) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("rule-sets.netadmit.io")) << Printed(applied);
  EXPECT_THAT(applied.err, HasSubstr("netadmit-exceptions-broken/exceptions.yaml:7:13: "
                                     "spec.exceptions[0].rules[0]: exception \"typo\" names rule "
                                     "\"no-open-egres\", which matches no loaded rule"))
      << Printed(applied);
  ExpectAbsent("configmap", "netadmit-system", "netadmit-exceptions-broken");
}

// An exception in a rule-set ConfigMap of its own lets in what its rule refuses, with a warning
// that it expires soon; the moment it expires, the same object is refused again, without an edit.
TEST_F(AdmissionE2e, ExceptionInAConfigMapLetsARefusedObjectInUntilItExpires) {
  CreateNamespace("e2e-egress");
  const auto open = [](const std::string& name) {
    return Policy("e2e-egress", name,
                  "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - {}\n");
  };
  ExpectRefusedBy(Apply(open("legacy-open")), "no-open-egress");

  const auto expires = std::chrono::system_clock::now() + 15s;
  const std::string exceptions =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: netadmit-exceptions-e2e\n"
      "  namespace: netadmit-system\n  labels: {netadmit.io/rule-set: \"true\"}\ndata:\n"
      "  exceptions.yaml: |\n    apiVersion: netadmit.io/v1alpha1\n    kind: RuleExceptions\n"
      "    metadata: {name: e2e}\n    spec:\n      exceptions:\n"
      "      - name: legacy-open-egress\n        rules: [no-open-egress]\n"
      "        match: {namespaces: [e2e-egress], names: [\"legacy-*\"]}\n"
      "        expires: " +
      Rfc3339(expires) + "\n        owner: team-e2e@example.com\n        reason: e2e (E2E-1)\n";
  const testing::RunResult applied = Apply(exceptions);
  ASSERT_EQ(applied.exit_code, 0) << Printed(applied);

  // In force within seconds: admitted, with the warning of an exception about to expire.
  testing::RunResult admitted;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    admitted = Apply(open("legacy-open"));
    if (admitted.exit_code == 0) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(admitted.exit_code, 0) << Printed(admitted);
  EXPECT_THAT(admitted.err, HasSubstr("Warning: exception legacy-open-egress "
                                      "(team-e2e@example.com) expires in 1 day"))
      << Printed(admitted);
  ExpectStored("networkpolicy", "e2e-egress", "legacy-open");
  // Other names were never covered.
  ExpectRefusedBy(Apply(open("other-open")), "no-open-egress");

  // Expired: it lets nothing in, though no rule set changed.
  std::this_thread::sleep_until(expires + 1s);
  ExpectRefusedBy(Apply(open("legacy-open-2")), "no-open-egress");
  ExpectAbsent("networkpolicy", "e2e-egress", "legacy-open-2");
  Cluster().KubectlOk({"-n", "netadmit-system", "delete", "configmap", "netadmit-exceptions-e2e"});
}

}  // namespace
}  // namespace netadmit::e2e
