#include "server/audit_loop.h"

#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <set>
#include <utility>

#include "kube/list_pages.h"
#include "kube/protocol.h"
#include "kube/thread_priority.h"
#include "netadmit/codec/decode.h"
#include "netadmit/rules/audit.h"

namespace netadmit::server {

namespace {

namespace http = boost::beast::http;

constexpr std::chrono::milliseconds kWriteTimeout{10'000};
// After a failed audit: tried again this soon, or at the interval if that is sooner.
constexpr std::chrono::milliseconds kRetryAfterFailure{30'000};
constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by=netadmit";

std::string DefaultIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    return pod;
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

}  // namespace

AuditLoop::AuditLoop(AuditOptions options, kube::Watcher& api, const ClusterCache& cluster,
                     std::function<bool()> cluster_ready, const RuleStore& rules,
                     std::string own_namespace, Logger& logger, prometheus::Registry& registry)
    : options_(std::move(options)),
      cluster_(cluster),
      cluster_ready_(std::move(cluster_ready)),
      rules_(rules),
      own_namespace_(std::move(own_namespace)),
      logger_(logger),
      findings_(prometheus::BuildGauge()
                    .Name("netadmit_audit_findings")
                    .Help("Results of the last complete audit, by rule and result")
                    .Register(registry)),
      objects_(prometheus::BuildGauge()
                   .Name("netadmit_audit_objects")
                   .Help("Objects judged by the last complete audit, by kind")
                   .Register(registry)),
      duration_(prometheus::BuildGauge()
                    .Name("netadmit_audit_duration_seconds")
                    .Help("How long the last complete audit took")
                    .Register(registry)
                    .Add({})),
      last_success_(prometheus::BuildGauge()
                        .Name("netadmit_audit_last_success_timestamp_seconds")
                        .Help("When the last complete audit ended (seconds since the epoch)")
                        .Register(registry)
                        .Add({})),
      errors_(prometheus::BuildCounter()
                  .Name("netadmit_audit_errors_total")
                  .Help("Audits that failed, and report writes the API server refused")
                  .Register(registry)
                  .Add({})),
      leader_(prometheus::BuildGauge()
                  .Name("netadmit_leader")
                  .Help("1 on the replica that holds the audit's Lease and writes the reports")
                  .Register(registry)
                  .Add({})) {
  if (options_.identity.empty()) {
    options_.identity = DefaultIdentity();
  }
  kube::WatchOptions lists = api.options();
  lists.resources.clear();
  lists.discover_cluster_policies = false;  // it asks discovery itself, once per audit
  lists.idle_priority = true;
  lists_ = std::make_unique<kube::Watcher>(std::move(lists), unused_cache_);
  if (options_.leader_elect) {
    kube::LeaseOptions lease;
    lease.namespace_name = own_namespace_;
    lease.identity = options_.identity;
    lease.lease_duration = options_.lease_duration;
    lease.renew_deadline = options_.renew_deadline;
    lease.retry_period = options_.retry_period;
    lease.on_change = [this](bool leading) {
      leader_.Set(leading ? 1 : 0);
      logger_.Info(leading ? "audit_leader" : "audit_follower",
                   {{"identity", options_.identity}, {"lease", "netadmit-audit"}});
      if (leading) {
        wake_.notify_all();  // the new leader writes its reports without waiting a whole interval
      }
    };
    elector_ = std::make_unique<kube::LeaderElector>(api, std::move(lease));
  } else {
    leader_.Set(1);
  }
}

AuditLoop::~AuditLoop() { Stop(); }

void AuditLoop::Start() {
  if (auto started = lists_->Start(); !started) {
    logger_.Error("audit_client_failed", {{"error", started.error().ToString()}});
    return;
  }
  if (elector_) {
    elector_->Start();
  }
  thread_ = std::thread([this] {
    kube::RunThisThreadWhenIdle();
    Run();
  });
}

void AuditLoop::Stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (elector_) {
    elector_->Stop();  // releases the Lease
  }
  lists_->Stop();
  leader_.Set(0);
}

bool AuditLoop::MayWrite() const { return !elector_ || elector_->Leading(); }

void AuditLoop::Run() {
  std::shared_ptr<const RuleSet> audited;  // the rules of the last complete audit
  bool wrote_as_leader = false;
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::shared_ptr<const RuleSet> rules = rules_.Current();
    const auto now = std::chrono::steady_clock::now();
    const bool leading = MayWrite();
    // Due: the interval passed, the rules changed, or this replica just became the leader.
    const bool due = now >= next || rules != audited || (leading && !wrote_as_leader);
    if (due && rules != nullptr && cluster_ready_()) {
      lock.unlock();
      const bool complete = AuditOnce(*rules);
      lock.lock();
      if (complete) {
        audited = rules;
        wrote_as_leader = leading;
        next = std::chrono::steady_clock::now() + options_.interval;
      } else {
        next = std::chrono::steady_clock::now() + std::min(options_.interval, kRetryAfterFailure);
        audited = rules;  // retried at `next`, not at once
      }
    }
    if (!leading) {
      wrote_as_leader = false;
    }
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

bool AuditLoop::AuditOnce(const RuleSet& rules) {
  const auto started = std::chrono::steady_clock::now();
  Audit audit(rules, cluster_);
  bool stopped = false;
  // The cluster-scoped policies where discovery finds them now, as `netadmit audit` lists them.
  const Status listed = kube::ForEachAuditedKind(*lists_, [&](const AuditedKind& kind) -> Status {
    const TypeMeta type{std::string(kind.api_version), std::string(kind.kind)};
    if (Status items =
            kube::ListItems(*lists_, kind.path, "list of " + type.kind + "s",
                            [&](const rapidjson::Value& item) { audit.Judge(item, &type); });
        !items) {
      return items;
    }
    // Stopping ends the lists early, through an Error that `stopped` marks as no failure.
    const std::lock_guard lock(mutex_);
    stopped = stopping_;
    return stopped ? Status(Error{"", 0, 0, "", "stopping"}) : Status(Ok{});
  });
  if (stopped) {
    return false;
  }
  if (!listed) {
    errors_.Increment();
    logger_.Warn("audit_failed", {{"error", listed.error().ToString()},
                                  {"kept", "the reports of the last complete audit"}});
    return false;
  }
  audit.JudgeCluster();
  const AuditReport report = audit.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  for (prometheus::Gauge* gauge : finding_gauges_) {
    gauge->Set(0);  // rules gone from the set read 0, not their last count
  }
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const AuditResult& result : report.results) {
    ++counts[{result.rule, AuditOutcomeName(result.result)}];
  }
  for (const auto& [key, count] : counts) {
    prometheus::Gauge& gauge = findings_.Add({{"rule", key.first}, {"result", key.second}});
    gauge.Set(count);
    finding_gauges_.push_back(&gauge);
  }
  for (const auto& [kind, count] : report.objects_by_kind) {
    objects_.Add({{"kind", kind}}).Set(count);
  }
  duration_.Set(seconds);
  last_success_.Set(static_cast<double>(std::time(nullptr)));
  logger_.Info("audit_complete", {{"seconds", std::to_string(seconds)},
                                  {"fail", report.summary.fail},
                                  {"warn", report.summary.warn},
                                  {"error", report.summary.error},
                                  {"pass", report.summary.pass}});
  if (options_.report_api && MayWrite()) {
    WriteReports(report);
  }
  return true;
}

std::string AuditLoop::CollectionPath() const {
  return *options_.report_api == ReportApi::kOpenReports
             ? "/apis/openreports.io/v1alpha1/reports"
             : "/apis/wgpolicyk8s.io/v1alpha2/policyreports";
}

std::string AuditLoop::ReportPath(const std::string& namespace_name) const {
  const bool open = *options_.report_api == ReportApi::kOpenReports;
  const std::string group =
      open ? "/apis/openreports.io/v1alpha1/" : "/apis/wgpolicyk8s.io/v1alpha2/";
  if (namespace_name.empty()) {
    return group + (open ? "clusterreports" : "clusterpolicyreports") + "/netadmit-audit";
  }
  return group + "namespaces/" + kube::QueryEscape(namespace_name) + "/" +
         (open ? "reports" : "policyreports") + "/netadmit-audit";
}

void AuditLoop::WriteReports(const AuditReport& report) {
  const auto now = static_cast<long long>(std::time(nullptr));
  // The content without the results' timestamps: what decides whether a report changed.
  std::map<std::string, std::string> content;
  for (ReportObject& object :
       PolicyReports(report, *options_.report_api, options_.max_results, 0)) {
    content[object.namespace_name] = std::move(object.json);
  }
  std::vector<ReportObject> objects =
      PolicyReports(report, *options_.report_api, options_.max_results, now);
  for (const ReportObject& object : objects) {
    std::string& written = written_[object.namespace_name];
    if (written == content[object.namespace_name] || !MayWrite()) {
      continue;
    }
    auto answer = lists_->SendNow(
        kube::ApiWrite{http::verb::patch, object.json, "application/apply-patch+yaml"},
        ReportPath(object.namespace_name) + "?fieldManager=netadmit&force=true", kWriteTimeout);
    if (answer && (answer->status == 200 || answer->status == 201)) {
      written = content[object.namespace_name];
      continue;
    }
    written.clear();
    if (answer && answer->status == 404) {
      if (!warned_missing_api_) {
        warned_missing_api_ = true;
        logger_.Warn("report_api_missing",
                     {{"path", ReportPath(object.namespace_name)},
                      {"meaning",
                       "the report CRDs are not installed: results go to metrics and "
                       "the log only; tried again every audit"}});
      }
      return;
    }
    errors_.Increment();
    logger_.Warn("report_write_failed",
                 {{"namespace", object.namespace_name},
                  {"error", answer ? "HTTP " + std::to_string(answer->status) + ": " +
                                         answer->body.substr(0, 300)
                                   : answer.error().ToString()}});
  }
  warned_missing_api_ = false;
  // Reports of namespaces with nothing left to report.
  std::set<std::string> stale;
  const Status listed = kube::ListItems(
      *lists_, CollectionPath() + "?labelSelector=" + kube::QueryEscape(kManagedBy),
      "list of reports", [&](const rapidjson::Value& item) {
        const rapidjson::Value* metadata = JsonMember(item, "metadata");
        const rapidjson::Value* ns = metadata ? JsonMember(*metadata, "namespace") : nullptr;
        if (ns != nullptr && ns->IsString() && !content.contains(ns->GetString())) {
          stale.insert(ns->GetString());
        }
      });
  if (!listed) {
    return;  // tried again after the next audit
  }
  if (!content.contains("")) {
    stale.insert("");
  }
  for (const std::string& namespace_name : stale) {
    if (!MayWrite()) {
      return;
    }
    auto answer = lists_->SendNow(kube::ApiWrite{http::verb::delete_, "", "application/json"},
                                  ReportPath(namespace_name), kWriteTimeout);
    if (answer && (answer->status == 200 || answer->status == 404)) {
      written_.erase(namespace_name);
    }
  }
}

}  // namespace netadmit::server
