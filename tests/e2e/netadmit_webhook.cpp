#include "tests/e2e/netadmit_webhook.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <thread>

#include "tests/e2e/e2e.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"

namespace netadmit::e2e {

namespace {

using namespace std::chrono_literals;

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return std::string(NETADMIT_SOURCE_DIR) + "/" + relative;
}

NetadmitWebhook::NetadmitWebhook(const KubeCluster& cluster, const std::string& rules_file,
                                 std::vector<std::string> extra_flags)
    : cluster_(cluster) {
  Install(rules_file, std::move(extra_flags));
}

void NetadmitWebhook::Install(const std::string& rules_file, std::vector<std::string> extra_flags) {
  // The serving certificate, made as a developer makes one; its CA becomes the caBundle.
  const testing::RunResult certs =
      testing::RunProcess({SourcePath("scripts/dev-certs.sh"), dir_.File("certs")});
  ASSERT_EQ(certs.exit_code, 0) << certs.err;

  cluster_.KubectlOk({"apply", "-f", SourcePath("manifests/base/namespace.yaml"), "-f",
                      SourcePath("manifests/base/rbac.yaml")});
  // The rule set, as the kustomize base ships its own: a labeled ConfigMap in netadmit-system.
  const std::string configmap = cluster_.KubectlOk(
      {"-n", "netadmit-system", "create", "configmap", "netadmit-rules-e2e",
       "--from-file=rules.yaml=" + rules_file, "--dry-run=client", "-o", "yaml"});
  const std::string labeled = cluster_.KubectlOk(
      {"label", "--local", "-f", "-", "netadmit.io/rule-set=true", "-o", "yaml"}, configmap);
  cluster_.KubectlOk({"apply", "-f", "-"}, labeled);

  const std::string token = cluster_.KubectlOk(
      {"-n", "netadmit-system", "create", "token", "netadmit", "--duration", "2h"});
  ASSERT_FALSE(token.empty());
  const std::string kubeconfig =
      cluster_.WriteTokenKubeconfig("netadmit", token.substr(0, token.find_last_not_of('\n') + 1));

  port_ = FreePort();
  args_ = {NETADMIT_BINARY,
           "serve",
           "--listen",
           "127.0.0.1:" + std::to_string(port_),
           "--tls-cert",
           dir_.File("certs/tls.crt"),
           "--tls-key",
           dir_.File("certs/tls.key"),
           "--kubeconfig",
           kubeconfig,
           "--rules-configmaps",
           "--namespace",
           "netadmit-system",
           "--threads",
           "2"};
  args_.insert(args_.end(), extra_flags.begin(), extra_flags.end());
  Start();
  if (::testing::Test::HasFatalFailure()) {
    return;
  }

  // The shipped registration, with both webhooks sent to this process instead of the Service.
  const std::string client_config = "{\"url\":\"https://127.0.0.1:" + std::to_string(port_) +
                                    "/validate\",\"caBundle\":\"" +
                                    Base64(testing::ReadFile(dir_.File("certs/ca.crt"))) + "\"}";
  const std::string patch =
      "[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig\",\"value\":" + client_config +
      "},{\"op\":\"replace\",\"path\":\"/webhooks/1/clientConfig\","
      "\"value\":" +
      client_config + "}]";
  const std::string registration =
      cluster_.KubectlOk({"patch", "--local", "-f", SourcePath("manifests/base/webhook.yaml"),
                          "--type=json", "-p", patch, "-o", "yaml"});
  cluster_.KubectlOk({"apply", "-f", "-"}, registration);
}

NetadmitWebhook::~NetadmitWebhook() {
  // Unregister first: a webhook that fails closed would refuse the namespaces' teardown.
  cluster_.Kubectl({"delete", "validatingwebhookconfiguration", "netadmit", "--ignore-not-found"});
  Stop();
}

void NetadmitWebhook::Start() {
  std::string error;
  process_ = ServerProcess::Start(args_, dir_.File("netadmit.log"), error);
  ASSERT_NE(process_, nullptr) << error;
  ASSERT_TRUE(WaitFor("/readyz", 200, 30s)) << "netadmit not ready; its log:\n" << Log();
}

void NetadmitWebhook::Stop() {
  if (process_) {
    process_->Stop();
  }
}

bool NetadmitWebhook::Running() { return process_ && process_->Running(); }

std::optional<testing::Response> NetadmitWebhook::Fetch(const std::string& path) {
  testing::ClientOptions options;
  options.ca_file = dir_.File("certs/ca.crt");
  options.timeout = 2s;
  testing::HttpsClient client(port_, options);
  if (client.Connect()) {
    return std::nullopt;
  }
  testing::Reply reply = client.Get(path);
  if (reply.ec) {
    return std::nullopt;
  }
  return std::move(reply.response);
}

int NetadmitWebhook::Get(const std::string& path) {
  const std::optional<testing::Response> response = Fetch(path);
  return response ? response->result_int() : 0;
}

double NetadmitWebhook::Metric(const std::string& series) {
  const std::optional<testing::Response> response = Fetch("/metrics");
  if (!response || response->result_int() != 200) {
    return -1;
  }
  const std::string& body = response->body();
  const std::string prefix = "\n" + series + " ";
  const auto found = body.find(prefix);
  if (found == std::string::npos) {
    return -1;
  }
  return std::stod(body.substr(found + prefix.size()));
}

bool NetadmitWebhook::WaitForMetric(const std::string& series, double value,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Metric(series) >= value) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

bool NetadmitWebhook::WaitFor(const std::string& path, int status,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Get(path) == status) {
      return true;
    }
    if (!Running()) {
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::unique_ptr<NetadmitWebhook> NetadmitSuite::webhook_;

void NetadmitSuite::SetUpTestSuite() {
  webhook_ = std::make_unique<NetadmitWebhook>(SharedCluster(), SourcePath("tests/e2e/rules.yaml"));
}

void NetadmitSuite::TearDownTestSuite() { webhook_.reset(); }

void NetadmitSuite::SetUp() {
  ASSERT_TRUE(webhook_ != nullptr && webhook_->Running()) << "netadmit did not start";
}

std::string NetadmitWebhook::Log() const {
  try {
    return testing::ReadFile(dir_.File("netadmit.log"));
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace netadmit::e2e
