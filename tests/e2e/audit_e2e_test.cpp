// `netadmit audit --kubeconfig` against a real API server: objects that break the rules, made
// before any webhook judges them, are found, listed page by page; fixing one removes its result;
// the exit status says whether a deny rule failed.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/e2e/e2e.h"
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
  // More pods than one page holds (500): every one is judged once.
  KubeCluster& cluster = SharedCluster();
  CreateNamespace("e2e-labels");
  std::string pods;
  for (int i = 0; i < 520; ++i) {
    pods += "apiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            ", namespace: e2e-labels}\nspec: {containers: [{name: c, image: x}]}\n---\n";
  }
  cluster.KubectlOk({"apply", "--server-side", "-f", "-"}, pods);
  const RunResult audit = Audit({"-o", "json"});
  ASSERT_NE(audit.exit_code, 2) << audit.err;
  int missing_labels = 0;
  for (const Row& row : Rows(audit.out)) {
    if (std::get<1>(row) == "Pod" && std::get<2>(row).starts_with("e2e-labels/p") &&
        std::get<3>(row) == "require-pod-labels") {
      ++missing_labels;
    }
  }
  EXPECT_EQ(missing_labels, 520);
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

}  // namespace
}  // namespace netadmit::e2e
