#pragma once

// Routing and answering of complete HTTP requests. Knows nothing of sockets, TLS or timeouts: it
// takes a parsed request and returns the response to write. Decisions are the core's (Review);
// this only decodes, routes, measures and logs.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "netadmit/admission.h"
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

class RequestHandler {
 public:
  // `ready` says whether the server should be in a load balancer's rotation.
  RequestHandler(const RuleStore& rules, ErrorPolicy on_error, Metrics& metrics, Logger& logger,
                 std::function<bool()> ready);

  //   POST /validate         AdmissionReview in, AdmissionReview out (400 when it does not decode)
  //   GET  /healthz          200 while the process lives
  //   GET  /readyz           200 when rules are loaded and the server accepts, else 503
  //   GET  /metrics          Prometheus text
  // Other methods on these paths get 405 with Allow; other paths 404. The response's
  // keep-alive follows the request's.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  HttpResponse Validate(const HttpRequest& request) const;
  HttpResponse Refuse(BadRequest reason, http::status status, const HttpRequest& request,
                      std::string_view text) const;

  const RuleStore& rules_;
  ErrorPolicy on_error_;
  Metrics& metrics_;
  Logger& logger_;
  std::function<bool()> ready_;
};

}  // namespace netadmit::server
