// Outages, with a real API server: the API server goes away for 5 s and comes back (netadmit,
// not restarted, stays ready and resumes its watches, seeing what another API server replica
// stored meanwhile); netadmit goes away (failurePolicy Fail refuses what it reviews, while
// kube-system and netadmit-system stay writable).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "tests/e2e/e2e.h"
#include "tests/e2e/netadmit_webhook.h"

namespace netadmit::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kPolicyCount = "netadmit_cluster_objects{kind=\"networkpolicies\"}";
const std::string kPolicyWatchRestarts =
    "netadmit_cluster_watch_restarts_total{kind=\"networkpolicies\"}";

std::string DefaultDeny(const std::string& namespace_name) {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, "
         "namespace: " +
         namespace_name + "}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";
}

std::string PodIn(const std::string& namespace_name) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: " + namespace_name +
         "}\nspec:\n  containers: [{name: app, image: registry.example/app:1}]\n";
}

using DisruptionE2e = NetadmitSuite;

TEST_F(DisruptionE2e, ApiServerAwayForFiveSecondsIsRecoveredFromWithoutRestart) {
  KubeCluster& cluster = SharedCluster();
  CreateNamespace("e2e-dd-away");
  const double policies = Webhook().Metric(kPolicyCount);
  const double restarts = Webhook().Metric(kPolicyWatchRestarts);
  ASSERT_GE(policies, 0);

  cluster.StopApiServer();
  const auto stopped = std::chrono::steady_clock::now();
  // Meanwhile another API server replica on the same etcd stores the namespace's default-deny.
  uint16_t replica_port = 0;
  std::string error;
  {
    std::unique_ptr<ServerProcess> replica = cluster.StartReplica(replica_port, error);
    ASSERT_NE(replica, nullptr) << error;
    const testing::RunResult created =
        cluster.KubectlVia(replica_port, {"apply", "-f", "-"}, DefaultDeny("e2e-dd-away"));
    ASSERT_EQ(created.exit_code, 0) << Printed(created);
  }
  // docs/operating.md: while the API server cannot be reached, /readyz stays ready.
  EXPECT_EQ(Webhook().Get("/readyz"), 200);
  std::this_thread::sleep_until(stopped + 5s);
  EXPECT_EQ(Webhook().Get("/readyz"), 200);
  ASSERT_TRUE(cluster.StartApiServer(error)) << error;

  // The watches resume and the view learns of the policy, by the watch, not a fresh read.
  EXPECT_TRUE(Webhook().WaitForMetric(kPolicyWatchRestarts, restarts + 1, 30s)) << Webhook().Log();
  EXPECT_TRUE(Webhook().WaitForMetric(kPolicyCount, policies + 1, 30s)) << Webhook().Log();
  EXPECT_TRUE(Webhook().Running());
  const testing::RunResult admitted = cluster.Kubectl({"apply", "-f", "-"}, PodIn("e2e-dd-away"));
  EXPECT_EQ(admitted.exit_code, 0) << Printed(admitted);
}

// A NetworkPolicy is what netadmit reviews everywhere but in the two excluded namespaces (a Pod
// would meet netadmit-system's restricted Pod Security level first).
TEST_F(DisruptionE2e, NetadmitAwayFailsClosedOutsideTheExcludedNamespaces) {
  KubeCluster& cluster = SharedCluster();
  CreateNamespace("e2e-stopped");
  Webhook().Stop();

  const testing::RunResult refused =
      cluster.Kubectl({"apply", "-f", "-"}, DefaultDeny("e2e-stopped"));
  EXPECT_NE(refused.exit_code, 0) << Printed(refused);
  EXPECT_THAT(refused.err, HasSubstr("failed calling webhook \"validate.netadmit.io\""))
      << Printed(refused);
  for (const std::string namespace_name : {"kube-system", "netadmit-system"}) {
    const testing::RunResult admitted =
        cluster.Kubectl({"apply", "-f", "-"}, DefaultDeny(namespace_name));
    EXPECT_EQ(admitted.exit_code, 0) << namespace_name << "\n" << Printed(admitted);
  }

  Webhook().Start();
  const testing::RunResult back = cluster.Kubectl({"apply", "-f", "-"}, DefaultDeny("e2e-stopped"));
  EXPECT_EQ(back.exit_code, 0) << Printed(back);
}

}  // namespace
}  // namespace netadmit::e2e
