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
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
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

#include "kube/discovery.h"
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

// What the API server said in the body of an answer other than 200: a Status's message, else
// the first line of a short text (a 404 of a path no one serves is "404 page not found"), else
// nothing.
std::string AnswerMessage(std::string_view body) {
  if (const auto status = ParseStatus(body)) {
    return status->message;
  }
  const std::string_view line = body.substr(0, body.find('\n'));
  const bool text =
      std::all_of(line.begin(), line.end(), [](char c) { return c >= ' ' && c < 127; });
  return text && line.size() <= 200 ? std::string(line) : std::string();
}

// The error for an answer other than 200: `what`, the status, and the API server's message.
Error AnswerError(const std::string& what, const ApiAnswer& answer) {
  const std::string message = AnswerMessage(answer.body);
  return Error{
      "", 0, 0, "",
      what + ": HTTP " + std::to_string(answer.status) + (message.empty() ? "" : ": " + message)};
}

// One resource's list-then-watch loop. Only the watcher's thread touches it.
struct Task {
  Task(Resource watched, bool from_discovery)
      : resource(std::move(watched)), discovered(from_discovery) {}

  Resource resource;
  // A cluster-scoped policy kind, watched while discovery finds it served.
  bool discovered;
  // Discovery stopped it: whatever its coroutine still completes must not reach the cache.
  bool stopped = false;
  // Emitted to stop it: cancels the request or the wait it is in, and its coroutine ends.
  asio::cancellation_signal cancel;
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

  void Log(LogLevel level, std::string event, std::optional<ClusterKind> kind,
           std::string message) const {
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
  Outcome Classify(const Task& task, const Exchange& exchange, std::string_view what);
  asio::awaitable<Outcome> List(Task& task, std::string& rv);
  asio::awaitable<Outcome> Watch(Task& task, std::string& rv, bool& progressed);
  asio::awaitable<void> Wait(ClusterKind kind, Backoff& backoff);
  asio::awaitable<void> Run(std::shared_ptr<Task> task);
  void Spawn(std::shared_ptr<Task> task);

  // Discovery (discovery.h): one GET, nullopt for a 404; then the whole question; the loop that
  // asks it again and again; and the starting and stopping of watches that follows an answer.
  asio::awaitable<Result<std::optional<std::string>>> DiscoveryGet(
      std::string target, std::chrono::milliseconds timeout);
  asio::awaitable<Result<std::vector<Resource>>> Discover(std::chrono::milliseconds timeout);
  asio::awaitable<void> DiscoverLoop();
  void Adopt(std::vector<Resource> served, bool first);
  // Asks discovery again now (a discovered kind's watch met a 404 or 410).
  void Rediscover();

  // Runs `make()` (an awaitable of Result<T>) on the watcher's thread and waits up to `wait` for
  // its answer; `prefix` starts the Error when none comes.
  template <typename T, typename Make>
  Result<T> Blocking(Make make, std::chrono::milliseconds wait, const std::string& prefix);
  // Sends `write` (none: a GET) and returns whatever status the API server answered with.
  asio::awaitable<Result<ApiAnswer>> SendOnce(std::optional<ApiWrite> write, std::string target,
                                              std::chrono::milliseconds timeout);
  asio::awaitable<Result<std::string>> GetOnce(std::string target, std::string what,
                                               std::chrono::milliseconds timeout);

  WatchOptions options;
  ClusterCache& state;
  TokenSource tokens;
  mutable std::mutex mutex;
  std::array<std::string, kClusterKindCount> resource_versions;
  std::array<std::atomic<uint64_t>, kClusterKindCount> restarts{};
  // The Retry-After of the last failure of each kind, taken by its next Wait (the kind's own
  // coroutine writes and reads it).
  std::array<std::chrono::seconds, kClusterKindCount> retry_after{};
  std::array<std::atomic<uint64_t>, kClusterKindCount> relists{};
  // The TLS context outlives the io_context: coroutine frames destroyed with the io_context hold
  // streams that refer to it.
  std::optional<asio::ssl::context> tls;
  asio::io_context io;
  // Keeps the thread running while no watch is under way, so that GetNow and ListNow are served
  // even by a watcher that watches nothing.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> idle_work;
  // Discovery's state, on the watcher's thread only: the watches it started, the kinds of
  // options.resources, the policy kinds readiness waits for, the timer it sleeps on (cancelled
  // to wake it early) and whether it was asked to ask again.
  std::vector<std::shared_ptr<Task>> discovered_tasks;
  std::vector<ClusterKind> base_kinds;
  std::vector<ClusterKind> awaited_policy_kinds;
  std::optional<asio::steady_timer> discovery_timer;
  bool rediscover = false;
  std::vector<Resource> discovered;  // under `mutex`: for DiscoveredResources()
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

Outcome Watcher::Impl::Classify(const Task& task, const Exchange& exchange, std::string_view what) {
  const ClusterKind kind = task.resource.kind;
  if (task.stopped) {
    return Outcome::kFailed;  // discovery cancelled the request: nothing to report
  }
  if (exchange.status == 0 || (exchange.status == 200 && exchange.ec)) {
    Log(LogLevel::kWarn, "watch_connection_failed", kind,
        std::string(what) + ": " +
            (exchange.detail.empty() ? exchange.ec.message() : exchange.detail));
    return Outcome::kFailed;
  }
  const std::string message = AnswerMessage(exchange.body);
  const unsigned code = exchange.status;
  // "list: HTTP 404: <what the server said>"
  const std::string answer = std::string(what) + ": HTTP " + std::to_string(code) +
                             (message.empty() ? "" : ": " + message);
  if (task.discovered && (code == 404 || code == 410)) {
    // Its CustomResourceDefinition may be gone: discovery decides, not a storm of errors.
    Log(LogLevel::kInfo, "watch_resource_gone", kind, answer + " (asking discovery again)");
    Rediscover();
    return code == 410 ? Outcome::kExpired : Outcome::kFailed;
  }
  if (code == 410) {
    Log(LogLevel::kInfo, "watch_expired", kind,
        message.empty() ? answer : std::string(what) + ": " + message);
    return Outcome::kExpired;
  }
  if (code == 401 || code == 403 || code == 404) {
    // A person must act (a token, RBAC, a missing resource): say exactly what the server said.
    Log(LogLevel::kError,
        code == 401   ? "api_unauthorized"
        : code == 403 ? "api_forbidden"
                      : "api_not_found",
        kind, answer);
    return Outcome::kFailed;
  }
  retry_after[Index(kind)] = exchange.retry_after;
  Log(LogLevel::kWarn, "api_unavailable", kind,
      answer + (exchange.retry_after.count() > 0
                    ? " (retry after " + std::to_string(exchange.retry_after.count()) + " s)"
                    : ""));
  return Outcome::kFailed;
}

asio::awaitable<Outcome> Watcher::Impl::List(Task& task, std::string& rv) {
  const Resource& resource = task.resource;
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
      co_return Classify(task, exchange, "list");
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
  if (task.stopped) {
    co_return Outcome::kFailed;  // the last page arrived after discovery stopped the watch
  }
  const std::size_t count = items.size();
  state.Replace(resource.kind, std::move(items));
  rv = list_rv;
  SetResourceVersion(resource.kind, rv);
  Log(LogLevel::kInfo, "watch_listed", resource.kind,
      std::to_string(count) + " objects at resourceVersion " + rv);
  co_return Outcome::kOk;
}

asio::awaitable<Outcome> Watcher::Impl::Watch(Task& task, std::string& rv, bool& progressed) {
  const Resource& resource = task.resource;
  const auto base = options.watch_timeout.count();
  const int timeout_seconds =
      static_cast<int>(base + static_cast<int64_t>(static_cast<double>(base) * options.random()));
  LineSplitter splitter;
  Outcome result = Outcome::kOk;
  auto on_line = [&](std::string_view line) {
    if (result != Outcome::kOk || task.stopped) {
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
        if (task.discovered && (event->status.code == 404 || event->status.code == 410)) {
          Rediscover();  // as for an HTTP 404 or 410 (Classify)
        }
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
    co_return Classify(task, exchange, "watch");
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

asio::awaitable<void> Watcher::Impl::Run(std::shared_ptr<Task> task) {
  const Resource& resource = task->resource;
  Backoff backoff(options.backoff_initial, options.backoff_max, options.random);
  std::string rv;
  bool listed = false;
  for (;;) {
    bool just_listed = false;
    if (rv.empty()) {
      just_listed = true;
      const Outcome outcome = co_await List(*task, rv);
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
    const Outcome outcome = co_await Watch(*task, rv, progressed);
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

void Watcher::Impl::Spawn(std::shared_ptr<Task> task) {
  // A stopped task ends with operation_aborted thrown at its next co_await: no news.
  auto ended = [this, task](const std::exception_ptr& error) {
    if (error && !task->stopped) {
      Log(LogLevel::kError, "watch_stopped", task->resource.kind, "unexpected exception");
    }
  };
  asio::cancellation_slot slot = task->cancel.slot();
  asio::co_spawn(io, Run(std::move(task)), asio::bind_cancellation_slot(slot, std::move(ended)));
}

asio::awaitable<Result<std::optional<std::string>>> Watcher::Impl::DiscoveryGet(
    std::string target, std::chrono::milliseconds timeout) {
  const std::string what = "discovery " + target;
  auto answer = co_await SendOnce(std::nullopt, std::move(target), timeout);
  if (!answer) {
    co_return Error{"", 0, 0, "", what + ": " + answer.error().message};
  }
  if (answer->status == 404) {
    co_return std::optional<std::string>();  // not served: an answer, not a failure
  }
  if (answer->status != 200) {
    co_return AnswerError(what, *answer);
  }
  co_return std::optional<std::string>(std::move(answer->body));
}

asio::awaitable<Result<std::vector<Resource>>> Watcher::Impl::Discover(
    std::chrono::milliseconds timeout) {
  ServedVersions served;
  auto group = co_await DiscoveryGet(PolicyGroupPath(), timeout);
  if (!group) {
    co_return group.error();
  }
  if (*group) {
    auto versions = ParseApiGroupVersions(**group);
    if (!versions) {
      co_return Error{"", 0, 0, versions.error().path,
                      "discovery " + PolicyGroupPath() + ": " + versions.error().message};
    }
    for (const std::string& version : *versions) {
      if (!ReadsPolicyVersion(version) || served.contains(version)) {
        continue;
      }
      auto listed = co_await DiscoveryGet(PolicyVersionPath(version), timeout);
      if (!listed) {
        co_return listed.error();
      }
      if (!*listed) {
        continue;  // the version went between the two requests
      }
      auto resources = ParseApiResources(**listed);
      if (!resources) {
        co_return Error{
            "", 0, 0, resources.error().path,
            "discovery " + PolicyVersionPath(version) + ": " + resources.error().message};
      }
      served.emplace(version, std::move(*resources));
    }
  }
  co_return ChooseClusterPolicyResources(served);
}

void Watcher::Impl::Adopt(std::vector<Resource> served, bool first) {
  auto served_kind = [&](ClusterKind kind) {
    return std::any_of(served.begin(), served.end(),
                       [kind](const Resource& resource) { return resource.kind == kind; });
  };
  // Forgotten last, once everything else says the kind is gone: whoever sees its objects go sees
  // the rest of the change too.
  std::vector<ClusterKind> gone;
  std::erase_if(discovered_tasks, [&](const std::shared_ptr<Task>& task) {
    if (std::find(served.begin(), served.end(), task->resource) != served.end()) {
      return false;
    }
    task->stopped = true;
    task->cancel.emit(asio::cancellation_type::terminal);
    const ClusterKind kind = task->resource.kind;
    if (served_kind(kind)) {
      // Another version now: the new watch's first LIST replaces the objects.
      Log(LogLevel::kInfo, "watch_version_changed", kind,
          "no longer read at " + std::string(kPolicyApiGroup) + "/" + task->resource.version);
    } else {
      gone.push_back(kind);
      Log(LogLevel::kInfo, "watch_kind_gone", kind,
          "no longer served (its CustomResourceDefinition is gone): its objects are forgotten");
    }
    return true;
  });
  for (const Resource& resource : served) {
    if (std::none_of(discovered_tasks.begin(), discovered_tasks.end(),
                     [&](const auto& task) { return task->resource == resource; })) {
      Log(LogLevel::kInfo, "watch_kind_served", resource.kind,
          "served at " + std::string(kPolicyApiGroup) + "/" + resource.version +
              ": listing and watching it");
      discovered_tasks.push_back(std::make_shared<Task>(resource, true));
      Spawn(discovered_tasks.back());
    }
  }
  // Readiness waits for the kinds of the first answer only: a kind that appears later must not
  // make a ready replica unready (the webhook would lose its endpoints for a moment).
  if (first) {
    awaited_policy_kinds.clear();
    for (const Resource& resource : served) {
      awaited_policy_kinds.push_back(resource.kind);
    }
  } else {
    std::erase_if(awaited_policy_kinds, [&](ClusterKind kind) { return !served_kind(kind); });
  }
  std::vector<ClusterKind> watched = base_kinds;
  watched.insert(watched.end(), awaited_policy_kinds.begin(), awaited_policy_kinds.end());
  state.SetWatched(std::move(watched));
  {
    std::lock_guard lock(mutex);
    discovered = std::move(served);
  }
  for (ClusterKind kind : gone) {
    state.Forget(kind);
  }
}

void Watcher::Impl::Rediscover() {
  rediscover = true;
  if (discovery_timer) {
    discovery_timer->cancel();  // wakes the loop if it sleeps; else it sees `rediscover`
  }
}

asio::awaitable<void> Watcher::Impl::DiscoverLoop() {
  Backoff backoff(options.backoff_initial, options.backoff_max, options.random);
  bool first = true;
  bool failing = false;
  for (;;) {
    rediscover = false;
    auto found = co_await Discover(options.request_timeout);
    if (found) {
      if (failing) {
        Log(LogLevel::kInfo, "discovery_recovered", std::nullopt,
            "discovery answers again after failing");
      }
      failing = false;
      backoff.Reset();
      Adopt(std::move(*found), first);
    } else {
      if (!failing) {
        // Once per failing spell: the retries follow the backoff and would repeat it.
        Log(LogLevel::kWarn, "discovery_failed", std::nullopt,
            found.error().ToString() +
                " (the last answer stays in force; asked again with backoff)");
      }
      failing = true;
      if (first) {
        Adopt({}, true);  // no answer yet: none served, so that readiness does not wait for one
      }
    }
    first = false;
    if (!rediscover) {
      discovery_timer->expires_after(failing ? backoff.Next() : options.discovery_interval);
      co_await discovery_timer->async_wait(kNoThrow);
    }
  }
}

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
    impl_->Spawn(std::make_shared<Task>(resource, false));
  }
  if (impl_->options.discover_cluster_policies) {
    impl_->base_kinds.clear();
    for (const auto& resource : impl_->options.resources) {
      impl_->base_kinds.push_back(resource.kind);
    }
    // Until discovery first answers, readiness waits for every kind it might find.
    std::vector<ClusterKind> watched = impl_->base_kinds;
    watched.insert(watched.end(), kClusterPolicyKinds.begin(), kClusterPolicyKinds.end());
    impl_->state.SetWatched(std::move(watched));
    impl_->discovery_timer.emplace(impl_->io);
    asio::co_spawn(
        impl_->io, impl_->DiscoverLoop(), [impl = impl_.get()](const std::exception_ptr& error) {
          if (error) {
            impl->Log(LogLevel::kError, "discovery_stopped", std::nullopt, "unexpected exception");
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

template <typename T, typename Make>
Result<T> Watcher::Impl::Blocking(Make make, std::chrono::milliseconds wait,
                                  const std::string& prefix) {
  if (!started) {
    return Error{"", 0, 0, "", "not connected to the API server"};
  }
  // A promise of its own rather than asio::use_future, which needs a default-constructible
  // result. Should the watcher stop first, the promise is dropped and get() reports it.
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto result = promise->get_future();
  asio::co_spawn(
      io,
      [promise, make = std::move(make)]() mutable -> asio::awaitable<void> {
        promise->set_value(co_await make());
      },
      asio::detached);
  // The requests have their own deadlines; this one also covers a watcher thread too busy to
  // start them.
  if (result.wait_for(wait + std::chrono::milliseconds(100)) != std::future_status::ready) {
    return Error{"", 0, 0, "", prefix + "no answer within " + std::to_string(wait.count()) + " ms"};
  }
  try {
    return result.get();
  } catch (const std::exception& e) {
    // The watcher stopped while the request was under way.
    return Error{"", 0, 0, "", prefix + "interrupted: " + e.what()};
  }
}

asio::awaitable<Result<std::string>> Watcher::Impl::GetOnce(std::string target, std::string what,
                                                            std::chrono::milliseconds timeout) {
  auto answer = co_await SendOnce(std::nullopt, std::move(target), timeout);
  if (!answer) {
    co_return Error{"", 0, 0, "", what + ": " + answer.error().message};
  }
  if (answer->status != 200) {
    co_return AnswerError(what, *answer);
  }
  co_return std::move(answer->body);
}

Result<std::string> Watcher::GetNow(const std::string& target, const std::string& what,
                                    std::chrono::milliseconds timeout) {
  return impl_->Blocking<std::string>(
      [impl = impl_.get(), target, what, timeout] { return impl->GetOnce(target, what, timeout); },
      timeout, what + ": ");
}

asio::awaitable<Result<ApiAnswer>> Watcher::Impl::SendOnce(std::optional<ApiWrite> write,
                                                           std::string target,
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
  return impl_->Blocking<ApiAnswer>(
      [impl = impl_.get(), write = std::move(write), target, timeout]() mutable {
        return impl->SendOnce(std::move(write), target, timeout);
      },
      timeout, "");
}

Result<std::vector<Resource>> Watcher::DiscoverNow(std::chrono::milliseconds timeout) {
  // At most one request for the group and one for each version read (three).
  return impl_->Blocking<std::vector<Resource>>(
      [impl = impl_.get(), timeout] { return impl->Discover(timeout); }, timeout * 4,
      "discovery: ");
}

std::vector<Resource> Watcher::DiscoveredResources() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->discovered;
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
