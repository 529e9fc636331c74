#include "server/handler.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>

namespace netadmit::server {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
// Reasons echo parts of the request; keep them short.
constexpr std::size_t kMaxReasonBytes = 512;
// How much of a failed fresh read's error an admission warning repeats.
constexpr std::size_t kMaxUnconfirmedReasonBytes = 100;

// One line, printable, bounded: control characters (a newline in an echoed field) become spaces.
std::string OneLine(std::string_view text) {
  std::string line(text.substr(0, kMaxReasonBytes));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return line;
}

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
  return Respond(status, version, kText, OneLine(text) + "\n");
}

std::string_view TargetPath(std::string_view target) { return target.substr(0, target.find('?')); }

RequestHandler::RequestHandler(const RuleStore& rules, ErrorPolicy on_error, Metrics& metrics,
                               Logger& logger, std::function<bool()> ready)
    : rules_(rules),
      on_error_(on_error),
      metrics_(metrics),
      logger_(logger),
      ready_(std::move(ready)) {}

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
      std::optional<HttpResponse> validated = Validate(request, &deferred);
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
                                                     DeferredResponse* deferred) const {
  const auto started = std::chrono::steady_clock::now();
  auto decoded = DecodeAdmissionReview(request.body());
  if (!decoded) {
    const std::string reason = OneLine(decoded.error().ToString());
    logger_.Warn("bad_request",
                 {{"reason", BadRequestName(BadRequest::kInvalidReview)}, {"detail", reason}});
    return Refuse(BadRequest::kInvalidReview, http::status::bad_request, request, reason);
  }
  // The rules and the sources they were loaded from, taken together.
  const std::shared_ptr<const RulesInForce> in_force = rules_.InForce();
  if (in_force == nullptr) {
    // Not reachable once the server runs: it does not start without rules.
    return TextResponse(http::status::service_unavailable, request.version(),
                        "no rule set is loaded");
  }
  const std::shared_ptr<const RuleSet>& rules = in_force->rules;
  ReviewOptions options{on_error_, cluster_.view, cluster_.rule_set_namespace,
                        &in_force->file_sources};
  // A review that may take milliseconds (a Flows rule building the connectivity engine) is run
  // whole on a background thread, so that the connections this thread serves do not wait on it.
  const bool slow = deferred != nullptr && ReviewMayBeSlow(*rules, *decoded, options);
  std::optional<ReviewResult> result;
  if (!slow) {
    result = Review(*rules, *decoded, options);
    if (!NeedsConfirming(*result)) {
      return Answer(*decoded, *result, request.version(), started);
    }
    if (deferred == nullptr) {
      return Answer(*decoded, Confirm(*rules, *decoded, std::move(options), *std::move(result)),
                    request.version(), started);
    }
  } else {
    metrics_.RecordOffloadedReview();
  }
  // Everything the rest of the work needs, kept alive until it has run.
  struct Pending {
    AdmissionRequest request;
    std::shared_ptr<const RulesInForce> in_force;
    ReviewOptions options;
    std::optional<ReviewResult> result;  // empty: not reviewed yet
  };
  auto pending = std::make_shared<Pending>();
  pending->request = std::move(*decoded);
  pending->in_force = in_force;
  pending->options = options;
  pending->result = std::move(result);
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  deferred->computes = slow;
  deferred->finish = [this, pending, version, keep_alive, started] {
    ReviewResult reviewed = pending->result
                                ? *std::move(pending->result)
                                : Review(*pending->in_force->rules, pending->request,
                                         pending->options);
    if (NeedsConfirming(reviewed)) {
      reviewed =
          Confirm(*pending->in_force->rules, pending->request, pending->options, std::move(reviewed));
    }
    HttpResponse response = Answer(pending->request, reviewed, version, started);
    response.keep_alive(keep_alive);
    return response;
  };
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

ReviewResult RequestHandler::Confirm(const RuleSet& rules, const AdmissionRequest& request,
                                     ReviewOptions options, ReviewResult denied) const {
  const std::vector<std::string> namespaces = denied.evaluation.UnconfirmedNamespaces();
  auto fresh = cluster_.read_policies(namespaces);
  if (!fresh) {
    // Only the findings that rest on the cache may be waived; any other denial stands.
    const bool others_deny = std::any_of(
        denied.evaluation.findings.begin(), denied.evaluation.findings.end(),
        [](const Finding& finding) {
          return finding.action == Action::kDeny && finding.unconfirmed_namespace.empty();
        });
    const bool admit = cluster_.allow_unconfirmed && !others_deny;
    metrics_.RecordFreshRead(FreshRead::kFailed);
    logger_.Warn("fresh_read_failed", {{"object", denied.object_description},
                                       {"error", OneLine(fresh.error().ToString())},
                                       {"decision", admit ? "allow" : "deny"}});
    std::string reason = OneLine(fresh.error().message);
    if (!admit) {
      denied.response.message +=
          "\n(netadmit could not confirm with the API server (" + reason + "))";
      return denied;
    }
    // Cut so that the rules it overrides still fit in the warning's 256 bytes.
    if (reason.size() > kMaxUnconfirmedReasonBytes) {
      reason.resize(kMaxUnconfirmedReasonBytes);
      reason += "...";
    }
    const std::string note = "netadmit could not confirm with the API server (" + reason + ")";
    std::string rule_ids;
    for (const Finding& finding : denied.evaluation.findings) {
      if (finding.action == Action::kDeny) {
        rule_ids += (rule_ids.empty() ? "[" : ", [") + finding.rule_id + "]";
      }
    }
    std::vector<std::string> warnings{note + "; admitted despite " + rule_ids + ": " +
                                      OneLine(denied.response.message)};
    warnings.insert(warnings.end(), denied.response.warnings.begin(),
                    denied.response.warnings.end());
    denied.response.allowed = true;
    denied.response.code = 0;
    denied.response.reason.clear();
    denied.response.message.clear();
    denied.response.warnings = BoundWarnings(std::move(warnings));
    denied.outcome = Outcome::kWarn;
    return denied;
  }
  const FreshPolicies view(*cluster_.view, std::move(*fresh));
  options.cluster = &view;
  ReviewResult confirmed = Review(rules, request, options);
  // Overturned: the denials that rested on the cache are gone (another rule may still deny).
  const bool overturned = confirmed.evaluation.UnconfirmedNamespaces().empty();
  metrics_.RecordFreshRead(overturned ? FreshRead::kOverturned : FreshRead::kConfirmed);
  if (overturned) {
    logger_.Info("fresh_read_overturned", {{"object", confirmed.object_description}});
  }
  return confirmed;
}

HttpResponse RequestHandler::Refuse(BadRequest reason, http::status status,
                                    const HttpRequest& request, std::string_view text) const {
  metrics_.RecordBadRequest(reason);
  return TextResponse(status, request.version(), text);
}

}  // namespace netadmit::server
