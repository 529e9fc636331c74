// List-then-watch over HTTP/1.1 and TLS with Boost.Beast. Each resource runs as one C++20
// coroutine on the watcher's io_context: the reconnect loop (list, watch, back off, relist) reads
// top to bottom, which a chain of do_X/on_X handlers would scatter over a dozen functions.
// Every asynchronous step uses as_tuple, so errors are values and nothing throws out of a
// handler.

#include "kube/watcher.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <future>
#include <optional>
#include <random>
#include <utility>

#include "kube/thread_priority.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit::kube {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Error Status bodies are small; more than this of a non-200 body is not worth keeping.
constexpr std::size_t kErrorBodyLimit = 64 * 1024;
// A watch stream's deadline is its timeoutSeconds plus this, for the server's own slack.
constexpr std::chrono::seconds kWatchSlack{30};

constexpr std::size_t Index(ClusterKind kind) { return static_cast<std::size_t>(kind); }

// How one attempt ended.
enum class Outcome {
  kOk,       // LIST complete; or a watch the server ended cleanly: watch again
  kExpired,  // 410: the resourceVersion is gone, LIST again
  kFailed,   // anything else: back off, then try again
};

// One HTTP exchange.
struct Exchange {
  beast::error_code ec;  // transport error, if any
  unsigned status = 0;   // 0 when no response head arrived
  std::string body;      // the body of a non-200 response (cut at kErrorBodyLimit)
  bool stopped = false;  // the body consumer asked to stop reading
  std::string detail;    // a clearer account of a transport error, when there is one
  // Retry-After of a non-200 answer, in seconds (0: none). Priority and fairness sends it with
  // its 429s: the server says how long to stay away.
  std::chrono::seconds retry_after{0};
};

}  // namespace

struct Watcher::Impl {
  Impl(WatchOptions watch_options, ClusterCache& cluster_state)
      : options(std::move(watch_options)), state(cluster_state), tokens(options.config) {
    if (!options.random) {
      options.random = [generator = std::make_shared<std::mt19937_64>(std::random_device{}())] {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*generator);
      };
    }
  }

  void Log(LogLevel level, std::string event, ClusterKind kind, std::string message) const {
    if (options.log) {
      options.log(LogEntry{level, std::move(event), kind, std::move(message)});
    }
  }

  void SetResourceVersion(ClusterKind kind, const std::string& rv) {
    std::lock_guard lock(mutex);
    resource_versions[Index(kind)] = rv;
  }

  // `write`, when given, makes it a POST, PUT, PATCH or DELETE with that body.
  asio::awaitable<Exchange> Request(std::string target,
                                    std::chrono::steady_clock::duration stream_deadline,
                                    std::function<bool(std::string_view)> on_body,
                                    std::optional<ApiWrite> write = std::nullopt);
  // A body consumer for Request that keeps a LIST response in `body`, up to list_body_limit;
  // past it, sets `too_large` and stops reading.
  std::function<bool(std::string_view)> CollectBody(std::string& body, bool& too_large) const {
    return [this, &body, &too_large](std::string_view bytes) {
      if (body.size() + bytes.size() > options.list_body_limit) {
        too_large = true;
        return false;
      }
      body.append(bytes);
      return true;
    };
  }
  Outcome Classify(ClusterKind kind, const Exchange& exchange, std::string_view what);
  asio::awaitable<Outcome> List(const Resource& resource, std::string& rv);
  asio::awaitable<Outcome> Watch(const Resource& resource, std::string& rv, bool& progressed);
  asio::awaitable<void> Wait(ClusterKind kind, Backoff& backoff);
  asio::awaitable<void> Run(Resource resource);
  asio::awaitable<Result<ApiAnswer>> SendOnce(ApiWrite write, std::string target,
                                              std::chrono::milliseconds timeout);
  asio::awaitable<Result<std::string>> GetOnce(std::string target, std::string what,
                                               std::chrono::milliseconds timeout);

  WatchOptions options;
  ClusterCache& state;
  TokenSource tokens;
  mutable std::mutex mutex;
  std::array<std::string, kClusterKinds.size()> resource_versions;
  std::array<std::atomic<uint64_t>, kClusterKinds.size()> restarts{};
  // The Retry-After of the last failure of each kind, taken by its next Wait (the kind's own
  // coroutine writes and reads it).
  std::array<std::chrono::seconds, kClusterKinds.size()> retry_after{};
  std::array<std::atomic<uint64_t>, kClusterKinds.size()> relists{};
  // The TLS context outlives the io_context: coroutine frames destroyed with the io_context hold
  // streams that refer to it.
  std::optional<asio::ssl::context> tls;
  asio::io_context io;
  // Keeps the thread running while no watch is under way, so that GetNow and ListNow are served
  // even by a watcher that watches nothing.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> idle_work;
  std::thread thread;
  bool started = false;
};

asio::awaitable<Exchange> Watcher::Impl::Request(
    std::string target, std::chrono::steady_clock::duration stream_deadline,
    std::function<bool(std::string_view)> on_body, std::optional<ApiWrite> write) {
  Exchange out;
  auto executor = co_await asio::this_coro::executor;
  const ClusterConfig& config = options.config;
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(config.host, config.port, kNoThrow);
  if (resolve_ec) {
    out.ec = resolve_ec;
    co_return out;
  }
  Stream stream(executor, *tls);
  // Verify the certificate names the server: its IP address when the URL has one, else its DNS
  // name (also sent as SNI).
  SSL* ssl = stream.native_handle();
  boost::system::error_code address_ec;
  asio::ip::make_address(config.host, address_ec);
  if (address_ec) {
    SSL_set_tlsext_host_name(ssl, config.host.c_str());
    SSL_set1_host(ssl, config.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), config.host.c_str());
  }
  beast::get_lowest_layer(stream).expires_after(options.request_timeout);
  auto [connect_ec, endpoint] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (connect_ec) {
    out.ec = connect_ec;
    co_return out;
  }
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (handshake_ec) {
    out.ec = handshake_ec;
    // OpenSSL's first queued error is often a low-level one ("EVP lib"); the verification
    // result says what a person needs to know.
    if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
      out.detail = std::string("the API server's certificate did not verify: ") +
                   X509_verify_cert_error_string(verify);
    }
    co_return out;
  }
  http::request<http::string_body> request{write ? write->method : http::verb::get, target, 11};
  const bool ipv6 = config.host.find(':') != std::string::npos;
  request.set(http::field::host,
              (ipv6 ? "[" + config.host + "]" : config.host) + ":" + config.port);
  request.set(http::field::user_agent, options.user_agent);
  request.set(http::field::accept, "application/json");
  if (write && write->method != http::verb::get) {
    request.set(http::field::content_type, write->content_type);
    request.body() = std::move(write->body);
    request.prepare_payload();
  }
  // The token is read per request: a rotated projected token is picked up by the next one.
  if (const std::string token = tokens.Token(); !token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) {
    out.ec = write_ec;
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // watch streams are endless; the consumer bounds what it keeps
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, kNoThrow);
  if (header_ec) {
    out.ec = header_ec;
    co_return out;
  }
  out.status = parser.get().result_int();
  if (out.status != 200) {
    out.retry_after = ParseRetryAfter(parser.get()[http::field::retry_after]);
  }
  if (out.status == 200) {
    // A watch may be quiet for minutes (bookmarks are no heartbeat); its deadline is the one
    // it asked the server for, plus slack.
    beast::get_lowest_layer(stream).expires_after(stream_deadline);
  }
  std::array<char, 16 * 1024> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [read_ec, read_bytes] = co_await http::async_read_some(stream, buffer, parser, kNoThrow);
    if (read_ec == http::error::need_buffer) {
      read_ec = {};
    }
    const std::size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) {
      const std::string_view bytes(chunk.data(), got);
      if (out.status == 200) {
        if (!on_body(bytes)) {
          out.stopped = true;
          break;
        }
      } else if (out.body.size() < kErrorBodyLimit) {
        out.body.append(bytes.substr(0, kErrorBodyLimit - out.body.size()));
      }
    }
    if (read_ec) {
      out.ec = read_ec;
      break;
    }
  }
  // No TLS close_notify: the connection is done either way, and waiting for the server's reply
  // to it would only delay the next request.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

Outcome Watcher::Impl::Classify(ClusterKind kind, const Exchange& exchange, std::string_view what) {
  if (exchange.status == 0 || (exchange.status == 200 && exchange.ec)) {
    Log(LogLevel::kWarn, "watch_connection_failed", kind,
        std::string(what) + ": " +
            (exchange.detail.empty() ? exchange.ec.message() : exchange.detail));
    return Outcome::kFailed;
  }
  const auto status = ParseStatus(exchange.body);
  const std::string message = status ? status->message : "HTTP " + std::to_string(exchange.status);
  const unsigned code = exchange.status;
  if (code == 410) {
    Log(LogLevel::kInfo, "watch_expired", kind, std::string(what) + ": " + message);
    return Outcome::kExpired;
  }
  if (code == 401 || code == 403 || code == 404) {
    // A person must act (a token, RBAC, a missing resource): say exactly what the server said.
    Log(LogLevel::kError,
        code == 401   ? "api_unauthorized"
        : code == 403 ? "api_forbidden"
                      : "api_not_found",
        kind, std::string(what) + ": HTTP " + std::to_string(code) + ": " + message);
    return Outcome::kFailed;
  }
  retry_after[Index(kind)] = exchange.retry_after;
  Log(LogLevel::kWarn, "api_unavailable", kind,
      std::string(what) + ": HTTP " + std::to_string(code) + ": " + message +
          (exchange.retry_after.count() > 0
               ? " (retry after " + std::to_string(exchange.retry_after.count()) + " s)"
               : ""));
  return Outcome::kFailed;
}

asio::awaitable<Outcome> Watcher::Impl::List(const Resource& resource, std::string& rv) {
  std::vector<ClusterObject> items;
  std::string list_rv;
  std::string token;
  do {
    std::string body;
    bool too_large = false;
    Exchange exchange = co_await Request(ListTarget(resource, options.page_limit, token),
                                         options.request_timeout, CollectBody(body, too_large));
    if (too_large) {
      Log(LogLevel::kError, "list_too_large", resource.kind, "the LIST response is too large");
      co_return Outcome::kFailed;
    }
    if (exchange.status != 200 || exchange.ec) {
      // An expired continue token also answers 410: start the LIST over, like any failure.
      co_return Classify(resource.kind, exchange, "list");
    }
    auto page = ParseListPage(resource.kind, body);
    if (!page.ok()) {
      Log(LogLevel::kError, "list_bad_response", resource.kind, page.error().ToString());
      co_return Outcome::kFailed;
    }
    if (list_rv.empty()) {
      list_rv = page->resource_version;  // every page reports the snapshot of the first
    }
    for (auto& item : page->items) {
      items.push_back(std::move(item));
    }
    token = std::move(page->continue_token);
  } while (!token.empty());
  const std::size_t count = items.size();
  state.Replace(resource.kind, std::move(items));
  rv = list_rv;
  SetResourceVersion(resource.kind, rv);
  Log(LogLevel::kInfo, "watch_listed", resource.kind,
      std::to_string(count) + " objects at resourceVersion " + rv);
  co_return Outcome::kOk;
}

asio::awaitable<Outcome> Watcher::Impl::Watch(const Resource& resource, std::string& rv,
                                              bool& progressed) {
  const auto base = options.watch_timeout.count();
  const int timeout_seconds =
      static_cast<int>(base + static_cast<int64_t>(static_cast<double>(base) * options.random()));
  LineSplitter splitter;
  Outcome result = Outcome::kOk;
  auto on_line = [&](std::string_view line) {
    if (result != Outcome::kOk) {
      return;
    }
    auto event = ParseWatchEvent(resource.kind, line);
    if (!event.ok()) {
      Log(LogLevel::kError, "watch_bad_event", resource.kind, event.error().ToString());
      result = Outcome::kFailed;
      return;
    }
    switch (event->type) {
      case WatchEventType::kAdded:
      case WatchEventType::kModified:
      case WatchEventType::kDeleted: {
        const EventType type = event->type == WatchEventType::kAdded      ? EventType::kAdded
                               : event->type == WatchEventType::kModified ? EventType::kModified
                                                                          : EventType::kDeleted;
        state.Apply(type, std::move(*event->object));
        rv = event->resource_version;
        SetResourceVersion(resource.kind, rv);
        progressed = true;
        break;
      }
      case WatchEventType::kBookmark:
        rv = event->resource_version;
        SetResourceVersion(resource.kind, rv);
        progressed = true;
        break;
      case WatchEventType::kError:
        if (event->status.code == 410) {
          Log(LogLevel::kInfo, "watch_expired", resource.kind, event->status.message);
          result = Outcome::kExpired;
        } else {
          Log(LogLevel::kWarn, "watch_error_event", resource.kind,
              "Status " + std::to_string(event->status.code) + ": " + event->status.message);
          result = Outcome::kFailed;
        }
        break;
    }
  };
  Exchange exchange = co_await Request(
      WatchTarget(resource, rv, timeout_seconds),
      std::chrono::seconds(timeout_seconds) + kWatchSlack, [&](std::string_view bytes) {
        if (!splitter.Feed(bytes, on_line)) {
          Log(LogLevel::kError, "watch_bad_event", resource.kind, "a watch event is too long");
          result = Outcome::kFailed;
        }
        return result == Outcome::kOk;
      });
  if (exchange.stopped) {
    co_return result;
  }
  if (exchange.status != 200 || exchange.ec) {
    co_return Classify(resource.kind, exchange, "watch");
  }
  co_return Outcome::kOk;  // the server ended the watch: watch again from rv
}

asio::awaitable<void> Watcher::Impl::Wait(ClusterKind kind, Backoff& backoff) {
  // The backoff grows as usual; a Retry-After the server sent makes the wait at least that long.
  const auto delay = std::max<std::chrono::milliseconds>(
      backoff.Next(), std::exchange(retry_after[Index(kind)], {}));
  if (options.on_backoff) {
    options.on_backoff(kind, delay);
  }
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<void> Watcher::Impl::Run(Resource resource) {
  Backoff backoff(options.backoff_initial, options.backoff_max, options.random);
  std::string rv;
  bool listed = false;
  for (;;) {
    bool just_listed = false;
    if (rv.empty()) {
      just_listed = true;
      const Outcome outcome = co_await List(resource, rv);
      if (outcome != Outcome::kOk) {
        co_await Wait(resource.kind, backoff);
        continue;
      }
      if (listed) {
        ++relists[Index(resource.kind)];
      }
      listed = true;
    }
    bool progressed = false;
    const Outcome outcome = co_await Watch(resource, rv, progressed);
    ++restarts[Index(resource.kind)];
    if (progressed) {
      backoff.Reset();  // the watch worked for a while: the next failure starts small again
    }
    switch (outcome) {
      case Outcome::kOk:
        backoff.Reset();
        break;
      case Outcome::kExpired:
        rv.clear();
        if (just_listed && !progressed) {
          // Too old right after a fresh list: relisting at once would spin; wait first.
          co_await Wait(resource.kind, backoff);
        }
        break;
      case Outcome::kFailed:
        co_await Wait(resource.kind, backoff);
        break;
    }
  }
}

std::vector<Resource> DefaultResources(const std::string& own_namespace) {
  std::vector<Resource> resources = {
      Resource{ClusterKind::kNamespace, "", ""},
      Resource{ClusterKind::kNetworkPolicy, "", ""},
      Resource{ClusterKind::kPod, "", ""},
  };
  if (!own_namespace.empty()) {
    resources.push_back(
        Resource{ClusterKind::kConfigMap, own_namespace,
                 std::string(kRuleSetLabel) + "=" + std::string(kRuleSetLabelValue)});
  }
  return resources;
}

Watcher::Watcher(WatchOptions options, ClusterCache& state)
    : impl_(std::make_unique<Impl>(std::move(options), state)) {}

Watcher::~Watcher() { Stop(); }

Status Watcher::Start() {
  if (impl_->started) {
    return Ok{};
  }
  const ClusterConfig& config = impl_->options.config;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  tls.set_verify_mode(asio::ssl::verify_peer, ec);
  tls.add_certificate_authority(asio::buffer(config.ca_pem), ec);
  if (ec) {
    return Error{"", 0, 0, "certificate-authority", "unusable CA certificate: " + ec.message()};
  }
  if (!config.client_cert_pem.empty()) {
    tls.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (ec) {
      return Error{"", 0, 0, "client-certificate", "unusable certificate: " + ec.message()};
    }
    tls.use_private_key(asio::buffer(config.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) {
      return Error{"", 0, 0, "client-key", "unusable key: " + ec.message()};
    }
  }
  impl_->tls.emplace(std::move(tls));
  impl_->idle_work.emplace(impl_->io.get_executor());
  for (const auto& resource : impl_->options.resources) {
    asio::co_spawn(impl_->io, impl_->Run(resource),
                   [impl = impl_.get(), kind = resource.kind](const std::exception_ptr& error) {
                     if (error) {
                       impl->Log(LogLevel::kError, "watch_stopped", kind, "unexpected exception");
                     }
                   });
  }
  impl_->started = true;
  impl_->thread = std::thread([impl = impl_.get()] {
    if (impl->options.idle_priority) {
      RunThisThreadWhenIdle();
    }
    impl->io.run();
  });
  return Ok{};
}

asio::awaitable<Result<std::string>> Watcher::Impl::GetOnce(std::string target, std::string what,
                                                            std::chrono::milliseconds timeout) {
  std::string body;
  bool too_large = false;
  Exchange exchange = co_await Request(std::move(target), timeout, CollectBody(body, too_large));
  if (too_large) {
    co_return Error{"", 0, 0, "", what + ": the response is too large"};
  }
  if (exchange.ec) {
    co_return Error{
        "", 0, 0, "",
        what + ": " + (exchange.detail.empty() ? exchange.ec.message() : exchange.detail)};
  }
  if (exchange.status != 200) {
    const auto status = ParseStatus(exchange.body);
    co_return Error{"", 0, 0, "",
                    what + ": HTTP " + std::to_string(exchange.status) +
                        (status && !status->message.empty() ? ": " + status->message : "")};
  }
  co_return body;
}

Result<std::string> Watcher::GetNow(const std::string& target, const std::string& what,
                                    std::chrono::milliseconds timeout) {
  if (!impl_->started) {
    return Error{"", 0, 0, "", "not connected to the API server"};
  }
  // A promise of its own rather than asio::use_future, which needs a default-constructible
  // result. Should the watcher stop first, the promise is dropped and get() reports it.
  auto promise = std::make_shared<std::promise<Result<std::string>>>();
  auto result = promise->get_future();
  asio::co_spawn(
      impl_->io,
      [impl = impl_.get(), promise, target, what, timeout]() -> asio::awaitable<void> {
        promise->set_value(co_await impl->GetOnce(target, what, timeout));
      },
      asio::detached);
  // The request has its own deadline; this one also covers a watcher thread too busy to start it.
  if (result.wait_for(timeout + std::chrono::milliseconds(100)) != std::future_status::ready) {
    return Error{"", 0, 0, "",
                 what + ": no answer within " + std::to_string(timeout.count()) + " ms"};
  }
  try {
    return result.get();
  } catch (const std::exception& e) {
    // The watcher stopped while the request was under way.
    return Error{"", 0, 0, "", what + ": interrupted: " + e.what()};
  }
}

asio::awaitable<Result<ApiAnswer>> Watcher::Impl::SendOnce(ApiWrite write, std::string target,
                                                           std::chrono::milliseconds timeout) {
  std::string body;
  bool too_large = false;
  Exchange exchange =
      co_await Request(std::move(target), timeout, CollectBody(body, too_large), std::move(write));
  if (too_large) {
    co_return Error{"", 0, 0, "", "the response is too large"};
  }
  if (exchange.ec) {
    co_return Error{"", 0, 0, "",
                    exchange.detail.empty() ? exchange.ec.message() : exchange.detail};
  }
  co_return ApiAnswer{exchange.status,
                      exchange.status == 200 ? std::move(body) : std::move(exchange.body)};
}

Result<ApiAnswer> Watcher::SendNow(ApiWrite write, const std::string& target,
                                   std::chrono::milliseconds timeout) {
  if (!impl_->started) {
    return Error{"", 0, 0, "", "not connected to the API server"};
  }
  auto promise = std::make_shared<std::promise<Result<ApiAnswer>>>();
  auto result = promise->get_future();
  asio::co_spawn(
      impl_->io,
      [impl = impl_.get(), promise, write = std::move(write), target,
       timeout]() mutable -> asio::awaitable<void> {
        promise->set_value(co_await impl->SendOnce(std::move(write), target, timeout));
      },
      asio::detached);
  if (result.wait_for(timeout + std::chrono::milliseconds(100)) != std::future_status::ready) {
    return Error{"", 0, 0, "", "no answer within " + std::to_string(timeout.count()) + " ms"};
  }
  try {
    return result.get();
  } catch (const std::exception& e) {
    return Error{"", 0, 0, "", std::string("interrupted: ") + e.what()};
  }
}

Result<std::vector<ClusterObject>> Watcher::ListNow(ClusterKind kind,
                                                    const std::string& namespace_name,
                                                    std::chrono::milliseconds timeout) {
  const std::string what =
      std::string("list of ") + ClusterKindName(kind) + " in namespace " + namespace_name;
  auto body = GetNow(NamespacedListTarget(kind, namespace_name), what, timeout);
  if (!body) {
    return body.error();
  }
  auto page = ParseListPage(kind, *body);
  if (!page) {
    return Error{"", 0, 0, "", what + ": " + page.error().ToString()};
  }
  return std::move(page->items);
}

void Watcher::Stop() {
  if (!impl_->started) {
    return;
  }
  impl_->idle_work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
  impl_->started = false;
}

const WatchOptions& Watcher::options() const { return impl_->options; }

uint64_t Watcher::WatchRestarts(ClusterKind kind) const { return impl_->restarts[Index(kind)]; }

uint64_t Watcher::Relists(ClusterKind kind) const { return impl_->relists[Index(kind)]; }

std::string Watcher::ResourceVersion(ClusterKind kind) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->resource_versions[Index(kind)];
}

}  // namespace netadmit::kube
