// The webhook with and without a cluster connection: stateful rules reported inactive without
// one; with one (a kubeconfig pointing at the test API server), /readyz waits for the first list
// of every kind and /metrics shows the cache and the watches.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
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

std::string Metrics(TestServer& server) {
  auto client = server.Connect();
  return client ? client->Get("/metrics").response.body() : std::string();
}

unsigned ReadyStatus(TestServer& server) {
  auto client = server.Connect();
  return client ? client->Get("/readyz").response.result_int() : 0;
}

// A kubeconfig for the test API server, with the CA as a file and a bearer token.
std::string WriteKubeconfig(const TempDir& dir, const FakeApiServer& api) {
  dir.Write("api-ca.crt", api.ca().cert_pem());
  dir.Write("kubeconfig",
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            "contexts: [{name: test, context: {cluster: fake, user: netadmit, "
            "namespace: netadmit-system}}]\n"
            "clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:" +
                std::to_string(api.port()) +
                "', certificate-authority: api-ca.crt}}]\n"
                "users: [{name: netadmit, user: {token: secret}}]\n");
  return dir.File("kubeconfig");
}

class ServerClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.Load(FakeApiServer::NetworkPolicies(), WatchFixture("01-netpol-list-all.body"));
    api_.Load(FakeApiServer::Namespaces(), WatchFixture("02-namespaces-list.body"));
    api_.Load(FakeApiServer::Pods(), WatchFixture("02-pods-list-all.body"));
    api_.Load(FakeApiServer::ConfigMaps("netadmit-system"),
              WatchFixture("03-configmaps-list-labelselector.body"));
    api_.SetToken("secret");
  }

  TestServer::Config WithCluster() {
    TestServer::Config config;
    const std::string kubeconfig = WriteKubeconfig(dir_, api_);
    config.adjust = [kubeconfig](server::ServerOptions& options) {
      options.cluster.kubeconfig = kubeconfig;
      options.cluster.adjust = [](kube::WatchOptions& watch) {
        watch.backoff_initial = 10ms;
        watch.backoff_max = 50ms;
      };
    };
    return config;
  }

  FakeApiServer api_;
  TempDir dir_;
};

TEST_F(ServerClusterTest, WithoutAClusterStatefulRulesAreInactive) {
  TestServer server;
  EXPECT_TRUE(
      server.WaitForLine(server::LogStream::kEvent, "\"event\":\"stateful_rules_inactive\""));
  EXPECT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  EXPECT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(server), "netadmit_stateful_rules_active") == 0; }));
  EXPECT_FALSE(server.server().cluster().active());
  EXPECT_EQ(server.server().cluster().view(), nullptr);
}

TEST_F(ServerClusterTest, ReadyOnlyAfterTheFirstListOfEveryKind) {
  FakeApiServer::Fault slow;
  slow.path = "/api/v1/pods";
  slow.list_only = true;
  slow.delay = 1500ms;
  api_.AddFault(slow);
  TestServer server(WithCluster());
  EXPECT_EQ(ReadyStatus(server), 503u);
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  ASSERT_NE(server.server().cluster().view(), nullptr);
  EXPECT_TRUE(server.server().cluster().view()->Synced());
  EXPECT_EQ(server.server().cluster().own_namespace(), "netadmit-system");
  ASSERT_TRUE(Eventually([&] {
    return MetricValue(Metrics(server), "netadmit_cluster_objects{kind=\"pods\"}") == 4;
  }));
  const std::string metrics = Metrics(server);
  EXPECT_EQ(MetricValue(metrics, "netadmit_stateful_rules_active"), 1);
  EXPECT_EQ(MetricValue(metrics, "netadmit_cluster_synced"), 1);
  EXPECT_EQ(MetricValue(metrics, "netadmit_cluster_objects{kind=\"networkpolicies\"}"), 5);
  EXPECT_EQ(MetricValue(metrics, "netadmit_cluster_objects{kind=\"namespaces\"}"), 8);
  EXPECT_EQ(MetricValue(metrics, "netadmit_cluster_objects{kind=\"configmaps\"}"), 2);
  EXPECT_EQ(MetricValue(metrics, "netadmit_cluster_relists_total{kind=\"pods\"}"), 0);
  for (const auto& request : api_.Requests()) {
    EXPECT_EQ(request.authorization, "Bearer secret");
  }
}

TEST_F(ServerClusterTest, MetricsCountWatchRestartsAndRelists) {
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  FakeApiServer::Fault held;
  held.path = "/api/v1/pods";
  held.watch_only = true;
  held.delay = 300ms;
  api_.AddFault(held);
  api_.DropWatches();
  // A change the held watch has not seen, then compaction: its version is too old.
  api_.Add(FakeApiServer::Pods(), R"({"metadata":{"name":"p","namespace":"shop"}})");
  api_.Compact();
  EXPECT_TRUE(Eventually([&] {
    const std::string metrics = Metrics(server);
    return MetricValue(metrics, "netadmit_cluster_watch_restarts_total{kind=\"pods\"}") >= 1 &&
           MetricValue(metrics, "netadmit_cluster_relists_total{kind=\"pods\"}") == 1;
  }));
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "\"event\":\"watch_expired\""));
}

TEST_F(ServerClusterTest, UnusableKubeconfigRefusesToStart) {
  dir_.Write("kubeconfig", "current-context: nowhere\n");
  TestServer::Config config;
  config.adjust = [this](server::ServerOptions& options) {
    options.cluster.kubeconfig = dir_.File("kubeconfig");
  };
  EXPECT_THROW(TestServer{config}, std::runtime_error);
}

TEST_F(ServerClusterTest, InClusterEnvironmentWithoutItsFilesRefusesToStart) {
  TestServer::Config config;
  config.adjust = [this](server::ServerOptions& options) {
    options.cluster.in_cluster = true;
    options.cluster.service_account_dir = dir_.File("serviceaccount");
    options.cluster.getenv = [](const char* name) -> const char* {
      const std::string key(name);
      return key == "KUBERNETES_SERVICE_HOST"   ? "127.0.0.1"
             : key == "KUBERNETES_SERVICE_PORT" ? "6443"
                                                : nullptr;
    };
  };
  EXPECT_THROW(TestServer{config}, std::runtime_error);
}

}  // namespace
}  // namespace netadmit::testing
