#pragma once

// An in-process netadmit server for tests: bound to 127.0.0.1 port 0, with a fresh CA and
// serving certificate in a temporary directory, a rule-set file there, and its log lines kept
// in memory.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/log.h"
#include "server/server.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"

namespace netadmit::testing {

// Two rules with fixed outcomes on the recorded fixtures: the open-ingress NetworkPolicies
// ("bad-allow-everything") are denied, pods without app.kubernetes.io/name get a warning.
inline constexpr std::string_view kTestRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: server-test}
spec:
  rules:
    - id: no-open-ingress
      kind: NoOpenIngress
      action: deny
    - id: require-pod-labels
      kind: RequirePodLabels
      action: warn
      params: {keys: [app.kubernetes.io/name]}
)";

// The recorded API server requests, sorted by name.
std::vector<std::string> FixtureBodies();
std::string Fixture(const std::string& name);  // file name inside apiserver-v1.28/

class TestServer {
 public:
  struct Config {
    std::string rules_yaml = std::string(kTestRules);  // empty: the embedded default rule set
    std::function<void(server::ServerOptions&)> adjust;
  };

  TestServer();
  explicit TestServer(Config config);
  ~TestServer();

  uint16_t port() const { return server_->port(); }
  server::Server& server() { return *server_; }
  const TempDir& dir() const { return dir_; }
  const TestCa& ca() const { return ca_; }
  const std::string& serial() const { return serial_; }

  // Client options that verify the server against the test CA.
  ClientOptions Client() const;
  // A connected client, or a test failure.
  std::unique_ptr<HttpsClient> Connect() const;

  // Replaces tls.crt and tls.key with a new certificate of this serial, both at once as the
  // kubelet updates a mounted Secret; returns its hex serial.
  std::string Reissue(int64_t serial);

  std::vector<std::string> Lines(server::LogStream stream) const;
  // Waits until a line of `stream` contains `needle`.
  bool WaitForLine(server::LogStream stream, std::string_view needle,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  TempDir dir_;
  TestCa ca_;
  std::string serial_;
  int generation_ = 0;  // of the certificate directories
  mutable std::mutex mutex_;
  std::vector<std::pair<server::LogStream, std::string>> lines_;
  server::Logger logger_;
  std::unique_ptr<server::Server> server_;
};

// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The value of one sample in Prometheus text, named with all its labels as prometheus-cpp
// writes them (sorted by name), e.g. `netadmit_bad_requests_total{reason="timeout"}`; -1 when
// absent.
double MetricValue(const std::string& text, std::string_view series);

}  // namespace netadmit::testing
