#pragma once

// The server's connection to the cluster: the cache, the watcher that fills it, and their
// metrics. With neither --kubeconfig nor the in-cluster environment there is no connection:
// stateful rules are inactive, which is logged once at start and shown as a metric, so that
// nobody mistakes it for enforcement; everything else works as without a cluster.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/watcher.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/rule_set.h"
#include "server/log.h"

namespace netadmit::server {

struct ClusterOptions {
  std::string kubeconfig;  // a kubeconfig file; empty: in-cluster when its environment is set
  std::string context;     // kubeconfig context; empty: the current one
  // netadmit's own namespace, where rule-set ConfigMaps live. Empty: POD_NAMESPACE, then the
  // kubeconfig context's or the service account's namespace.
  std::string own_namespace;
  // Use the in-cluster configuration when KUBERNETES_SERVICE_HOST is set. `netadmit serve`
  // turns it on; servers embedded in tests stay hermetic.
  bool in_cluster = false;
  std::string service_account_dir = std::string(kube::kServiceAccountDir);
  kube::GetEnv getenv;  // default: std::getenv
  // How often to ask discovery which cluster-scoped network policy kinds are served
  // (--discovery-interval): a CRD installed or removed is noticed within this time.
  std::chrono::milliseconds discovery_interval{30'000};
  // Passed to the watcher as they are (tests shorten timeouts and backoff).
  std::function<void(kube::WatchOptions&)> adjust;
};

class ClusterLink {
 public:
  // Reads the configuration. Fails when a kubeconfig is given but unusable, or when the
  // in-cluster environment is set but its files are missing: serving as if there were no
  // cluster would silently turn the stateful rules off.
  static Result<std::unique_ptr<ClusterLink>> Create(ClusterOptions options, Logger& logger,
                                                     prometheus::Registry& registry);
  ~ClusterLink();

  // Starts watching (or logs that stateful rules are inactive).
  Status Start();
  void Stop();

  bool active() const { return watcher_ != nullptr; }
  // Ready for traffic: without a cluster always; with one, once every kind has been listed.
  bool Ready() const;
  // The cache, or nullptr without a cluster connection.
  const ClusterView* view() const { return active() ? &cache_ : nullptr; }
  const ClusterCache& cache() const { return cache_; }
  // The API client, for work of its own (the audit); nullptr without a cluster connection.
  kube::Watcher* api() const { return watcher_.get(); }
  const std::string& own_namespace() const { return own_namespace_; }

  // The NetworkPolicies of each namespace, read now from the API server (one LIST each, within
  // `timeout` each). Fails when there is no connection or a read fails.
  Result<FreshPolicies::ByNamespace> ReadPolicies(const std::vector<std::string>& namespaces,
                                                  std::chrono::milliseconds timeout) const;
  // The rule sets of the rule-set ConfigMaps in netadmit's own namespace, by ConfigMap name.
  std::vector<RuleSource> RuleSetSources() const;

  // Copies the cache's and the watcher's figures into the metrics.
  void UpdateMetrics();

 private:
  ClusterLink(Logger& logger, prometheus::Registry& registry);

  Logger& logger_;
  ClusterCache cache_;
  std::string own_namespace_;
  std::unique_ptr<kube::Watcher> watcher_;
  prometheus::Gauge& active_;
  prometheus::Gauge& synced_;
  std::array<prometheus::Gauge*, kClusterKindCount> objects_{};
  std::array<prometheus::Gauge*, kClusterKindCount> generation_{};
  std::array<prometheus::Counter*, kClusterKindCount> restarts_{};
  std::array<prometheus::Counter*, kClusterKindCount> relists_{};
  std::mutex mutex_;  // UpdateMetrics
  std::array<uint64_t, kClusterKindCount> seen_restarts_{};
  std::array<uint64_t, kClusterKindCount> seen_relists_{};
};

}  // namespace netadmit::server
