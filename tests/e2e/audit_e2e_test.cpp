// The audit against a real API server. `netadmit audit --kubeconfig`: objects that break the
// rules, made before any webhook judges them, are found, listed page by page; fixing one removes
// its result; the exit status says whether a deny rule failed. `netadmit serve`: the PolicyReports
// appear, follow a fix, and only the holder of the Lease writes them.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/e2e/e2e.h"
#include "tests/e2e/netadmit_webhook.h"
#include "tests/support/child_process.h"

namespace netadmit::e2e {
namespace {

using testing::RunProcess;
using testing::RunResult;

constexpr const char* kRules = NETADMIT_SOURCE_DIR "/tests/e2e/rules.yaml";

// (result, kind, namespace/name, rule) of every result of `netadmit audit -o json`.
using Row = std::tuple<std::string, std::string, std::string, std::string>;

std::set<Row> Rows(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  EXPECT_FALSE(document.HasParseError()) << json;
  std::set<Row> rows;
  if (document.HasParseError() || !document.HasMember("results")) {
    return rows;
  }
  for (const auto& result : document["results"].GetArray()) {
    const auto& resource = result["resource"];
    const std::string ns = resource.HasMember("namespace") ? resource["namespace"].GetString() : "";
    rows.emplace(result["result"].GetString(), resource["kind"].GetString(),
                 ns + "/" + resource["name"].GetString(),
                 result.HasMember("rule") ? result["rule"].GetString() : "");
  }
  return rows;
}

RunResult Audit(const std::vector<std::string>& more = {}) {
  std::vector<std::string> args = {
      NETADMIT_BINARY, "audit", "--kubeconfig", SharedCluster().kubeconfig(), "--rules", kRules};
  args.insert(args.end(), more.begin(), more.end());
  return RunProcess(args);
}

TEST(AuditE2eTest, FindsWhatAlreadyBreaksTheRulesAndForgetsWhatIsFixed) {
  KubeCluster& cluster = SharedCluster();
  CreateNamespace("e2e-egress");
  CreateNamespace("e2e-host");
  cluster.KubectlOk({"apply", "-f", "-"}, R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: e2e-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: on-host, namespace: e2e-host}
spec:
  selector: {matchLabels: {app: on-host}}
  template:
    metadata: {labels: {app: on-host}}
    spec:
      hostNetwork: true
      containers: [{name: c, image: registry.example/c:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: also-on-host, namespace: e2e-host}
spec:
  hostNetwork: true
  containers: [{name: c, image: registry.example/c:1}]
)");

  const RunResult first = Audit({"-o", "json"});
  ASSERT_EQ(first.exit_code, 1) << first.err << first.out;  // deny rules fail
  const std::set<Row> rows = Rows(first.out);
  EXPECT_TRUE(rows.contains(Row{"fail", "NetworkPolicy", "e2e-egress/open", "no-open-egress"}))
      << first.out;
  EXPECT_TRUE(rows.contains(Row{"fail", "Deployment", "e2e-host/on-host", "no-host-network"}))
      << first.out;
  EXPECT_TRUE(rows.contains(Row{"fail", "Pod", "e2e-host/also-on-host", "no-host-network"}))
      << first.out;

  // The text report groups by namespace; the PolicyReport form names one report per namespace.
  const RunResult text = Audit();
  EXPECT_NE(text.out.find("namespace e2e-host\n  fail  Deployment/on-host: [no-host-network]"),
            std::string::npos)
      << text.out;
  const RunResult reports = Audit({"-o", "policyreport"});
  EXPECT_NE(reports.out.find("\"kind\": \"PolicyReport\""), std::string::npos) << reports.out;
  EXPECT_NE(reports.out.find("\"namespace\": \"e2e-egress\""), std::string::npos);

  // Fixed: the policy goes, the pod goes; their results go with them.
  cluster.KubectlOk({"delete", "networkpolicy", "open", "-n", "e2e-egress"});
  cluster.KubectlOk({"delete", "pod", "also-on-host", "-n", "e2e-host", "--wait=false"});
  const RunResult second = Audit({"-o", "json"});
  const std::set<Row> after = Rows(second.out);
  EXPECT_FALSE(after.contains(Row{"fail", "NetworkPolicy", "e2e-egress/open", "no-open-egress"}));
  EXPECT_FALSE(after.contains(Row{"fail", "Pod", "e2e-host/also-on-host", "no-host-network"}));
  EXPECT_TRUE(after.contains(Row{"fail", "Deployment", "e2e-host/on-host", "no-host-network"}));
}

TEST(AuditE2eTest, ListsPageByPage) {
  // More pods than one page holds (5 here): every one is judged once.
  KubeCluster& cluster = SharedCluster();
  CreateNamespace("e2e-labels");
  std::string pods;
  for (int i = 0; i < 12; ++i) {
    pods += "apiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            ", namespace: e2e-labels}\nspec: {containers: [{name: c, image: x}]}\n---\n";
  }
  cluster.KubectlOk({"apply", "--server-side", "-f", "-"}, pods);
  const RunResult audit = Audit({"-o", "json", "--page-limit", "5"});
  ASSERT_NE(audit.exit_code, 2) << audit.err;
  int missing_labels = 0;
  for (const Row& row : Rows(audit.out)) {
    if (std::get<1>(row) == "Pod" && std::get<2>(row).starts_with("e2e-labels/p") &&
        std::get<3>(row) == "require-pod-labels") {
      ++missing_labels;
    }
  }
  EXPECT_EQ(missing_labels, 12);
}

TEST(AuditE2eTest, AnUnreachableApiServerIsBadInput) {
  const std::string kubeconfig = SharedCluster().dir() + "/unreachable.kubeconfig";
  const RunResult audit =
      RunProcess({"/bin/sh", "-c",
                  "sed 's#server: https://127.0.0.1:[0-9]*#server: "
                  "https://127.0.0.1:1#' '" +
                      SharedCluster().kubeconfig() + "' > '" + kubeconfig +
                      "' && '" NETADMIT_BINARY "' audit --kubeconfig '" + kubeconfig + "'"});
  EXPECT_EQ(audit.exit_code, 2);
  EXPECT_NE(audit.err.find("netadmit audit: list of namespaces"), std::string::npos) << audit.err;
}

// What `kubectl get` prints for `jsonpath`, or "" when it fails (no such object).
std::string Get(const std::vector<std::string>& args) {
  const RunResult result = SharedCluster().Kubectl(args);
  return result.exit_code == 0 ? result.out : "";
}

template <typename Condition>
bool Eventually(Condition condition, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return condition();
}

TEST(AuditE2eTest, ServeKeepsPolicyReportsCurrentAndOnlyTheLeaderWrites) {
  KubeCluster& cluster = SharedCluster();
  cluster.KubectlOk({"apply", "-k", SourcePath("manifests/crds/policyreports")});
  cluster.KubectlOk({"wait", "--for", "condition=established", "--timeout=30s",
                     "crd/policyreports.wgpolicyk8s.io",
                     "crd/clusterpolicyreports.wgpolicyk8s.io"});
  CreateNamespace("e2e-ingress");
  cluster.KubectlOk({"apply", "-f", "-"}, R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open-ingress, namespace: e2e-ingress}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
)");
  const std::vector<std::string> report = {"get", "policyreport", "netadmit-audit",
                                           "-n",  "e2e-ingress",  "-o"};
  auto field = [&](const std::string& jsonpath) {
    std::vector<std::string> args = report;
    args.push_back("jsonpath=" + jsonpath);
    return Get(args);
  };

  NetadmitWebhook first(cluster, NETADMIT_SOURCE_DIR "/tests/e2e/rules.yaml",
                        {"--audit-interval", "2s"});
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return field("{.summary.fail}") == "1"; }, std::chrono::seconds(20)))
      << first.Log();
  EXPECT_EQ(field("{.results[0].rule}"), "no-open-ingress");
  EXPECT_EQ(field("{.results[0].resources[0].name}"), "open-ingress");
  EXPECT_EQ(field(R"({.metadata.labels.app\.kubernetes\.io/managed-by})"), "netadmit");
  EXPECT_EQ(first.Metric("netadmit_leader"), 1);
  EXPECT_GE(first.Metric(R"(netadmit_audit_findings{result="fail",rule="no-open-ingress"})"), 1);

  // Fixed: the namespace has nothing left to report, and its report goes.
  cluster.KubectlOk({"delete", "networkpolicy", "open-ingress", "-n", "e2e-ingress"});
  EXPECT_TRUE(
      Eventually([&] { return field("{.metadata.name}").empty(); }, std::chrono::seconds(20)));

  // A second replica follows; when the leader stops, it takes over and writes.
  NetadmitWebhook second(cluster, NETADMIT_SOURCE_DIR "/tests/e2e/rules.yaml",
                         {"--audit-interval", "2s"});
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(second.Metric("netadmit_leader"), 0);
  EXPECT_EQ(first.Metric("netadmit_leader"), 1);
  first.Stop();
  EXPECT_TRUE(second.WaitForMetric("netadmit_leader", 1, std::chrono::seconds(20))) << second.Log();
  CreateNamespace("e2e-ports");
  cluster.KubectlOk({"apply", "-f", "-"}, R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open-again, namespace: e2e-ports}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
)");
  EXPECT_TRUE(Eventually(
      [&] {
        return Get({"get", "policyreport", "netadmit-audit", "-n", "e2e-ports", "-o",
                    "jsonpath={.results[*].rule}"})
                   .find("require-ports") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << second.Log();
}

}  // namespace
}  // namespace netadmit::e2e
