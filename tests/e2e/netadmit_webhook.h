#pragma once

// `netadmit serve` on the host, registered with a real API server the way a cluster registers
// it: manifests/base's namespace, RBAC and ValidatingWebhookConfiguration, with the webhooks'
// clientConfig pointed at https://127.0.0.1:PORT/validate and the caBundle of a certificate
// made by scripts/dev-certs.sh. netadmit reads the cluster as its own service account
// (a token of netadmit-system/netadmit), so the RBAC it ships with is what it runs on.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/kube_cluster.h"
#include "tests/e2e/server_process.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"

namespace netadmit::e2e {

class NetadmitWebhook {
 public:
  // Installs namespace, RBAC and the rule-set ConfigMap made from `rules_file`, starts
  // netadmit and waits for /readyz, then registers the webhooks. Failures fail the current test
  // (ASSERT-style: check HasFatalFailure()).
  NetadmitWebhook(const KubeCluster& cluster, const std::string& rules_file,
                  std::vector<std::string> extra_flags = {});
  ~NetadmitWebhook();

  // Starts netadmit again (after Stop) on the same port and certificate; waits for /readyz.
  void Start();
  void Stop();
  bool Running();
  // GET path on netadmit's port: the status code, or 0 when nothing answers.
  int Get(const std::string& path);
  // The value of one series of /metrics, e.g. `netadmit_cluster_objects{kind="pods"}`; -1 when
  // netadmit does not answer or has no such series.
  double Metric(const std::string& series);
  // Waits until Metric(series) is at least `value`; false at the timeout.
  bool WaitForMetric(const std::string& series, double value, std::chrono::milliseconds timeout);
  // Waits until GET `path` answers `status`; false at the timeout.
  bool WaitFor(const std::string& path, int status, std::chrono::milliseconds timeout);
  // The log (netadmit's standard output and error) so far.
  std::string Log() const;

 private:
  std::optional<testing::Response> Fetch(const std::string& path);
  void Install(const std::string& rules_file, std::vector<std::string> extra_flags);

  const KubeCluster& cluster_;
  testing::TempDir dir_;
  uint16_t port_ = 0;
  std::vector<std::string> args_;
  std::unique_ptr<ServerProcess> process_;
};

// A test suite whose tests share one netadmit serving tests/e2e/rules.yaml (every rule kind,
// each confined to namespaces of its own) on the binary's cluster.
class NetadmitSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;  // fails the test when netadmit did not start

  static NetadmitWebhook& Webhook() { return *webhook_; }

 private:
  static std::unique_ptr<NetadmitWebhook> webhook_;
};

// The source tree's root (manifests/, scripts/, tests/e2e/).
std::string SourcePath(const std::string& relative);

}  // namespace netadmit::e2e
