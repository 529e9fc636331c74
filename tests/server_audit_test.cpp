// The audit netadmit serve runs, against the test API server: it audits once the view is ready
// and again every interval; a list that fails is logged, counted and tried again, and the next
// complete audit goes through; without the report CRDs it warns once and writes nothing.

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fake_apiserver.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;

std::string WatchFixture(const std::string& name) {
  // Appended, not `std::string(dir) + "/..." + name`: GCC 12 at -O2 warns -Warray-bounds inside
  // libstdc++ on that temporary (a false positive, GCC bug 105651).
  std::string path = NETADMIT_FIXTURES_DIR "/apiserver-v1.28-watch/";
  path += name;
  return ReadFile(path);
}

double Metric(TestServer& server, const std::string& series) {
  auto client = server.Connect();
  if (!client) {
    return -1;
  }
  const std::string body = client->Get("/metrics").response.body();
  const auto at = body.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + series.size() + 2));
}

class ServerAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.Load(FakeApiServer::NetworkPolicies(), WatchFixture("01-netpol-list-all.body"));
    api_.Load(FakeApiServer::Namespaces(), WatchFixture("02-namespaces-list.body"));
    api_.Load(FakeApiServer::Pods(), WatchFixture("02-pods-list-all.body"));
    api_.Serve(FakeApiServer::ConfigMaps("netadmit-system"));
    for (const auto& collection : FakeApiServer::Workloads()) {
      api_.Serve(collection);
    }
    api_.SetToken("secret");
  }

  TestServer::Config WithAudit() {
    dir_.Write("api-ca.crt", api_.ca().cert_pem());
    dir_.Write("kubeconfig",
               "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
               "contexts: [{name: test, context: {cluster: fake, user: netadmit, "
               "namespace: netadmit-system}}]\n"
               "clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:" +
                   std::to_string(api_.port()) +
                   "', certificate-authority: api-ca.crt}}]\n"
                   "users: [{name: netadmit, user: {token: secret}}]\n");
    TestServer::Config config;
    const std::string kubeconfig = dir_.File("kubeconfig");
    config.adjust = [kubeconfig](server::ServerOptions& options) {
      options.cluster.kubeconfig = kubeconfig;
      options.audit.interval = 300ms;
      options.audit.leader_elect = false;
    };
    return config;
  }

  FakeApiServer api_;
  TempDir dir_;
};

TEST_F(ServerAuditTest, AFailedListIsCountedAndTheNextAuditGoesThrough) {
  // Deployments answer 500 until the outage ends.
  FakeApiServer::Fault outage;
  outage.path = "/apis/apps/v1/deployments";
  outage.status = 500;
  outage.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":500})";
  outage.repeat = true;
  api_.AddFault(outage);
  TestServer server(WithAudit());
  ASSERT_TRUE(server.WaitForLine(server::LogStream::kEvent, "\"event\":\"audit_failed\"", 15s));
  EXPECT_GE(Metric(server, "netadmit_audit_errors_total"), 1);
  EXPECT_EQ(Metric(server, "netadmit_audit_last_success_timestamp_seconds"), 0);

  api_.ClearFaults();
  // Tried again within the interval (a failed audit waits at most 30 s, here 300 ms).
  ASSERT_TRUE(server.WaitForLine(server::LogStream::kEvent, "\"event\":\"audit_complete\"", 15s));
  EXPECT_GT(Metric(server, "netadmit_audit_last_success_timestamp_seconds"), 0);
  EXPECT_EQ(Metric(server, "netadmit_leader"), 1);  // --leader-elect=false: it writes
  // The recorded cluster's pods were judged.
  EXPECT_GT(Metric(server, R"(netadmit_audit_objects{kind="Pod"})"), 0);
  // The test API server has no report CRDs: said once, and the audits go on.
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "\"event\":\"report_api_missing\"", 5s))
      << ::testing::PrintToString(server.Lines(server::LogStream::kEvent));
}

TEST_F(ServerAuditTest, TheClusterScopedPoliciesServedAreAuditedAtTheVersionDiscoveryFinds) {
  api_.Add(
      FakeApiServer::AdminNetworkPolicies(),
      R"({"metadata":{"name":"deny-dev"},"spec":{"priority":10,"subject":{"namespaces":{}}}})");
  api_.Add(FakeApiServer::ClusterNetworkPolicies("v1alpha2"),
           R"({"metadata":{"name":"pass-dns"},"spec":{"tier":"Admin","priority":5,)"
           R"("subject":{"namespaces":{}}}})");
  TestServer server(WithAudit());
  ASSERT_TRUE(server.WaitForLine(server::LogStream::kEvent, "\"event\":\"audit_complete\"", 15s))
      << ::testing::PrintToString(server.Lines(server::LogStream::kEvent));
  EXPECT_EQ(Metric(server, R"(netadmit_audit_objects{kind="AdminNetworkPolicy"})"), 1);
  EXPECT_EQ(Metric(server, R"(netadmit_audit_objects{kind="ClusterNetworkPolicy"})"), 1);
  // What is not served is not listed: no 404 to fail the audit.
  int unserved = 0;
  for (const auto& request : api_.Requests()) {
    unserved += request.target.starts_with("/apis/policy.networking.k8s.io/v1beta1/") ||
                request.target.starts_with(
                    "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies");
  }
  EXPECT_EQ(unserved, 0);
  EXPECT_EQ(Metric(server, "netadmit_audit_errors_total"), 0);
  // The cluster view watches them too.
  EXPECT_EQ(Metric(server, R"(netadmit_cluster_objects{kind="adminnetworkpolicies"})"), 1);
  EXPECT_EQ(Metric(server, R"(netadmit_cluster_objects{kind="baselineadminnetworkpolicies"})"), 0);
}

}  // namespace
}  // namespace netadmit::testing
