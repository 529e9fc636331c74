#include "netadmit/rules/check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "netadmit/rules/catalog.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit::cli {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(NETADMIT_FIXTURES_DIR) + "/manifests/";

// Test kinds that look at real content, so that good and bad fixtures tell apart:
// `TestOpenEgress` flags egress rules without destinations and ipBlocks of 0.0.0.0/0;
// `TestHostNetwork` flags pod templates on the host network.
class OpenEgressCheck final : public RuleCheck {
 public:
  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const NetworkPolicySpec* spec = object.network_policy();
    for (std::size_t i = 0; i < spec->egress.size(); ++i) {
      const std::string rule_path = "spec.egress[" + std::to_string(i) + "]";
      const auto& peers = spec->egress[i].peers;
      if (peers.empty()) {
        violations.push_back(Violation{rule_path, "egress rule allows every destination", "no `to`",
                                       "list the destinations in `to`"});
      }
      for (std::size_t j = 0; j < peers.size(); ++j) {
        if (peers[j].ip_block && peers[j].ip_block->cidr == "0.0.0.0/0") {
          violations.push_back(Violation{rule_path + ".to[" + std::to_string(j) + "].ipBlock.cidr",
                                         "egress rule allows every destination",
                                         "ipBlock 0.0.0.0/0", "narrow the CIDR"});
        }
      }
    }
  }
};

class HostNetworkCheck final : public RuleCheck {
 public:
  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const PodTemplate* pod = object.pod_template();
    if (pod->host_network) {
      violations.push_back(Violation{pod->spec_path + ".hostNetwork", "pod uses the node's network",
                                     "hostNetwork: true", "remove hostNetwork"});
    }
  }
};

template <typename CheckType>
Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& /*params*/) {
  return std::unique_ptr<const RuleCheck>(std::make_unique<CheckType>());
}

const RuleCatalog& Catalog() {
  static const RuleCatalog catalog = [] {
    RuleCatalog built;
    (void)built.Add(
        RuleKind{"TestOpenEgress", "test", Target::kNetworkPolicy, {}, Compile<OpenEgressCheck>});
    (void)built.Add(
        RuleKind{"TestHostNetwork", "test", Target::kPodTemplate, {}, Compile<HostNetworkCheck>});
    return built;
  }();
  return catalog;
}

std::shared_ptr<const RuleSet> Rules(const std::string& rules) {
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\n"
                          "metadata: {name: check-test}\nspec:\n  rules:\n" +
                              rules};
  auto loaded = LoadRuleSet(std::span(&source, 1), Catalog());
  EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
  return loaded.ok() ? loaded.value() : nullptr;
}

// Open egress is denied, the host network warned about.
std::shared_ptr<const RuleSet> DefaultTestRules() {
  return Rules(
      "    - {id: no-open-egress, kind: TestOpenEgress, action: deny}\n"
      "    - {id: no-host-network, kind: TestHostNetwork, action: warn}\n");
}

CheckReport Check(const RuleSet& rules, std::vector<std::string> inputs,
                  std::string default_namespace = "default") {
  CheckInputs options;
  options.manifests = std::move(inputs);
  options.default_namespace = std::move(default_namespace);
  auto report = CheckFiles(rules, options);
  EXPECT_TRUE(report.ok()) << report.error().ToString();
  return report.ok() ? std::move(report).value() : CheckReport{};
}

TEST(CheckTest, TextReportOfTheSampleManifests) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report =
      Check(*rules, {kFixtures + "good-networkpolicy.yaml", kFixtures + "open-egress.yaml",
                     kFixtures + "deployment-host-network.yaml", kFixtures + "multi-doc.yaml",
                     kFixtures + "list.yaml"});
  EXPECT_EQ(RenderCheckText(report),
            kFixtures +
                "open-egress.yaml:2: NetworkPolicy default/open-egress: denied\n"
                "  deny  [no-open-egress] egress rule allows every destination (ipBlock "
                "0.0.0.0/0) at spec.egress[0].to[0].ipBlock.cidr \u2014 narrow the CIDR\n" +
                kFixtures +
                "deployment-host-network.yaml:1: Deployment monitoring/node-agent: warned\n"
                "  warn  [no-host-network] pod uses the node's network (hostNetwork: true) at "
                "spec.template.spec.hostNetwork \u2014 remove hostNetwork\n" +
                kFixtures +
                "multi-doc.yaml:24: Pod shop/debug: warned\n"
                "  warn  [no-host-network] pod uses the node's network (hostNetwork: true) at "
                "spec.hostNetwork \u2014 remove hostNetwork\n" +
                kFixtures +
                "list.yaml:7: NetworkPolicy batch/allow-all-egress: denied\n"
                "  deny  [no-open-egress] egress rule allows every destination (no `to`) at "
                "spec.egress[0] \u2014 list the destinations in `to`\n"
                "\n"
                "8 objects checked: 2 denied, 2 with warnings, 1 skipped\n");
  EXPECT_TRUE(report.Denied());
  EXPECT_EQ(ExitCode(report), 1);
}

TEST(CheckTest, ReportKeepsEveryObjectInInputOrder) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {kFixtures + "multi-doc.yaml", kFixtures + "list.json"});
  std::vector<std::string> seen;
  for (const auto& object : report.objects) {
    seen.push_back(fs::path(object.file).filename().string() + ":" + std::to_string(object.line) +
                   " " + object.description + (object.inspected ? "" : " (skipped)") + " " +
                   std::to_string(object.evaluation.findings.size()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"multi-doc.yaml:3 ConfigMap shop/settings (skipped) 0",
                                            "multi-doc.yaml:14 NetworkPolicy shop/default-deny 0",
                                            "multi-doc.yaml:24 Pod shop/debug 1",
                                            "list.json:5 NetworkPolicy shop/api 0",
                                            "list.json:15 Service shop/api (skipped) 0"}));
}

TEST(CheckTest, JsonReport) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {kFixtures + "list.yaml", kFixtures + "list.json"});
  const std::string list_yaml = kFixtures + "list.yaml";
  const std::string list_json = kFixtures + "list.json";
  EXPECT_EQ(RenderCheckJson(report), R"({
  "objects": [
    {
      "file": ")" + list_yaml + R"(",
      "line": 7,
      "object": {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "namespace": "batch",
        "name": "allow-all-egress"
      },
      "decision": "denied",
      "violations": [
        {
          "rule": "no-open-egress",
          "action": "deny",
          "path": "spec.egress[0]",
          "message": "[no-open-egress] egress rule allows every destination (no `to`) at spec.egress[0] — list the destinations in `to`"
        }
      ]
    },
    {
      "file": ")" + list_yaml + R"(",
      "line": 17,
      "object": {
        "apiVersion": "v1",
        "kind": "Pod",
        "namespace": "batch",
        "name": "worker"
      },
      "decision": "allowed",
      "violations": []
    },
    {
      "file": ")" + list_json + R"(",
      "line": 5,
      "object": {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "namespace": "shop",
        "name": "api"
      },
      "decision": "allowed",
      "violations": []
    },
    {
      "file": ")" + list_json + R"(",
      "line": 15,
      "object": {
        "apiVersion": "v1",
        "kind": "Service",
        "namespace": "shop",
        "name": "api"
      },
      "decision": "skipped",
      "violations": []
    }
  ],
  "summary": {
    "objects": 4,
    "denied": 1,
    "warned": 0,
    "skipped": 1,
    "exempted": 0
  }
}
)");
}

TEST(CheckTest, WarnedObjectIsAllowedInJson) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {kFixtures + "deployment-host-network.yaml"});
  const std::string json = RenderCheckJson(report);
  EXPECT_NE(json.find("\"decision\": \"allowed\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"action\": \"warn\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"warned\": 1"), std::string::npos) << json;
}

struct ExitCase {
  std::string name;
  std::string rules;
  std::vector<std::string> files;
  int exit_code;
  std::string summary;  // the last line of the text report
};

class CheckExitTest : public ::testing::TestWithParam<ExitCase> {};

TEST_P(CheckExitTest, ExitCodeFollowsDenyFindings) {
  const ExitCase& test = GetParam();
  auto rules = Rules(test.rules);
  ASSERT_NE(rules, nullptr);
  std::vector<std::string> inputs;
  for (const auto& file : test.files) {
    inputs.push_back(kFixtures + file);
  }
  CheckReport report = Check(*rules, inputs);
  EXPECT_EQ(ExitCode(report), test.exit_code);
  EXPECT_EQ(report.Denied(), test.exit_code == 1);
  const std::string text = RenderCheckText(report);
  const std::size_t last = text.rfind('\n', text.size() - 2);
  EXPECT_EQ(text.substr(last == std::string::npos ? 0 : last + 1), test.summary + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Check, CheckExitTest,
    ::testing::Values(
        ExitCase{"CleanPolicy",
                 "    - {id: no-open-egress, kind: TestOpenEgress, action: deny}\n",
                 {"good-networkpolicy.yaml"},
                 0,
                 "1 object checked: 0 denied, 0 with warnings, 0 skipped"},
        ExitCase{"DenyFinding",
                 "    - {id: no-open-egress, kind: TestOpenEgress, action: deny}\n",
                 {"good-networkpolicy.yaml", "open-egress.yaml"},
                 1,
                 "2 objects checked: 1 denied, 0 with warnings, 0 skipped"},
        ExitCase{"WarnOnly",
                 "    - {id: no-open-egress, kind: TestOpenEgress, action: warn}\n",
                 {"open-egress.yaml"},
                 0,
                 "1 object checked: 0 denied, 1 with warnings, 0 skipped"},
        ExitCase{"AuditOnly",
                 "    - {id: no-open-egress, kind: TestOpenEgress, action: audit}\n",
                 {"open-egress.yaml"},
                 0,
                 "1 object checked: 0 denied, 0 with warnings, 0 skipped"},
        ExitCase{"NamespaceOutsideTheRule",
                 "    - id: no-open-egress\n      kind: TestOpenEgress\n      action: deny\n"
                 "      match: {namespaces: [prod]}\n",
                 {"open-egress.yaml", "list.yaml"},
                 0,
                 "3 objects checked: 0 denied, 0 with warnings, 0 skipped"},
        ExitCase{"SkippedKindsOnly",
                 "    - {id: no-open-egress, kind: TestOpenEgress, action: deny}\n",
                 {"list.json"},
                 0,
                 "2 objects checked: 0 denied, 0 with warnings, 1 skipped"}),
    [](const ::testing::TestParamInfo<ExitCase>& case_info) { return case_info.param.name; });

TEST(CheckTest, AuditFindingsAreListedButDoNotFail) {
  auto rules = Rules("    - {id: no-open-egress, kind: TestOpenEgress, action: audit}\n");
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {kFixtures + "open-egress.yaml"});
  EXPECT_EQ(RenderCheckText(report),
            kFixtures +
                "open-egress.yaml:2: NetworkPolicy default/open-egress: audited\n"
                "  audit [no-open-egress] egress rule allows every destination (ipBlock "
                "0.0.0.0/0) at spec.egress[0].to[0].ipBlock.cidr \u2014 narrow the CIDR\n"
                "\n"
                "1 object checked: 0 denied, 0 with warnings, 0 skipped\n");
}

TEST(CheckTest, ObjectsWithoutNamespaceGetTheDefaultNamespace) {
  // The rule applies to team-a only: the policy is denied only when it lands there.
  auto rules = Rules(
      "    - id: no-open-egress\n      kind: TestOpenEgress\n      action: deny\n"
      "      match: {namespaces: [team-a]}\n");
  ASSERT_NE(rules, nullptr);
  CheckReport in_default = Check(*rules, {kFixtures + "open-egress.yaml"});
  ASSERT_EQ(in_default.objects.size(), 1u);
  EXPECT_EQ(in_default.objects[0].description, "NetworkPolicy default/open-egress");
  EXPECT_EQ(ExitCode(in_default), 0);
  CheckReport in_team = Check(*rules, {kFixtures + "open-egress.yaml"}, "team-a");
  ASSERT_EQ(in_team.objects.size(), 1u);
  EXPECT_EQ(in_team.objects[0].description, "NetworkPolicy team-a/open-egress");
  EXPECT_EQ(in_team.objects[0].namespace_name, "team-a");
  EXPECT_EQ(ExitCode(in_team), 1);
}

TEST(CheckTest, EmptyReport) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {});
  EXPECT_EQ(RenderCheckText(report), "0 objects checked: 0 denied, 0 with warnings, 0 skipped\n");
  EXPECT_EQ(ExitCode(report), 0);
  EXPECT_EQ(RenderCheckJson(report), R"({
  "objects": [],
  "summary": {
    "objects": 0,
    "denied": 0,
    "warned": 0,
    "skipped": 0,
    "exempted": 0
  }
}
)");
}

// The shipped rule set on the sample manifests: which rules deny which objects. Messages are
// the rule kinds' own and are tested with them.
TEST(CheckTest, DefaultRuleSetOnTheSampleManifests) {
  const RuleSource source = DefaultRuleSource();
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  CheckReport report = Check(**rules, {kFixtures});
  std::map<std::string, std::set<std::string>> denied_by;
  std::set<std::string> skipped;
  for (const auto& object : report.objects) {
    if (!object.inspected) {
      skipped.insert(object.description);
    }
    for (const Finding* finding : object.evaluation.WithAction(Action::kDeny)) {
      denied_by[object.description].insert(finding->rule_id);
    }
  }
  using Rules = std::set<std::string>;
  EXPECT_EQ(denied_by["NetworkPolicy default/open-egress"], Rules{"no-open-egress"});
  EXPECT_EQ(denied_by["NetworkPolicy batch/allow-all-egress"], Rules{"no-open-egress"});
  EXPECT_EQ(denied_by["Deployment monitoring/node-agent"], Rules{"no-host-network"});
  EXPECT_EQ(denied_by["Pod shop/debug"], Rules{"no-host-network"});
  EXPECT_EQ(denied_by["NetworkPolicy shop/web"], Rules{});
  EXPECT_EQ(denied_by["NetworkPolicy shop/default-deny"], Rules{});
  EXPECT_EQ(skipped, (std::set<std::string>{"ConfigMap shop/settings", "Service shop/api"}));
  EXPECT_EQ(ExitCode(report), 1);
}

class CheckErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("netadmit-check-") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(CheckErrorTest, DecodeErrorNamesFileLineAndField) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  const std::string file =
      Write("bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n"
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n"
            "spec:\n  podSelector: {}\n  egress: 3\n");
  CheckInputs options;
  options.manifests = {kFixtures + "good-networkpolicy.yaml", file};
  auto report = CheckFiles(*rules, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().file, file);
  EXPECT_EQ(report.error().line, 5);
  EXPECT_EQ(report.error().path, "spec.egress");
  EXPECT_FALSE(report.error().message.empty());
  EXPECT_EQ(report.error().ToString().rfind(file + ":5: spec.egress: ", 0), 0u)
      << report.error().ToString();
}

TEST_F(CheckErrorTest, DecodeErrorInAListItemPointsAtTheItem) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  const std::string file =
      Write("list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n"
            "- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: []}}\n"
            "- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n"
            "    hostNetwork: \"yes\"\n");
  CheckInputs options;
  options.manifests = {file};
  auto report = CheckFiles(*rules, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().file, file);
  EXPECT_EQ(report.error().line, 5);
  EXPECT_EQ(report.error().path, "spec.hostNetwork");
}

TEST_F(CheckErrorTest, UnreadableInputIsAnError) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckInputs options;
  const std::string missing = (dir_ / "nope.yaml").string();
  options.manifests = {kFixtures + "open-egress.yaml", missing};
  auto report = CheckFiles(*rules, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().file, missing);
}

TEST_F(CheckErrorTest, SyntaxErrorIsAnError) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  const std::string file = Write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a\n");
  CheckInputs options;
  options.manifests = {file};
  auto report = CheckFiles(*rules, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().file, file);
  EXPECT_GT(report.error().line, 0);
}

TEST_F(CheckErrorTest, DirectoryInputChecksEveryManifestInIt) {
  auto rules = DefaultTestRules();
  ASSERT_NE(rules, nullptr);
  CheckReport report = Check(*rules, {kFixtures});
  // Every sample manifest, files in path order: 1 + 1 + 2 + 2 + 3 + 1 objects.
  ASSERT_EQ(report.objects.size(), 10u);
  EXPECT_EQ(fs::path(report.objects[0].file).filename(), "deployment-host-network.yaml");
  EXPECT_EQ(ExitCode(report), 1);
}

}  // namespace
}  // namespace netadmit::cli

namespace netadmit::cli {
namespace {

// The stateful rules in `check`: the cluster is the --cluster-state objects plus the manifests.
class CheckClusterStateTest : public CheckErrorTest {
 protected:
  std::shared_ptr<const RuleSet> DefaultDenyRules() {
    const RuleSource source{
        "rules.yaml",
        "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\nspec:\n  rules:\n"
        "    - {id: default-deny, kind: RequireDefaultDeny, action: deny}\n"};
    auto rules = LoadRuleSet(std::span(&source, 1));
    EXPECT_TRUE(rules.ok()) << rules.error().ToString();
    return rules ? *rules : nullptr;
  }

  static constexpr char kDeployment[] =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
      "spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}\n";
  static constexpr char kDefaultDeny[] =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {name: default-deny, namespace: shop}\n"
      "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
};

TEST_F(CheckClusterStateTest, WorkloadWithoutADefaultDenyIsDenied) {
  CheckInputs options;
  options.manifests = {Write("app.yaml", kDeployment)};
  auto report = CheckFiles(*DefaultDenyRules(), options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  ASSERT_EQ(report->objects.size(), 1u);
  EXPECT_EQ(report->objects[0].evaluation.findings.size(), 1u);
  EXPECT_EQ(ExitCode(*report), 1);
}

TEST_F(CheckClusterStateTest, DefaultDenyAmongTheManifestsCounts) {
  CheckInputs options;
  // After the workload in the file: order does not matter, as with `kubectl apply -f dir/`.
  options.manifests = {Write("app.yaml", std::string(kDeployment) + "---\n" + kDefaultDeny)};
  auto report = CheckFiles(*DefaultDenyRules(), options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(ExitCode(*report), 0);
}

TEST_F(CheckClusterStateTest, DefaultDenyInTheClusterStateCounts) {
  CheckInputs options;
  options.manifests = {Write("app.yaml", kDeployment)};
  // As `kubectl get namespaces,networkpolicies,pods -A -o yaml` prints it.
  options.cluster_state = {
      Write("state.yaml",
            "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n"
            "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: shop, labels: {team: a}}\n"
            "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n"
            "  metadata: {name: default-deny, namespace: shop, resourceVersion: \"7\"}\n"
            "  spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")};
  auto report = CheckFiles(*DefaultDenyRules(), options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(ExitCode(*report), 0);
  // Only the manifests are reported on, not the cluster state.
  EXPECT_EQ(report->objects.size(), 1u);
}

TEST_F(CheckClusterStateTest, FlowsJudgeTheManifestsAsAppliedTogether) {
  const RuleSource source{
      "rules.yaml",
      "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\nspec:\n  rules:\n"
      "    - id: flows\n      kind: Flows\n      action: deny\n      params:\n"
      "        forbid: [{from: {namespaceSelector: {matchLabels: {env: dev}}},\n"
      "                  to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: "
      "[5432/TCP]}]\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  CheckInputs options;
  options.manifests = {
      Write("cluster.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, labels: {env: dev}}\n---\n"
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: dev}\n"
            "spec: {containers: [{name: app}]}\n---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: prod, labels: {app: db}}\n"
            "spec: {containers: [{name: db}]}\n---\n"
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: db, namespace: prod}\n"
            "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: "
            "{matchLabels: {env: dev}}}]}]}\n")};
  auto report = CheckFiles(**rules, options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  std::vector<std::string> denied;
  for (const auto& object : report->objects) {
    for (const Finding* finding : object.evaluation.WithAction(Action::kDeny)) {
      denied.push_back(object.description + ": " + finding->violation.detail);
    }
  }
  // Each object is judged as the last one applied. Without the policy prod/db is isolated by
  // nothing, so dev reaches it anyway: the policy does not break the entry, the pods do (each
  // joins a flow that is open).
  EXPECT_EQ(denied,
            (std::vector<std::string>{
                "Pod dev/app: dev/app -> prod/db on 5432/TCP, opened by NetworkPolicy prod/db "
                "spec.ingress[0].from[0]",
                "Pod prod/db: dev/app -> prod/db on 5432/TCP, opened by NetworkPolicy prod/db "
                "spec.ingress[0].from[0]"}));
  EXPECT_EQ(ExitCode(*report), 1);
}

TEST_F(CheckClusterStateTest, MalformedClusterStateNamesFileAndLine) {
  CheckInputs options;
  options.manifests = {Write("app.yaml", kDeployment)};
  options.cluster_state = {Write("state.yaml",
                                 "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                 "metadata: {name: d, namespace: shop}\nspec: {podSelector: 3}\n")};
  auto report = CheckFiles(*DefaultDenyRules(), options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().file, options.cluster_state[0]);
  EXPECT_EQ(report.error().line, 1);
  EXPECT_EQ(report.error().path, "spec.podSelector");
}

}  // namespace
}  // namespace netadmit::cli

namespace netadmit::cli {
namespace {

// The cluster-scoped policies in `check`'s cluster: from --cluster-state and from the manifests.
std::vector<ManifestObject> Parsed(const std::string& file, const std::string& text) {
  auto parsed = ParseManifests(file, text);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return parsed ? *std::move(parsed) : std::vector<ManifestObject>{};
}

std::vector<std::string> PolicyKeys(const ClusterView& cluster) {
  std::vector<std::string> keys;
  for (const auto& policy : cluster.ClusterPolicies()) {
    keys.push_back(std::string(ClusterPolicyKindName(policy->spec.kind)) + "/" + policy->name +
                   " priority " + std::to_string(policy->spec.priority));
  }
  return keys;
}

constexpr char kAdminPolicy[] =
    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
    "metadata: {name: guard}\n"
    "spec: {priority: 5, subject: {namespaces: {}},\n"
    "       egress: [{action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n";

TEST(ClusterOfManifestsPoliciesTest, StateAndManifestsLandInTheCache) {
  const auto state =
      Parsed("state.yaml", std::string(kAdminPolicy) +
                               "---\napiVersion: policy.networking.k8s.io/v1alpha1\n"
                               "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\n"
                               "spec: {subject: {namespaces: {}}, ingress: [{action: Deny, from: "
                               "[{namespaces: {}}]}]}\n");
  const auto manifests = Parsed(
      "app.yaml",
      // The manifest's version of `guard` replaces the cluster's.
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
      "metadata: {name: guard, namespace: ignored}\n"
      "spec: {priority: 9, subject: {namespaces: {}}}\n---\n"
      "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\n"
      "metadata: {name: beta}\nspec: {tier: Admin, priority: 2, subject: {namespaces: {}}}\n---\n"
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
      "metadata: {name: alpha}\n"
      "spec: {tier: Baseline, priority: 1, subject: {pods: {podSelector: {}}}}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n");
  auto cluster = ClusterOfManifests(state, manifests, "team");
  ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
  EXPECT_EQ(
      PolicyKeys(**cluster),
      (std::vector<std::string>{
          "AdminNetworkPolicy/guard priority 9", "BaselineAdminNetworkPolicy/default priority 0",
          "ClusterNetworkPolicy/alpha priority 1", "ClusterNetworkPolicy/beta priority 2"}));
  for (const ClusterKind kind : kClusterPolicyKinds) {
    EXPECT_TRUE((*cluster)->Listed(kind)) << ClusterKindName(kind);
  }
  EXPECT_TRUE((*cluster)->Synced());
  // Namespaced objects still take the default namespace.
  EXPECT_EQ((*cluster)->Pods("team", {}).size(), 1u);
}

TEST(ClusterOfManifestsPoliciesTest, NoPoliciesStillListsTheirKinds) {
  auto cluster = ClusterOfManifests({}, {}, "default");
  ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
  EXPECT_TRUE((*cluster)->ClusterPolicies().empty());
  for (const ClusterKind kind : kClusterPolicyKinds) {
    EXPECT_TRUE((*cluster)->Listed(kind)) << ClusterKindName(kind);
  }
}

TEST(ClusterOfManifestsPoliciesTest, OtherVersionsOfTheGroupAreNotCached) {
  const auto manifests =
      Parsed("app.yaml",
             "apiVersion: policy.networking.k8s.io/v9\nkind: AdminNetworkPolicy\n"
             "metadata: {name: future}\nspec: {priority: high}\n---\n"
             "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: ClusterNetworkPolicy\n"
             "metadata: {name: never}\nspec: {}\n");
  auto cluster = ClusterOfManifests({}, manifests, "default");
  ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
  EXPECT_TRUE((*cluster)->ClusterPolicies().empty());
}

TEST(ClusterOfManifestsPoliciesTest, MalformedPolicyNamesFileLineAndField) {
  const auto state = Parsed("state.yaml", std::string(kAdminPolicy) +
                                              "---\napiVersion: policy.networking.k8s.io/v1beta1\n"
                                              "kind: ClusterNetworkPolicy\nmetadata: {name: bad}\n"
                                              "spec: {priority: 1, subject: {namespaces: {}}}\n");
  auto cluster = ClusterOfManifests(state, {}, "default");
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.error().file, "state.yaml");
  EXPECT_EQ(cluster.error().line, 7);
  EXPECT_EQ(cluster.error().path, "spec.tier");
  EXPECT_EQ(cluster.error().message, "missing (expected Admin or Baseline)");

  auto lenient = ClusterOfManifests(state, {}, "default", Undecodable::kLeaveOut);
  ASSERT_TRUE(lenient.ok()) << lenient.error().ToString();
  EXPECT_EQ(PolicyKeys(**lenient),
            (std::vector<std::string>{"AdminNetworkPolicy/guard priority 5"}));
}

}  // namespace
}  // namespace netadmit::cli
