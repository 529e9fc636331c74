// The cluster-scoped network policies against a real API server, whose CRDs come and go:
// netadmit starts on a cluster without them (ready, nothing logged as an error); the CRDs of
// tests/fixtures/crds/ installed with kubectl are found by discovery within its interval (1 s
// here) and their objects reach the cluster view, as netadmit_cluster_objects shows, and the
// audit's lists; a CRD deleted makes its kind forgotten. `netadmit audit --kubeconfig` asks
// discovery the same way.

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "tests/e2e/e2e.h"
#include "tests/e2e/netadmit_webhook.h"
#include "tests/support/child_process.h"

namespace netadmit::e2e {
namespace {

using namespace std::chrono_literals;

std::string Objects(const std::string& kind) {
  return "netadmit_cluster_objects{kind=\"" + kind + "\"}";
}

// Waits until `series` reads exactly `value`.
bool WaitForExactly(NetadmitWebhook& netadmit, const std::string& series, double value,
                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (netadmit.Metric(series) == value) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// How many objects `netadmit audit --kubeconfig` judged (its text report's last line), or -1
// when it failed (exit status 2) or printed no count.
int AuditedObjects() {
  const testing::RunResult audit =
      testing::RunProcess({NETADMIT_BINARY, "audit", "--kubeconfig", SharedCluster().kubeconfig(),
                           "--rules", SourcePath("tests/e2e/rules.yaml")});
  EXPECT_NE(audit.exit_code, 2) << audit.err;
  std::smatch count;
  if (audit.exit_code == 2 ||
      !std::regex_search(audit.out, count, std::regex(R"((\d+) objects? audited)"))) {
    return -1;
  }
  return std::stoi(count[1]);
}

constexpr const char* kPolicies = R"(
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: e2e-deny-dev-to-prod}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
    - {name: from-dev, action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: e2e-pass-dns}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  egress:
    - action: Pass
      to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
      protocols: [{udp: {destinationPort: {number: 53}}}]
)";

TEST(ClusterPoliciesE2e, CrdsInstalledAreWatchedAndCrdsDeletedAreForgotten) {
  KubeCluster& cluster = SharedCluster();
  NetadmitWebhook netadmit(cluster, SourcePath("tests/e2e/rules.yaml"),
                           {"--discovery-interval", "1s", "--audit-interval", "1s", "--report-api",
                            "none", "--leader-elect=false"});
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const int audited_before = AuditedObjects();  // no CRD yet: nothing of them listed, no error
  ASSERT_GE(audited_before, 0);
  // Ready without the CRDs, and nothing to complain about.
  EXPECT_EQ(netadmit.Metric("netadmit_cluster_synced"), 1);
  EXPECT_EQ(netadmit.Metric(Objects("adminnetworkpolicies")), 0);
  EXPECT_EQ(netadmit.Log().find("\"level\":\"error\""), std::string::npos) << netadmit.Log();

  cluster.KubectlOk({"apply", "-f", SourcePath("tests/fixtures/crds")});
  cluster.KubectlOk({"wait", "--for", "condition=established", "--timeout=30s",
                     "crd/adminnetworkpolicies.policy.networking.k8s.io",
                     "crd/baselineadminnetworkpolicies.policy.networking.k8s.io",
                     "crd/clusternetworkpolicies.policy.networking.k8s.io"});
  // Created through the webhook, which reviews the cluster-scoped policies too.
  const testing::RunResult created = cluster.Kubectl({"apply", "-f", "-"}, kPolicies);
  ASSERT_EQ(created.exit_code, 0) << Printed(created) << netadmit.Log();

  // Within the discovery interval (and a LIST), the view holds them; the audit lists them too.
  for (const char* kind :
       {"adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies"}) {
    EXPECT_TRUE(WaitForExactly(netadmit, Objects(kind), 1, 5s)) << kind << "\n" << netadmit.Log();
  }
  // The webhook judges them with what the view holds: an Admin policy may not share priority 5
  // with e2e-pass-dns, whose subject (every namespace) overlaps its own.
  const testing::RunResult refused = cluster.Kubectl({"apply", "-f", "-"}, R"(
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: e2e-same-priority}
spec:
  priority: 5
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {matchLabels: {env: prod}}}]}]
)");
  EXPECT_NE(refused.exit_code, 0) << Printed(refused);
  EXPECT_NE(refused.err.find("denied the request"), std::string::npos) << Printed(refused);
  EXPECT_NE(refused.err.find("[distinct-priorities]"), std::string::npos) << Printed(refused);
  EXPECT_NE(refused.err.find("e2e-pass-dns"), std::string::npos) << Printed(refused);
  EXPECT_TRUE(netadmit.WaitForMetric("netadmit_audit_objects{kind=\"AdminNetworkPolicy\"}", 1, 10s))
      << netadmit.Log();
  EXPECT_EQ(netadmit.Get("/readyz"), 200);
  EXPECT_EQ(AuditedObjects(), audited_before + 3);

  // A CRD deleted: its objects go, and the kind is no longer watched.
  cluster.KubectlOk({"delete", "crd", "adminnetworkpolicies.policy.networking.k8s.io"});
  EXPECT_TRUE(WaitForExactly(netadmit, Objects("adminnetworkpolicies"), 0, 10s)) << netadmit.Log();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (netadmit.Log().find("\"watch_kind_gone\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(netadmit.Log().find("\"watch_kind_gone\""), std::string::npos) << netadmit.Log();
  EXPECT_EQ(netadmit.Metric(Objects("clusternetworkpolicies")), 1);
  EXPECT_EQ(netadmit.Get("/readyz"), 200);
  EXPECT_EQ(netadmit.Log().find("\"level\":\"error\""), std::string::npos) << netadmit.Log();
  EXPECT_EQ(AuditedObjects(), audited_before + 2);

  // Left as the suite found it: no CRD of the group.
  cluster.KubectlOk({"delete", "-f", SourcePath("tests/fixtures/crds"), "--ignore-not-found"});
}

}  // namespace
}  // namespace netadmit::e2e
