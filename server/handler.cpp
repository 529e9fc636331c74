#include "server/handler.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string_view>
#include <utility>

namespace netadmit::server {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
// Reasons echo parts of the request; keep them short.
constexpr std::size_t kMaxReasonBytes = 512;

// A review left for another thread, with the rules it points into.
struct PendingReview {
  PreparedReview review;
  std::shared_ptr<const RulesInForce> in_force;
};

HttpResponse Respond(http::status status, unsigned version, std::string_view content_type,
                     std::string body) {
  HttpResponse response{status, version};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// GET and HEAD: HEAD gets GET's headers, Content-Length included, and no body.
HttpResponse ForMethod(const HttpRequest& request, HttpResponse response) {
  if (request.method() == http::verb::head) {
    const std::size_t length = response.body().size();
    response.body().clear();
    response.content_length(length);
  }
  return response;
}

}  // namespace

HttpResponse TextResponse(http::status status, unsigned version, std::string_view text) {
  return Respond(status, version, kText, OneLine(text, kMaxReasonBytes) + "\n");
}

std::string_view TargetPath(std::string_view target) { return target.substr(0, target.find('?')); }

RequestHandler::RequestHandler(const RuleStore& rules, ErrorPolicy on_error, Metrics& metrics,
                               Logger& logger, std::function<bool()> ready)
    : rules_(rules),
      on_error_(on_error),
      metrics_(metrics),
      logger_(logger),
      ready_(std::move(ready)) {}

std::chrono::milliseconds ReviewBudget(std::string_view target) {
  constexpr std::chrono::milliseconds kDefault{10'000};
  const auto query = target.find('?');
  if (query == std::string_view::npos) {
    return kDefault * 4 / 5;
  }
  std::string_view text;
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.starts_with("timeout=")) {
      text = pair.substr(8);
    }
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  // A Go duration: numbers each followed by a unit, "1m0s", "10s", "500ms".
  double total_ms = 0;
  bool read_any = false;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
      ++digits;
    }
    std::size_t unit = digits;
    while (unit < text.size() && std::isalpha(static_cast<unsigned char>(text[unit])) != 0) {
      ++unit;
    }
    double number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + digits, number);
    const std::string_view name = text.substr(digits, unit - digits);
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}, {"us", 0.001}, {"ns", 1e-6}};
    const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                     [&](const auto& known) { return known.first == name; });
    if (digits == 0 || error != std::errc() || end != text.data() + digits ||
        found == std::end(kUnits)) {
      return kDefault * 4 / 5;
    }
    total_ms += number * found->second;
    read_any = true;
    text = text.substr(unit);
  }
  if (!read_any || total_ms > 3'600'000) {
    return kDefault * 4 / 5;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms * 4 / 5));
}

HttpResponse RequestHandler::Handle(const HttpRequest& request) const {
  DeferredResponse deferred;
  std::optional<HttpResponse> response = HandleOrDefer(request, deferred);
  return response ? *std::move(response) : deferred.finish();
}

std::optional<HttpResponse> RequestHandler::HandleOrDefer(const HttpRequest& request,
                                                          DeferredResponse& deferred) const {
  const std::string_view path = TargetPath(request.target());
  const http::verb method = request.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  HttpResponse response;
  if (path == kValidatePath) {
    if (method == http::verb::post) {
      std::optional<HttpResponse> validated = Validate(request, deferred);
      if (!validated) {
        // The deferred work sets keep-alive itself.
        return std::nullopt;
      }
      response = *std::move(validated);
    } else {
      response = Refuse(BadRequest::kMethodNotAllowed, http::status::method_not_allowed, request,
                        "method not allowed: use POST for /validate");
      response.set(http::field::allow, "POST");
    }
  } else if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) {
      response = Refuse(BadRequest::kMethodNotAllowed, http::status::method_not_allowed, request,
                        "method not allowed: use GET for " + std::string(path));
      response.set(http::field::allow, "GET, HEAD");
    } else if (path == "/healthz") {
      response = ForMethod(request, TextResponse(http::status::ok, request.version(), "ok"));
    } else if (path == "/readyz") {
      const bool ready = ready_();
      response = ForMethod(
          request, TextResponse(ready ? http::status::ok : http::status::service_unavailable,
                                request.version(), ready ? "ok" : "not ready"));
    } else {
      response = ForMethod(request, Respond(http::status::ok, request.version(), kPrometheusText,
                                            metrics_.Serialize()));
    }
  } else {
    response = Refuse(BadRequest::kNotFound, http::status::not_found, request,
                      "not found: the webhook listens on POST /validate");
  }
  response.keep_alive(request.keep_alive());
  return response;
}

std::optional<HttpResponse> RequestHandler::Validate(const HttpRequest& request,
                                                     DeferredResponse& deferred) const {
  const auto started = std::chrono::steady_clock::now();
  auto decoded = DecodeAdmissionReview(request.body());
  if (!decoded) {
    const std::string reason = OneLine(decoded.error().ToString(), kMaxReasonBytes);
    logger_.Warn("bad_request",
                 {{"reason", BadRequestName(BadRequest::kInvalidReview)}, {"detail", reason}});
    return Refuse(BadRequest::kInvalidReview, http::status::bad_request, request, reason);
  }
  std::shared_ptr<const RulesInForce> in_force = rules_.InForce();
  if (in_force == nullptr) {
    // Not reachable once the server runs: it does not start without rules.
    return TextResponse(http::status::service_unavailable, request.version(),
                        "no rule set is loaded");
  }
  const ReviewOptions options{on_error_,
                              cluster_.view,
                              cluster_.rule_set_namespace,
                              &in_force->file_sources,
                              cluster_.allow_unconfirmed ? ErrorPolicy::kAllow : ErrorPolicy::kDeny,
                              exceptions_.clock(),
                              exceptions_.warning_days,
                              exceptions_.max_days};
  PreparedReview review = PrepareReview(*in_force->rules, std::move(*decoded), options);
  // The rest of the work, for another thread: evaluating unless `evaluated` is given, confirming
  // a denial that needs it, answering. The review (holding the request) moves to the heap only
  // then: most requests are answered here, without it.
  std::shared_ptr<const PendingReview> pending;
  const auto rest = [&](std::optional<ReviewResult> evaluated) {
    pending = std::make_shared<const PendingReview>(
        PendingReview{std::move(review), std::move(in_force)});
    return [this, pending, started, version = request.version(), keep_alive = request.keep_alive(),
            evaluated = std::move(evaluated)] {
      ReviewResult result = evaluated ? *evaluated : EvaluateReview(pending->review);
      if (NeedsConfirming(result)) {
        result = Confirm(pending->review, std::move(result));
      }
      HttpResponse response = Answer(pending->review.request(), result, version, started);
      response.keep_alive(keep_alive);
      return response;
    };
  };
  if (review.MayBeSlow()) {
    // A review that may take milliseconds (a Flows rule building the connectivity engine) runs
    // on a background thread, so that the connections this thread serves do not wait on it.
    metrics_.RecordOffloadedReview();
    deferred.computes = true;
    deferred.finish = rest(std::nullopt);
    const std::chrono::milliseconds budget = ReviewBudget(request.target());
    deferred.deadline = started + budget;
    deferred.overdue = [this, pending, started, budget, version = request.version(),
                        keep_alive = request.keep_alive()](Overdue why) {
      const std::string seconds = std::to_string(budget.count() / 1000) + '.' +
                                  std::to_string(budget.count() % 1000 / 100) + " s";
      const std::string reason =
          why == Overdue::kDeadline
              ? "could not finish judging this request within " + seconds +
                    " (of the API server's timeout): the connectivity engine was still busy"
              : "could not start judging this request: too many reviews that build the "
                "connectivity engine are waiting";
      metrics_.RecordOverdueReview(why == Overdue::kDeadline ? "deadline" : "queue_full");
      HttpResponse response =
          Answer(pending->review.request(),
                 OverdueReview(pending->review.request(), on_error_, reason), version, started);
      response.keep_alive(keep_alive);
      return response;
    };
    return std::nullopt;
  }
  ReviewResult result = EvaluateReview(review);
  if (!NeedsConfirming(result)) {
    return Answer(review.request(), result, request.version(), started);
  }
  // The fresh read waits on the API server, which this thread must not.
  deferred.finish = rest(std::move(result));
  return std::nullopt;
}

bool RequestHandler::NeedsConfirming(const ReviewResult& result) const {
  return !result.response.allowed && cluster_.read_policies &&
         !result.evaluation.UnconfirmedNamespaces().empty();
}

HttpResponse RequestHandler::Answer(const AdmissionRequest& request, const ReviewResult& result,
                                    unsigned http_version,
                                    std::chrono::steady_clock::time_point started) const {
  HttpResponse response = Respond(http::status::ok, http_version, kJson,
                                  EncodeAdmissionReview(request.version, result.response));
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  metrics_.RecordReview(request, result, std::chrono::duration<double>(took).count());
  logger_.Decision(request, result, took);
  return response;
}

ReviewResult RequestHandler::Confirm(const PreparedReview& review, ReviewResult denied) const {
  auto fresh = cluster_.read_policies(denied.evaluation.UnconfirmedNamespaces());
  const std::string error =
      fresh ? std::string() : OneLine(fresh.error().ToString(), kMaxReasonBytes);
  ReviewResult confirmed = ConfirmReview(review, std::move(denied), std::move(fresh));
  switch (confirmed.confirmation) {
    case Confirmation::kReadFailed:
      metrics_.RecordFreshRead(FreshRead::kFailed);
      logger_.Warn("fresh_read_failed",
                   {{"object", confirmed.object_description},
                    {"error", error},
                    {"decision", confirmed.response.allowed ? "allow" : "deny"}});
      break;
    case Confirmation::kOverturned:
      metrics_.RecordFreshRead(FreshRead::kOverturned);
      logger_.Info("fresh_read_overturned", {{"object", confirmed.object_description}});
      break;
    case Confirmation::kConfirmed:
      metrics_.RecordFreshRead(FreshRead::kConfirmed);
      break;
    case Confirmation::kNone:
      break;
  }
  return confirmed;
}

HttpResponse RequestHandler::Refuse(BadRequest reason, http::status status,
                                    const HttpRequest& request, std::string_view text) const {
  metrics_.RecordBadRequest(reason);
  return TextResponse(status, request.version(), text);
}

}  // namespace netadmit::server
