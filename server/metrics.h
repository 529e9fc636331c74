#pragma once

// The Prometheus metrics of the webhook, kept in one prometheus-cpp Registry and served as text
// on GET /metrics. Every method is safe to call from many threads.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "netadmit/rules/review.h"

namespace netadmit::server {

// Reasons a request is refused before it reaches the rules; the `reason` label of
// netadmit_bad_requests_total.
enum class BadRequest {
  kInvalidReview,     // 400: the body is not a usable AdmissionReview
  kMalformedHttp,     // 400: the HTTP message does not parse
  kBodyTooLarge,      // 413
  kHeadersTooLarge,   // 431
  kMethodNotAllowed,  // 405
  kNotFound,          // 404
  kTimeout,           // the request did not arrive within the request timeout
  kOverloaded,        // 503: too many requests in flight
};
const char* BadRequestName(BadRequest reason);

// How a fresh read that confirms a denial ended; the `result` label of
// netadmit_fresh_reads_total.
enum class FreshRead {
  kConfirmed,   // the API server agrees with the cache: denied
  kOverturned,  // the policy was there after all (the cache was behind): admitted
  kFailed,      // the API server could not be read
};

// The values of the `kind` label of netadmit_requests_total: the kinds a webhook configuration
// would send, and "other".
inline constexpr size_t kKindLabels = 11;

class Metrics {
 public:
  Metrics();

  // One reviewed request: counts it by kind, operation and decision, counts each finding by rule
  // and action, and observes the time taken.
  void RecordReview(const AdmissionRequest& request, const ReviewResult& result, double seconds);
  void RecordBadRequest(BadRequest reason);
  void RecordRuleSetLoad(bool ok, size_t rules_in_force);
  // The exceptions of the rules in force, by state (netadmit_exceptions).
  void RecordExceptions(size_t active, size_t expiring, size_t expired);
  void RecordCertificateLoad(bool ok);
  void RecordFreshRead(FreshRead result);
  // A review that may take milliseconds, run away from the connection threads.
  void RecordOffloadedReview();
  // A review that builds the connectivity engine answered by the error policy before it ended:
  // "deadline" (the API server would have stopped waiting) or "queue_full".
  void RecordOverdueReview(const std::string& reason);
  void RecordRefusedConnection();
  void RecordHandshakeError();
  void ConnectionOpened();
  void ConnectionClosed();
  void RequestStarted();
  void RequestFinished();

  // The Prometheus text exposition format.
  std::string Serialize() const;
  // For parts of the server that keep metrics of their own (the cluster connection).
  prometheus::Registry& registry() { return *registry_; }

 private:
  // The counters of the hot path, looked up by their labels once: Family::Add builds a label map
  // per call, a dozen allocations per request.
  prometheus::Counter& RequestCounter(size_t kind_index, Operation operation, bool allowed);
  prometheus::Counter& ViolationCounter(std::string_view rule_id, Action action);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& violations_;
  prometheus::Family<prometheus::Counter>& exempted_;
  prometheus::Family<prometheus::Gauge>& exceptions_;
  prometheus::Histogram& duration_;
  prometheus::Counter& ruleset_load_errors_;
  prometheus::Counter& ruleset_loads_;
  prometheus::Gauge& rules_in_force_;
  prometheus::Family<prometheus::Counter>& bad_requests_;
  prometheus::Counter& certificate_load_errors_;
  prometheus::Counter& certificate_loads_;
  prometheus::Counter& refused_connections_;
  prometheus::Counter& handshake_errors_;
  prometheus::Family<prometheus::Counter>& fresh_reads_;
  prometheus::Counter& offloaded_reviews_;
  prometheus::Family<prometheus::Counter>& overdue_reviews_;
  prometheus::Gauge& open_connections_;
  prometheus::Gauge& in_flight_;

  // By kind label, operation (CREATE, UPDATE, DELETE, CONNECT) and decision (denied, allowed).
  std::array<std::array<std::array<std::atomic<prometheus::Counter*>, 2>, 4>, kKindLabels>
      request_counters_{};
  using ByAction = std::array<prometheus::Counter*, 3>;  // deny, warn, audit
  std::mutex violation_counters_mutex_;
  std::map<std::string, ByAction, std::less<>> violation_counters_;
};

}  // namespace netadmit::server
