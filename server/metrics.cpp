#include "server/metrics.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <sstream>

namespace netadmit::server {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Latency buckets from 50 µs to 2.5 s: a review takes microseconds; the API server gives up
// after timeoutSeconds (10 s at most by default), so anything past 2.5 s is already trouble.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5};

// The `kind` label takes only kinds a webhook configuration would send; anything else is
// "other", so that a client cannot grow the label set without bound.
constexpr std::array<std::string_view, kKindLabels - 1> kKnownKinds = {
    "NetworkPolicy",         "Pod",       "Deployment", "ReplicaSet",
    "StatefulSet",           "DaemonSet", "Job",        "CronJob",
    "ReplicationController", "Namespace"};

// The index of the kind's label: a known kind, or the last one, "other".
size_t KindLabelIndex(std::string_view kind) {
  for (size_t i = 0; i < kKnownKinds.size(); ++i) {
    if (kind == kKnownKinds[i]) {
      return i;
    }
  }
  return kKnownKinds.size();
}

std::string KindLabel(size_t index) {
  return index < kKnownKinds.size() ? std::string(kKnownKinds[index]) : "other";
}

}  // namespace

const char* BadRequestName(BadRequest reason) {
  switch (reason) {
    case BadRequest::kInvalidReview:
      return "invalid_review";
    case BadRequest::kMalformedHttp:
      return "malformed_http";
    case BadRequest::kBodyTooLarge:
      return "body_too_large";
    case BadRequest::kHeadersTooLarge:
      return "headers_too_large";
    case BadRequest::kMethodNotAllowed:
      return "method_not_allowed";
    case BadRequest::kNotFound:
      return "not_found";
    case BadRequest::kTimeout:
      return "timeout";
    case BadRequest::kOverloaded:
      return "overloaded";
  }
  return "unknown";
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(BuildCounter()
                    .Name("netadmit_admission_requests_total")
                    .Help("Admission requests reviewed, by kind, operation and decision.")
                    .Register(*registry_)),
      violations_(BuildCounter()
                      .Name("netadmit_rule_violations_total")
                      .Help("Findings reported by rules, by rule id and action.")
                      .Register(*registry_)),
      exempted_(BuildCounter()
                    .Name("netadmit_exempted_findings_total")
                    .Help("Findings an exception waived, by exception and rule.")
                    .Register(*registry_)),
      exceptions_(BuildGauge()
                      .Name("netadmit_exceptions")
                      .Help("Exceptions in the rules in force, by state (active, expiring within "
                            "the warning days, expired).")
                      .Register(*registry_)),
      duration_(BuildHistogram()
                    .Name("netadmit_admission_duration_seconds")
                    .Help("Time from a complete request body to its encoded response.")
                    .Register(*registry_)
                    .Add({}, kDurationBuckets)),
      ruleset_load_errors_(BuildCounter()
                               .Name("netadmit_ruleset_load_errors_total")
                               .Help("Rule-set loads that failed; the previous rules stay.")
                               .Register(*registry_)
                               .Add({})),
      ruleset_loads_(BuildCounter()
                         .Name("netadmit_ruleset_loads_total")
                         .Help("Rule sets loaded and put in force.")
                         .Register(*registry_)
                         .Add({})),
      rules_in_force_(BuildGauge()
                          .Name("netadmit_rules_in_force")
                          .Help("Rules in the rule set currently in force.")
                          .Register(*registry_)
                          .Add({})),
      bad_requests_(BuildCounter()
                        .Name("netadmit_bad_requests_total")
                        .Help("Requests refused before review, by reason.")
                        .Register(*registry_)),
      certificate_load_errors_(BuildCounter()
                                   .Name("netadmit_certificate_load_errors_total")
                                   .Help("Certificate/key loads that failed; the previous pair "
                                         "stays in use.")
                                   .Register(*registry_)
                                   .Add({})),
      certificate_loads_(BuildCounter()
                             .Name("netadmit_certificate_loads_total")
                             .Help("Certificate/key pairs loaded and put in use.")
                             .Register(*registry_)
                             .Add({})),
      refused_connections_(BuildCounter()
                               .Name("netadmit_connections_refused_total")
                               .Help("Connections closed at once because the connection cap "
                                     "was reached.")
                               .Register(*registry_)
                               .Add({})),
      handshake_errors_(BuildCounter()
                            .Name("netadmit_tls_handshake_errors_total")
                            .Help("TLS handshakes that failed or timed out.")
                            .Register(*registry_)
                            .Add({})),
      fresh_reads_(BuildCounter()
                       .Name("netadmit_fresh_reads_total")
                       .Help("Reads from the API server that confirm a denial resting on a "
                             "NetworkPolicy the cache lacked, by result (confirmed, overturned, "
                             "failed).")
                       .Register(*registry_)),
      offloaded_reviews_(BuildCounter()
                             .Name("netadmit_offloaded_reviews_total")
                             .Help("Reviews that may take milliseconds (a Flows rule building "
                                   "the connectivity engine), run on a background thread "
                                   "instead of a connection thread.")
                             .Register(*registry_)
                             .Add({})),
      overdue_reviews_(BuildCounter()
                           .Name("netadmit_overdue_reviews_total")
                           .Help("Offloaded reviews answered by the error policy before they "
                                 "ended, by reason: deadline (the API server's timeout would "
                                 "have come first), queue_full.")
                           .Register(*registry_)),
      open_connections_(BuildGauge()
                            .Name("netadmit_connections_open")
                            .Help("Connections currently open.")
                            .Register(*registry_)
                            .Add({})),
      in_flight_(BuildGauge()
                     .Name("netadmit_requests_in_flight")
                     .Help("Requests to /validate being read or answered.")
                     .Register(*registry_)
                     .Add({})) {
  // Every reason shows from the start, at zero, so that rates and alerts need no special case.
  for (BadRequest reason :
       {BadRequest::kInvalidReview, BadRequest::kMalformedHttp, BadRequest::kBodyTooLarge,
        BadRequest::kHeadersTooLarge, BadRequest::kMethodNotAllowed, BadRequest::kNotFound,
        BadRequest::kTimeout, BadRequest::kOverloaded}) {
    bad_requests_.Add({{"reason", BadRequestName(reason)}});
  }
  RecordExceptions(0, 0, 0);
}

void Metrics::RecordReview(const AdmissionRequest& request, const ReviewResult& result,
                           double seconds) {
  RequestCounter(KindLabelIndex(request.kind.kind), request.operation, result.response.allowed)
      .Increment();
  for (const auto& finding : result.evaluation.findings) {
    if (finding.exemption) {
      // Rare, and bounded by the exceptions and rules loaded: no cache of counters.
      exempted_.Add({{"exception", finding.exemption->exception}, {"rule", finding.rule_id}})
          .Increment();
      continue;
    }
    ViolationCounter(finding.rule_id, finding.action).Increment();
  }
  duration_.Observe(seconds);
}

prometheus::Counter& Metrics::RequestCounter(size_t kind_index, Operation operation, bool allowed) {
  std::atomic<prometheus::Counter*>& handle =
      request_counters_[kind_index][static_cast<size_t>(operation)][allowed ? 1 : 0];
  prometheus::Counter* counter = handle.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same counter to every thread that asks, so a race here only
    // looks it up twice.
    counter = &requests_.Add({{"kind", KindLabel(kind_index)},
                              {"operation", OperationName(operation)},
                              {"decision", allowed ? "allowed" : "denied"}});
    handle.store(counter, std::memory_order_release);
  }
  return *counter;
}

prometheus::Counter& Metrics::ViolationCounter(std::string_view rule_id, Action action) {
  const std::lock_guard lock(violation_counters_mutex_);
  auto found = violation_counters_.find(rule_id);
  if (found == violation_counters_.end()) {
    found = violation_counters_.emplace(std::string(rule_id), ByAction{}).first;
  }
  prometheus::Counter*& counter = found->second[static_cast<size_t>(action)];
  if (counter == nullptr) {
    counter = &violations_.Add({{"rule", found->first}, {"action", ActionName(action)}});
  }
  return *counter;
}

void Metrics::RecordBadRequest(BadRequest reason) {
  bad_requests_.Add({{"reason", BadRequestName(reason)}}).Increment();
}

void Metrics::RecordRuleSetLoad(bool ok, size_t rules_in_force) {
  if (ok) {
    ruleset_loads_.Increment();
    rules_in_force_.Set(static_cast<double>(rules_in_force));
  } else {
    ruleset_load_errors_.Increment();
  }
}

void Metrics::RecordExceptions(size_t active, size_t expiring, size_t expired) {
  for (const auto& [state, count] :
       {std::pair{ExceptionState::kActive, active}, std::pair{ExceptionState::kExpiring, expiring},
        std::pair{ExceptionState::kExpired, expired}}) {
    exceptions_.Add({{"state", ExceptionStateName(state)}}).Set(static_cast<double>(count));
  }
}

void Metrics::RecordCertificateLoad(bool ok) {
  (ok ? certificate_loads_ : certificate_load_errors_).Increment();
}

void Metrics::RecordRefusedConnection() { refused_connections_.Increment(); }

void Metrics::RecordHandshakeError() { handshake_errors_.Increment(); }

void Metrics::RecordFreshRead(FreshRead result) {
  const char* name = "failed";
  switch (result) {
    case FreshRead::kConfirmed:
      name = "confirmed";
      break;
    case FreshRead::kOverturned:
      name = "overturned";
      break;
    case FreshRead::kFailed:
      name = "failed";
      break;
  }
  fresh_reads_.Add({{"result", name}}).Increment();
}

void Metrics::RecordOffloadedReview() { offloaded_reviews_.Increment(); }

void Metrics::RecordOverdueReview(const std::string& reason) {
  overdue_reviews_.Add({{"reason", reason}}).Increment();
}

void Metrics::ConnectionOpened() { open_connections_.Increment(); }

void Metrics::ConnectionClosed() { open_connections_.Decrement(); }

void Metrics::RequestStarted() { in_flight_.Increment(); }

void Metrics::RequestFinished() { in_flight_.Decrement(); }

std::string Metrics::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace netadmit::server
