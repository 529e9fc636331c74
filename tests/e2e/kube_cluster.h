#pragma once

// A real Kubernetes control plane for the end-to-end suite, the way controller-runtime's envtest
// makes one: etcd and kube-apiserver on loopback, on free ports, with a throwaway PKI and data
// directory of their own, and a kubeconfig for an admin in system:masters. No controller
// manager, scheduler or kubelet: objects are stored and admitted, pods never run.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"
#include "tests/support/child_process.h"
#include "tests/support/test_certs.h"

namespace netadmit::e2e {

// Where the three binaries are.
struct Assets {
  std::string kube_apiserver;
  std::string etcd;
  std::string kubectl;
};

struct AssetSearch {
  std::optional<Assets> assets;
  // KUBEBUILDER_ASSETS names the folder: a missing binary is then an error, not a reason to
  // skip (CI sets it and must run the suite).
  bool required = false;
  std::string problem;  // what is missing and how to get it, when `assets` is empty
};

// The envtest way: the folder named by KUBEBUILDER_ASSETS holding kube-apiserver, etcd and
// kubectl; without the variable, each from PATH.
AssetSearch FindAssets();

// A port nobody listens on now on 127.0.0.1.
uint16_t FreePort();

class KubeCluster {
 public:
  // Starts etcd, then kube-apiserver, and waits until /readyz answers 200. On failure returns
  // nullptr and an `error` that ends with the last 20 lines of the failing server's log.
  static std::unique_ptr<KubeCluster> Start(const Assets& assets, std::string& error,
                                            std::vector<std::string> extra_apiserver_flags = {});
  ~KubeCluster();  // stops both servers by process id and removes the directory
  KubeCluster(const KubeCluster&) = delete;
  KubeCluster& operator=(const KubeCluster&) = delete;

  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& dir() const { return dir_.path(); }
  uint16_t apiserver_port() const { return apiserver_port_; }
  std::chrono::milliseconds start_time() const { return start_time_; }
  // The ids of the running servers.
  std::vector<pid_t> Pids() const;

  // kubectl with this cluster's kubeconfig; `input` is its standard input.
  testing::RunResult Kubectl(const std::vector<std::string>& args,
                             const std::string& input = "") const;
  // The same, failing the current test (with kubectl's stderr) unless it exits 0.
  std::string KubectlOk(const std::vector<std::string>& args, const std::string& input = "") const;

  // Stops kube-apiserver (etcd keeps the data) and starts it again on the same port.
  void StopApiServer();
  bool StartApiServer(std::string& error);
  // Another kube-apiserver on the same etcd, as a highly available control plane runs several,
  // on a port of its own (set in `port`); nullptr and `error` when it does not come up.
  std::unique_ptr<ServerProcess> StartReplica(uint16_t& port, std::string& error);
  // kubectl through the API server on `port` instead of the cluster's own.
  testing::RunResult KubectlVia(uint16_t port, const std::vector<std::string>& args,
                                const std::string& input = "") const;

  // A kubeconfig for a token-bearing user (e.g. a service account's token), in dir().
  std::string WriteTokenKubeconfig(const std::string& name, const std::string& token) const;

 private:
  explicit KubeCluster(const Assets& assets) : assets_(assets) {}
  bool StartEtcd(std::string& error);
  std::unique_ptr<ServerProcess> LaunchApiServer(uint16_t port, const std::string& log_name,
                                                 std::string& error);
  bool WaitReady(ServerProcess& apiserver, uint16_t port, std::chrono::seconds timeout,
                 std::string& error);

  Assets assets_;
  testing::TempDir dir_;
  std::vector<std::string> apiserver_flags_;
  std::string kubeconfig_;
  uint16_t apiserver_port_ = 0;
  std::chrono::milliseconds start_time_{0};
  std::unique_ptr<ServerProcess> etcd_;
  std::unique_ptr<ServerProcess> apiserver_;
};

}  // namespace netadmit::e2e
