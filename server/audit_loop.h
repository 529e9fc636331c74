#pragma once

// The audit `netadmit serve` keeps running: once the cluster view is ready, every interval, and
// after each change of the rules in force, it judges what exists (rules/audit.h, objects listed
// page by page) on a thread of its own under SCHED_IDLE, so that admission requests always come
// first. Results go to metrics and to PolicyReports (rules/policy_report.h), which only the
// holder of the Lease writes, and only when a report's content changed; a report whose namespace
// has nothing left to report is deleted. A failed audit keeps the reports of the last complete
// one and is tried again sooner.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/leader_election.h"
#include "kube/watcher.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/rules/policy_report.h"
#include "server/log.h"
#include "server/rule_store.h"

namespace netadmit::server {

struct AuditOptions {
  // 0: no audit. `netadmit serve` sets 10 minutes; servers embedded in tests stay hermetic.
  std::chrono::milliseconds interval{0};
  bool leader_elect = true;
  std::optional<ReportApi> report_api = ReportApi::kWgPolicy;  // nullopt: --report-api none
  int max_results = 1000;
  std::string identity;  // this replica, in the Lease; default: POD_NAME, else host name and pid
  // Tests shorten these.
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

class AuditLoop {
 public:
  // `api` (the server's API client), `cluster`, `rules` and `logger` must outlive the loop.
  AuditLoop(AuditOptions options, kube::Watcher& api, const ClusterCache& cluster,
            std::function<bool()> cluster_ready, const RuleStore& rules, std::string own_namespace,
            Logger& logger, prometheus::Registry& registry);
  ~AuditLoop();
  AuditLoop(const AuditLoop&) = delete;
  AuditLoop& operator=(const AuditLoop&) = delete;

  void Start();
  // Stops auditing and writing; the Lease is released. Idempotent.
  void Stop();

 private:
  void Run();
  bool MayWrite() const;
  // One audit; true when it completed.
  bool AuditOnce(const RuleSet& rules);
  void WriteReports(const AuditReport& report);
  std::string ReportPath(const std::string& namespace_name) const;
  std::string CollectionPath() const;

  AuditOptions options_;
  // The audit's own API client, its thread under SCHED_IDLE like the audit's (the lists' answers
  // are megabytes to decrypt and read); the Lease is renewed through the server's client, at
  // normal priority, so that a busy replica does not lose it.
  ClusterCache unused_cache_;  // the client watches nothing
  std::unique_ptr<kube::Watcher> lists_;
  const ClusterCache& cluster_;
  std::function<bool()> cluster_ready_;
  const RuleStore& rules_;
  std::string own_namespace_;
  Logger& logger_;
  std::unique_ptr<kube::LeaderElector> elector_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;

  // What each report held when last written (namespace -> content without timestamps).
  std::map<std::string, std::string> written_;
  bool warned_missing_api_ = false;

  prometheus::Family<prometheus::Gauge>& findings_;
  prometheus::Family<prometheus::Gauge>& objects_;
  prometheus::Gauge& duration_;
  prometheus::Gauge& last_success_;
  prometheus::Counter& errors_;
  prometheus::Gauge& leader_;
  std::vector<prometheus::Gauge*> finding_gauges_;
  std::vector<prometheus::Gauge*> object_gauges_;
};

}  // namespace netadmit::server
