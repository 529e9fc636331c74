#include "tests/e2e/kube_cluster.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/support/https_client.h"

namespace netadmit::e2e {

namespace {

using namespace std::chrono_literals;

constexpr int kLogLinesOnFailure = 20;

std::optional<std::string> OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

std::string FailedToStart(const std::string& what, const ServerProcess& process) {
  return what + "; the last " + std::to_string(kLogLinesOnFailure) + " lines of " +
         process.log_file() + ":\n" + process.LogTail(kLogLinesOnFailure);
}

}  // namespace

AssetSearch FindAssets() {
  AssetSearch search;
  const char* folder = std::getenv("KUBEBUILDER_ASSETS");
  search.required = folder != nullptr && *folder != '\0';
  Assets assets;
  std::string missing;
  for (auto [name, field] :
       {std::pair{"kube-apiserver", &assets.kube_apiserver}, std::pair{"etcd", &assets.etcd},
        std::pair{"kubectl", &assets.kubectl}}) {
    std::optional<std::string> found;
    if (search.required) {
      const std::string candidate = std::string(folder) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) {
        found = std::filesystem::absolute(candidate).string();
      }
    } else {
      found = OnPath(name);
    }
    if (found) {
      *field = *found;
    } else {
      missing += (missing.empty() ? "" : ", ") + std::string(name);
    }
  }
  if (missing.empty()) {
    search.assets = assets;
  } else if (search.required) {
    search.problem = "KUBEBUILDER_ASSETS=" + std::string(folder) + " lacks " + missing;
  } else {
    search.problem = "no " + missing +
                     " on PATH; get all three with `setup-envtest use 1.28 -p path` and set "
                     "KUBEBUILDER_ASSETS to the folder it prints";
  }
  return search;
}

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) {
    close(fd);
  }
  return port;
}

std::unique_ptr<KubeCluster> KubeCluster::Start(const Assets& assets, std::string& error,
                                                std::vector<std::string> extra_apiserver_flags) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<KubeCluster> cluster(new KubeCluster(assets));
  const testing::TempDir& dir = cluster->dir_;

  // A throwaway PKI: one CA for the serving certificate and the admin's client certificate,
  // and the key pair that signs service-account tokens.
  testing::TestCa ca("netadmit e2e cluster CA");
  const testing::IssuedCertificate serving =
      ca.Issue(2, {"DNS:localhost", "IP:127.0.0.1", "DNS:kubernetes.default.svc"});
  const testing::IssuedCertificate admin = ca.IssueClient(3, "e2e-admin", "system:masters");
  const testing::KeyPair service_accounts = testing::NewKeyPair();
  dir.Write("ca.crt", ca.cert_pem());
  dir.Write("apiserver.crt", serving.cert_pem);
  dir.Write("apiserver.key", serving.key_pem);
  dir.Write("admin.crt", admin.cert_pem);
  dir.Write("admin.key", admin.key_pem);
  dir.Write("sa.key", service_accounts.private_pem);
  dir.Write("sa.pub", service_accounts.public_pem);

  cluster->apiserver_port_ = FreePort();
  cluster->kubeconfig_ = dir.File("kubeconfig");
  dir.Write("kubeconfig",
            "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n"
            "    server: https://127.0.0.1:" +
                std::to_string(cluster->apiserver_port_) + "\n    certificate-authority: " +
                dir.File("ca.crt") + "\nusers:\n- name: admin\n  user:\n    client-certificate: " +
                dir.File("admin.crt") + "\n    client-key: " + dir.File("admin.key") +
                "\ncontexts:\n- name: e2e\n  context: {cluster: e2e, user: admin}\n"
                "current-context: e2e\n");

  cluster->apiserver_flags_ = std::move(extra_apiserver_flags);
  if (!cluster->StartEtcd(error)) {
    return nullptr;
  }
  if (!cluster->StartApiServer(error)) {
    return nullptr;
  }
  cluster->start_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return cluster;
}

KubeCluster::~KubeCluster() {
  if (apiserver_) {
    apiserver_->Stop();
  }
  if (etcd_) {
    etcd_->Stop();
  }
}

bool KubeCluster::StartEtcd(std::string& error) {
  const std::string client = "http://127.0.0.1:" + std::to_string(FreePort());
  const std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
  etcd_ = ServerProcess::Start(
      {assets_.etcd, "--data-dir", dir_.File("etcd"), "--listen-client-urls", client,
       "--advertise-client-urls", client, "--listen-peer-urls", peer,
       "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer,
       // Tests write little; a small backend and no snapshots keep the start quick.
       "--quota-backend-bytes", "268435456", "--unsafe-no-fsync"},
      dir_.File("etcd.log"), error);
  if (!etcd_) {
    return false;
  }
  apiserver_flags_.insert(apiserver_flags_.begin(), "--etcd-servers=" + client);
  return true;
}

bool KubeCluster::StartApiServer(std::string& error) {
  apiserver_ = LaunchApiServer(apiserver_port_, "kube-apiserver.log", error);
  return apiserver_ != nullptr;
}

std::unique_ptr<ServerProcess> KubeCluster::StartReplica(uint16_t& port, std::string& error) {
  port = FreePort();
  return LaunchApiServer(port, "kube-apiserver-" + std::to_string(port) + ".log", error);
}

std::unique_ptr<ServerProcess> KubeCluster::LaunchApiServer(uint16_t port,
                                                            const std::string& log_name,
                                                            std::string& error) {
  std::vector<std::string> args = {
      assets_.kube_apiserver,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--secure-port=" + std::to_string(port),
      // No controller manager runs to keep the kubernetes Service's endpoints.
      "--endpoint-reconciler-type=none",
      "--tls-cert-file=" + dir_.File("apiserver.crt"),
      "--tls-private-key-file=" + dir_.File("apiserver.key"),
      "--client-ca-file=" + dir_.File("ca.crt"),
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-account-key-file=" + dir_.File("sa.pub"),
      "--service-account-signing-key-file=" + dir_.File("sa.key"),
      "--service-cluster-ip-range=10.0.0.0/24",
      "--cert-dir=" + dir_.File("apiserver-certs"),
  };
  args.insert(args.end(), apiserver_flags_.begin(), apiserver_flags_.end());
  std::unique_ptr<ServerProcess> apiserver = ServerProcess::Start(args, dir_.File(log_name), error);
  if (apiserver && !WaitReady(*apiserver, port, 45s, error)) {
    apiserver->Stop();
    apiserver.reset();
  }
  return apiserver;
}

void KubeCluster::StopApiServer() {
  if (apiserver_) {
    apiserver_->Stop();
  }
}

bool KubeCluster::WaitReady(ServerProcess& apiserver, uint16_t port, std::chrono::seconds timeout,
                            std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  testing::ClientOptions options;
  options.ca_file = dir_.File("ca.crt");
  options.timeout = 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!apiserver.Running()) {
      error = FailedToStart("kube-apiserver exited before it was ready", apiserver);
      return false;
    }
    testing::HttpsClient client(port, options);
    client.UseClientCertificate(dir_.File("admin.crt"), dir_.File("admin.key"));
    if (!client.Connect()) {
      const testing::Reply reply = client.Get("/readyz");
      if (!reply.ec && reply.response.result_int() == 200) {
        return true;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  error = FailedToStart(
      "kube-apiserver was not ready within " + std::to_string(timeout.count()) + " s", apiserver);
  return false;
}

std::vector<pid_t> KubeCluster::Pids() const {
  std::vector<pid_t> pids;
  for (const auto* process : {etcd_.get(), apiserver_.get()}) {
    if (process != nullptr) {
      pids.push_back(process->pid());
    }
  }
  return pids;
}

testing::RunResult KubeCluster::Kubectl(const std::vector<std::string>& args,
                                        const std::string& input) const {
  std::vector<std::string> command = {assets_.kubectl, "--kubeconfig", kubeconfig_};
  command.insert(command.end(), args.begin(), args.end());
  return testing::RunProcess(command, input, 60s);
}

testing::RunResult KubeCluster::KubectlVia(uint16_t port, const std::vector<std::string>& args,
                                           const std::string& input) const {
  std::vector<std::string> command = {"--server", "https://127.0.0.1:" + std::to_string(port)};
  command.insert(command.end(), args.begin(), args.end());
  return Kubectl(command, input);
}

std::string KubeCluster::KubectlOk(const std::vector<std::string>& args,
                                   const std::string& input) const {
  testing::RunResult result = Kubectl(args, input);
  std::string shown;
  for (const auto& arg : args) {
    shown += " " + arg;
  }
  EXPECT_EQ(result.exit_code, 0) << "kubectl" << shown << "\n" << result.err << result.out;
  return result.out;
}

std::string KubeCluster::WriteTokenKubeconfig(const std::string& name,
                                              const std::string& token) const {
  const std::string file = name + ".kubeconfig";
  dir_.Write(file,
             "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n"
             "    server: https://127.0.0.1:" +
                 std::to_string(apiserver_port_) +
                 "\n    certificate-authority: " + dir_.File("ca.crt") +
                 "\nusers:\n- name: " + name + "\n  user:\n    token: " + token +
                 "\ncontexts:\n- name: e2e\n  context: {cluster: e2e, user: " + name +
                 "}\ncurrent-context: e2e\n");
  return dir_.File(file);
}

}  // namespace netadmit::e2e
