#pragma once

// Routing and answering of complete HTTP requests. Knows nothing of sockets, TLS or timeouts: it
// takes a parsed request and returns the response to write. Decisions are the core's
// (PrepareReview, EvaluateReview, ConfirmReview); this only routes, says where the work runs,
// does the fresh read, measures and logs.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/rules/review.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/rule_store.h"

namespace netadmit::server {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// The largest request body accepted (the API server's own limit for an AdmissionReview is about
// 3 MiB: an object and its old version).
inline constexpr std::size_t kBodyLimit = 3 * 1024 * 1024;
// The largest request head (request line and headers) accepted.
inline constexpr std::size_t kHeaderLimit = 16 * 1024;

inline constexpr std::string_view kValidatePath = "/validate";

// A plain-text response; `text` becomes one line.
HttpResponse TextResponse(http::status status, unsigned version, std::string_view text);

// The path of a request target, without its query string ("/validate?timeout=10s").
std::string_view TargetPath(std::string_view target);

// What the handler may know of the cluster. Without a connection `view` is null and the rules
// that need it are inactive.
struct ClusterAccess {
  const ClusterView* view = nullptr;
  // netadmit's own namespace: rule-set ConfigMaps written there are validated. Empty: none.
  std::string rule_set_namespace;
  // Reads the NetworkPolicies of namespaces afresh from the API server. Blocking and bounded in
  // time; called only to confirm a denial that rests on a policy the cache lacks.
  std::function<Result<FreshPolicies::ByNamespace>(const std::vector<std::string>&)> read_policies;
  // When that read fails: keep the denial (false, the default) or admit with a warning.
  bool allow_unconfirmed = false;
};

// Rule exceptions at admission: the clock they expire by, and the days before expiry from which a
// request that relies on one is warned (--exception-warning-days), and how far ahead a rule-set
// ConfigMap's exceptions may expire (--max-exception-days).
struct ExceptionSettings {
  std::function<TimePoint()> clock = [] { return std::chrono::system_clock::now(); };
  int warning_days = kDefaultExceptionWarningDays;
  int max_days = kDefaultMaxExceptionDays;
};

// How long a review may take: four fifths of the `timeout` the API server puts in the request
// target ("/validate?timeout=10s", a Go duration: 10s, 1m0s, 500ms), leaving the rest for the
// answer's way back; 10 s (the API server's default) when absent or unreadable.
std::chrono::milliseconds ReviewBudget(std::string_view target);

class RequestHandler {
 public:
  // `ready` says whether the server should be in a load balancer's rotation.
  RequestHandler(const RuleStore& rules, ErrorPolicy on_error, Metrics& metrics, Logger& logger,
                 std::function<bool()> ready);

  // Connects the stateful rules to the cluster. Called once, before requests arrive.
  void SetCluster(ClusterAccess cluster) { cluster_ = std::move(cluster); }
  // Sets the clock and limits of rule exceptions. Called once, before requests arrive.
  void SetExceptions(ExceptionSettings exceptions) { exceptions_ = std::move(exceptions); }

  //   POST /validate         AdmissionReview in, AdmissionReview out (400 when it does not decode)
  //   GET  /healthz          200 while the process lives
  //   GET  /readyz           200 when rules are loaded and the server accepts, else 503
  //   GET  /metrics          Prometheus text
  // Other methods on these paths get 405 with Allow; other paths 404. The response's
  // keep-alive follows the request's.
  HttpResponse Handle(const HttpRequest& request) const;

  // Work left for another thread, which yields the response; see HandleOrDefer.
  // Why a computing review is answered before it ends.
  enum class Overdue {
    kDeadline,   // the API server would stop waiting first
    kQueueFull,  // too many such reviews wait already
  };
  struct DeferredResponse {
    std::function<HttpResponse()> finish;
    // It computes for long (a review that builds the connectivity engine), rather than waiting
    // on the API server: to run where it takes only the CPU that serving requests leaves.
    bool computes = false;
    // With `computes`: when the answer is due (from the request's ?timeout=, see ReviewBudget),
    // and the answer to give instead of `finish`'s when it cannot be had by then: the error
    // policy's, saying why.
    std::chrono::steady_clock::time_point deadline{};
    std::function<HttpResponse(Overdue)> overdue;
  };
  // As Handle, except that a review needing a fresh read from the API server (rare: a denial
  // resting on a policy the cache lacks), or one that may take milliseconds
  // (PreparedReview::MayBeSlow), is not finished on the calling thread, which serves other
  // connections: the answer is nullopt and `deferred` is set to the rest of the work, to run
  // where blocking is fine.
  std::optional<HttpResponse> HandleOrDefer(const HttpRequest& request,
                                            DeferredResponse& deferred) const;

 private:
  std::optional<HttpResponse> Validate(const HttpRequest& request,
                                       DeferredResponse& deferred) const;
  HttpResponse Answer(const AdmissionRequest& request, const ReviewResult& result,
                      unsigned http_version, std::chrono::steady_clock::time_point started) const;
  // A denial that rests on a policy the cache lacks, and a way to read it afresh.
  bool NeedsConfirming(const ReviewResult& result) const;
  // Reads the policies `denied` rests on afresh (blocking) and has the core confirm it; counts
  // and logs how that went.
  ReviewResult Confirm(const PreparedReview& review, ReviewResult denied) const;
  HttpResponse Refuse(BadRequest reason, http::status status, const HttpRequest& request,
                      std::string_view text) const;

  const RuleStore& rules_;
  ErrorPolicy on_error_;
  Metrics& metrics_;
  Logger& logger_;
  std::function<bool()> ready_;
  ClusterAccess cluster_;
  ExceptionSettings exceptions_;
};

}  // namespace netadmit::server
