// The main of every end-to-end test binary. Finds kube-apiserver, etcd and kubectl the envtest
// way; without them, the binary is skipped (exit 77) with one line saying how to get them, unless
// KUBEBUILDER_ASSETS names a folder, in which case a missing binary fails it. Prints how many
// tests ran and how long they took.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "tests/e2e/e2e.h"

namespace netadmit::e2e {

namespace {

Assets found_assets;
std::unique_ptr<KubeCluster> shared_cluster;
std::string cluster_error;  // why the cluster did not start, once it failed
bool reported_start = false;

class StopSharedCluster : public ::testing::Environment {
 public:
  void TearDown() override { shared_cluster.reset(); }
};

}  // namespace

const Assets& FoundAssets() { return found_assets; }

KubeCluster& SharedCluster() {
  if (!shared_cluster && cluster_error.empty()) {
    shared_cluster = KubeCluster::Start(found_assets, cluster_error);
    if (!shared_cluster) {
      cluster_error = "the cluster did not start: " + cluster_error;
    }
  }
  if (!shared_cluster) {
    // Every later test fails at once with the same reason rather than starting it again.
    throw std::runtime_error(cluster_error);
  }
  if (shared_cluster->start_time().count() > 0 && !reported_start) {
    reported_start = true;
    std::printf("e2e: kube-apiserver ready in %.1f s\n",
                static_cast<double>(shared_cluster->start_time().count()) / 1000.0);
  }
  return *shared_cluster;
}

void CreateNamespace(const std::string& name, const std::vector<std::string>& labels) {
  std::string manifest = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n";
  if (!labels.empty()) {
    manifest += "  labels:\n";
    for (const auto& label : labels) {
      const auto equals = label.find('=');
      manifest += "    " + label.substr(0, equals) + ": \"" + label.substr(equals + 1) + "\"\n";
    }
  }
  manifest +=
      "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n"
      "  namespace: " +
      name + "\n";
  SharedCluster().KubectlOk({"apply", "-f", "-"}, manifest);
}

std::string Printed(const testing::RunResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout:\n" + result.out + "stderr:\n" +
         result.err;
}

}  // namespace netadmit::e2e

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const netadmit::e2e::AssetSearch search = netadmit::e2e::FindAssets();
  if (!search.assets) {
    if (search.required) {
      std::fprintf(stderr, "e2e: %s\n", search.problem.c_str());
      return 1;
    }
    std::printf("e2e: skipped: %s\n", search.problem.c_str());
    return 77;
  }
  netadmit::e2e::found_assets = *search.assets;
  ::testing::AddGlobalTestEnvironment(new netadmit::e2e::StopSharedCluster);
  const auto started = std::chrono::steady_clock::now();
  const int status = RUN_ALL_TESTS();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  std::printf("e2e: %d tests in %.1f s\n", ::testing::UnitTest::GetInstance()->test_to_run_count(),
              seconds.count());
  return status;
}
