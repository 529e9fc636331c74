#pragma once

// One HTTPS connection: TLS handshake, then HTTP/1.1 requests one after another (keep-alive)
// until either side closes. Every step is an asynchronous do_X/on_X pair running on the
// connection's own strand, with a deadline before each read, handshake, write and shutdown.

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/handler.h"
#include "server/log.h"
#include "server/metrics.h"

namespace netadmit::server {

struct SessionOptions {
  // Time allowed for a TLS handshake, for a whole request (head and body) once its first byte
  // has arrived, and for writing a response.
  std::chrono::milliseconds request_timeout{10'000};
  // Time an idle keep-alive connection stays open waiting for its next request. Longer than the
  // API server's own idle timeout (90 s), so that the client, not the server, ends idle
  // connections and a request never races a close.
  std::chrono::milliseconds idle_timeout{120'000};
  // Requests to /validate being read or answered at once; past it, 503.
  std::size_t max_in_flight = 256;
  // Reviews that build the connectivity engine, running or waiting for a background thread;
  // past it, the next is answered at once by the error policy (RequestHandler::Overdue). Each
  // holds its request and cluster snapshot while it waits.
  std::size_t max_background_reviews = 64;
};

class Session;

// What the sessions share: the handler, the metrics and log, the limits, and the register of
// open sessions that a graceful shutdown goes through. Thread-safe.
class SessionHub {
 public:
  // Fresh reads under way at once; each lasts at most --fresh-read-timeout.
  static constexpr std::size_t kBlockingThreads = 4;
  // Reviews that build the connectivity engine under way at once: one per core of this machine
  // class; more would only share the same cores.
  static constexpr std::size_t kBackgroundThreads = 2;

  SessionHub(const RequestHandler& handler, Metrics& metrics, Logger& logger,
             SessionOptions options);

  const RequestHandler& handler() const { return handler_; }
  // Threads for work that waits on the API server (fresh reads), so that it never holds up the
  // threads serving connections.
  boost::asio::thread_pool& blocking_pool() { return blocking_pool_; }
  // Threads for work that computes for long (RequestHandler::DeferredResponse::computes), run
  // when the connection threads leave the CPU idle.
  boost::asio::thread_pool& background_pool() { return background_pool_; }
  // Waits for that work to end; call before the io_context the sessions use goes away.
  void JoinBlockingWork();
  Metrics& metrics() { return metrics_; }
  Logger& logger() { return logger_; }
  const SessionOptions& options() const { return options_; }

  std::size_t Count() const;
  bool Draining() const { return draining_.load(); }

  // Takes a place for a request to /validate; false when max_in_flight are already in flight.
  bool TryEnterRequest();
  void LeaveRequest();
  // Takes a place for a review on the background pool; false when max_background_reviews are
  // there already.
  bool TryEnterBackground();
  void LeaveBackground();

  // From now on every session, open or yet to come, closes as soon as it is idle: a request
  // being read or answered finishes first. `on_empty` runs (on the thread closing the last
  // session, or here) once no session is left.
  void BeginDrain(std::function<void()> on_empty);
  // Forgets `on_empty` (when the server goes away before its sessions).
  void ClearOnEmpty();

 private:
  friend class Session;
  void Add(const std::shared_ptr<Session>& session);
  void Remove(const Session* session);

  const RequestHandler& handler_;
  Metrics& metrics_;
  Logger& logger_;
  const SessionOptions options_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> background_{0};
  std::atomic<bool> draining_{false};
  mutable std::mutex mutex_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
  std::function<void()> on_empty_;
  boost::asio::thread_pool blocking_pool_{kBlockingThreads};
  boost::asio::thread_pool background_pool_{kBackgroundThreads};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& socket,
          std::shared_ptr<boost::asio::ssl::context> tls_context, SessionHub& hub);
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Registers with the hub and starts the handshake.
  void Run();
  // Asks the session to close once idle. Safe from any thread.
  void Drain();

 private:
  enum class State { kHandshake, kIdle, kReading, kWriting, kClosing };

  void DoHandshake();
  void OnHandshake(boost::beast::error_code ec);
  void DoWaitForRequest();
  void OnWaitForRequest(boost::beast::error_code ec, std::size_t bytes);
  void DoReadHeader();
  void OnReadHeader(boost::beast::error_code ec, std::size_t bytes);
  void DoContinue();
  void OnContinue(boost::beast::error_code ec, std::size_t bytes);
  void DoReadBody();
  void OnReadBody(boost::beast::error_code ec, std::size_t bytes);
  // Feeds the parser what the buffer already holds (a whole request usually arrives in the read
  // that ends the idle wait), up to the end of the header or, with `eager`, of the message.
  // True when that end was reached; false with `ec` clear when more must be read.
  bool ParseBuffered(bool eager, boost::beast::error_code& ec);
  void HandleRequest();
  // Runs deferred work, an exception becoming a 500.
  HttpResponse Finish(const std::function<HttpResponse()>& finish, unsigned version);
  // Runs a computing review on the background pool, within its deadline (see session.cpp).
  void DeferComputing(RequestHandler::DeferredResponse deferred, unsigned version);
  void Respond(HttpResponse response);
  void DoWrite(HttpResponse response);
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void DoClose();
  void OnClose(boost::beast::error_code ec);
  void DoLinger();
  void OnLinger(boost::beast::error_code ec, std::size_t bytes);
  void OnDrain();

  // A read failed: answer what can be answered (413, 431, 400), else just let the connection go.
  void OnReadError(boost::beast::error_code ec);
  // Answers with `status` and closes: the rest of the request is not read.
  void RefuseAndClose(BadRequest reason, boost::beast::http::status status, std::string_view text);
  void EndRequest();

  // Declared before the stream: the stream's SSL object was made from this context, which this
  // session keeps alive even after a certificate reload has put a new one in use.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  SessionHub& hub_;
  std::string peer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // The response being written, serialized.
  std::string written_;
  bool keep_alive_after_write_ = true;
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> continue_;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
  std::size_t requests_ = 0;  // answered on this connection
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point linger_deadline_;
  State state_ = State::kHandshake;
  bool in_flight_ = false;
  bool drain_requested_ = false;
};

}  // namespace netadmit::server
