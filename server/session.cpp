#include "server/session.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "kube/thread_priority.h"

namespace netadmit::server {

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// Time allowed to write our close_notify.
constexpr std::chrono::seconds kCloseTimeout{2};
// After an answer that ends the connection, what the client still sends is read and dropped for
// a moment before the socket closes: closing with unread data makes the kernel send a reset,
// which can destroy the answer (a 413, say) before the client has read it.
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr std::size_t kLingerLimit = 8 * 1024 * 1024;
// What an idle connection keeps of its write buffer.
constexpr std::size_t kKeptWriteBufferBytes = 16 * 1024;

// The background pool's threads run at nice 10 (kube::RunThisThreadAtLowPriority), so that a
// review asking the connectivity engine takes mostly what serving requests leaves, instead of a
// fair share of the core that would add milliseconds to every request on it. Not SCHED_IDLE:
// under a steady stream of other requests that starved the judged ones for seconds
// (docs/PERFORMANCE.md, "Judged requests beside the others").
using kube::RunThisThreadAtLowPriority;

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == beast::http::make_error_code(beast::http::error::bad_target).category();
}

// Adds one to `count` unless it has reached `limit`.
bool TryTakePlace(std::atomic<std::size_t>& count, std::size_t limit) {
  std::size_t current = count.load();
  do {
    if (current >= limit) {
      return false;
    }
  } while (!count.compare_exchange_weak(current, current + 1));
  return true;
}

}  // namespace

SessionHub::SessionHub(const RequestHandler& handler, Metrics& metrics, Logger& logger,
                       SessionOptions options)
    : handler_(handler), metrics_(metrics), logger_(logger), options_(options) {}

void SessionHub::JoinBlockingWork() {
  blocking_pool_.join();
  background_pool_.join();
}

std::size_t SessionHub::Count() const {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionHub::TryEnterRequest() {
  if (!TryTakePlace(in_flight_, options_.max_in_flight)) {
    return false;
  }
  metrics_.RequestStarted();
  return true;
}

bool SessionHub::TryEnterBackground() {
  return TryTakePlace(background_, options_.max_background_reviews);
}

void SessionHub::LeaveBackground() { background_.fetch_sub(1); }

void SessionHub::LeaveRequest() {
  in_flight_.fetch_sub(1);
  metrics_.RequestFinished();
}

void SessionHub::BeginDrain(std::function<void()> on_empty) {
  std::vector<std::shared_ptr<Session>> open;
  bool empty = false;
  {
    const std::lock_guard lock(mutex_);
    draining_ = true;
    on_empty_ = on_empty;
    for (const auto& [key, weak] : sessions_) {
      if (auto session = weak.lock()) {
        open.push_back(std::move(session));
      }
    }
    empty = sessions_.empty();
  }
  for (const auto& session : open) {
    session->Drain();
  }
  if (empty && on_empty) {
    on_empty();
  }
}

void SessionHub::ClearOnEmpty() {
  const std::lock_guard lock(mutex_);
  on_empty_ = nullptr;
}

void SessionHub::Add(const std::shared_ptr<Session>& session) {
  {
    const std::lock_guard lock(mutex_);
    sessions_.emplace(session.get(), session);
  }
  // A connection accepted while the drain began closes as soon as it can.
  if (draining_) {
    session->Drain();
  }
}

void SessionHub::Remove(const Session* session) {
  std::function<void()> on_empty;
  {
    const std::lock_guard lock(mutex_);
    sessions_.erase(session);
    if (draining_ && sessions_.empty()) {
      on_empty = std::move(on_empty_);
      on_empty_ = nullptr;
    }
  }
  if (on_empty) {
    on_empty();
  }
}

Session::Session(net::ip::tcp::socket&& socket, std::shared_ptr<net::ssl::context> tls_context,
                 SessionHub& hub)
    : tls_context_(std::move(tls_context)), stream_(std::move(socket), *tls_context_), hub_(hub) {
  beast::error_code ec;
  const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (!ec) {
    peer_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }
  hub_.metrics().ConnectionOpened();
}

Session::~Session() {
  EndRequest();
  hub_.metrics().ConnectionClosed();
  hub_.Remove(this);
}

void Session::Run() {
  hub_.Add(shared_from_this());
  // The accept handler runs elsewhere; everything of this session runs on its own strand.
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&Session::DoHandshake, shared_from_this()));
}

void Session::Drain() {
  net::post(stream_.get_executor(),
            beast::bind_front_handler(&Session::OnDrain, shared_from_this()));
}

void Session::OnDrain() {
  drain_requested_ = true;
  // Nothing of a request has arrived yet: stop waiting. A request under way finishes and its
  // response says Connection: close.
  if (state_ == State::kHandshake || state_ == State::kIdle) {
    beast::get_lowest_layer(stream_).cancel();
  }
}

void Session::DoHandshake() {
  state_ = State::kHandshake;
  beast::get_lowest_layer(stream_).expires_after(hub_.options().request_timeout);
  stream_.async_handshake(net::ssl::stream_base::server,
                          beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
}

void Session::OnHandshake(beast::error_code ec) {
  if (ec) {
    // Cancelled by a drain, or a client (a TCP probe, say) that connected and left without a
    // word: nothing went wrong.
    if ((ec == net::error::operation_aborted && drain_requested_) || ec == net::error::eof ||
        ec == net::ssl::error::stream_truncated) {
      return;
    }
    // Plain HTTP on the TLS port, TLS 1.1 and older, no shared cipher, or a client that connected
    // and said nothing until the timeout: the connection just ends.
    hub_.metrics().RecordHandshakeError();
    hub_.logger().Warn("tls_handshake_failed", {{"peer", peer_}, {"error", ec.message()}});
    return;
  }
  DoWaitForRequest();
}

void Session::DoWaitForRequest() {
  if (drain_requested_) {
    DoClose();
    return;
  }
  // A pipelined request already in the buffer is read at once.
  if (buffer_.size() > 0) {
    DoReadHeader();
    return;
  }
  // Idle until the first byte of the next request: the (short) request timeout starts only then,
  // so that keep-alive connections may rest for the (long) idle timeout. A new connection has
  // no such excuse: a client connects when it has something to send, so one that stays silent
  // after the handshake is cut off like a slow request instead of holding a place for long.
  state_ = State::kIdle;
  beast::get_lowest_layer(stream_).expires_after(requests_ == 0 ? hub_.options().request_timeout
                                                                : hub_.options().idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(discard_.size()),
      beast::bind_front_handler(&Session::OnWaitForRequest, shared_from_this()));
}

void Session::OnWaitForRequest(beast::error_code ec, std::size_t bytes) {
  buffer_.commit(bytes);
  if (ec) {
    // The client closed with close_notify, or we are draining: answer with ours. A timeout has
    // closed the socket already; a truncated stream or a reset leaves nothing to say.
    if (ec == net::error::eof || (ec == net::error::operation_aborted && drain_requested_)) {
      DoClose();
    }
    return;
  }
  DoReadHeader();
}

void Session::DoReadHeader() {
  state_ = State::kReading;
  deadline_ = std::chrono::steady_clock::now() + hub_.options().request_timeout;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(kHeaderLimit));
  parser_->body_limit(kBodyLimit);
  // One deadline for the whole request, head and body: a client that trickles bytes
  // (slowloris) is cut off when it passes, however steadily it sends.
  beast::error_code ec;
  if (ParseBuffered(false, ec) || ec) {
    OnReadHeader(ec, 0);
    return;
  }
  beast::get_lowest_layer(stream_).expires_at(deadline_);
  beast::http::async_read_header(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&Session::OnReadHeader, shared_from_this()));
}

bool Session::ParseBuffered(bool eager, beast::error_code& ec) {
  parser_->eager(eager);
  auto reached = [&] { return eager ? parser_->is_done() : parser_->is_header_done(); };
  // A request without a body is done with its head: what follows in the buffer is the next one.
  while (!reached() && buffer_.size() > 0) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == beast::http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec || used == 0) {
      return false;
    }
  }
  return reached();
}

void Session::OnReadHeader(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  const auto& head = parser_->get();
  if (TargetPath(head.target()) == kValidatePath) {
    if (!hub_.TryEnterRequest()) {
      RefuseAndClose(BadRequest::kOverloaded, beast::http::status::service_unavailable,
                     "too many requests in flight; retry shortly");
      return;
    }
    in_flight_ = true;
  }
  if (beast::iequals(head[beast::http::field::expect], "100-continue")) {
    DoContinue();
    return;
  }
  DoReadBody();
}

void Session::DoContinue() {
  continue_.emplace(beast::http::status::continue_, parser_->get().version());
  beast::get_lowest_layer(stream_).expires_at(deadline_);
  beast::http::async_write(stream_, *continue_,
                           beast::bind_front_handler(&Session::OnContinue, shared_from_this()));
}

void Session::OnContinue(beast::error_code ec, std::size_t /*bytes*/) {
  continue_.reset();
  if (ec) {
    return;
  }
  DoReadBody();
}

void Session::DoReadBody() {
  beast::error_code ec;
  if (ParseBuffered(true, ec) || ec) {
    OnReadBody(ec, 0);
    return;
  }
  beast::get_lowest_layer(stream_).expires_at(deadline_);
  beast::http::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::OnReadBody, shared_from_this()));
}

void Session::OnReadBody(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  HandleRequest();
}

void Session::OnReadError(beast::error_code ec) {
  namespace http = beast::http;
  if (ec == beast::error::timeout) {
    hub_.metrics().RecordBadRequest(BadRequest::kTimeout);
    hub_.logger().Warn("bad_request",
                       {{"reason", BadRequestName(BadRequest::kTimeout)}, {"peer", peer_}});
    return;  // the stream has closed the socket
  }
  if (ec == http::error::body_limit) {
    RefuseAndClose(BadRequest::kBodyTooLarge, http::status::payload_too_large,
                   "request body exceeds 3 MiB");
    return;
  }
  if (ec == http::error::header_limit) {
    RefuseAndClose(BadRequest::kHeadersTooLarge, http::status::request_header_fields_too_large,
                   "request headers exceed 16 KiB");
    return;
  }
  if (ec == http::error::end_of_stream) {
    DoClose();
    return;
  }
  if (IsHttpError(ec) && ec != http::error::partial_message) {
    RefuseAndClose(BadRequest::kMalformedHttp, http::status::bad_request,
                   "malformed HTTP request: " + ec.message());
    return;
  }
  // TLS or socket errors, or a client gone mid-request: nobody is left to answer.
}

void Session::RefuseAndClose(BadRequest reason, beast::http::status status, std::string_view text) {
  hub_.metrics().RecordBadRequest(reason);
  hub_.logger().Warn(
      "bad_request",
      {{"reason", BadRequestName(reason)}, {"status", static_cast<int>(status)}, {"peer", peer_}});
  const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  HttpResponse response = TextResponse(status, version, text);
  if (status == beast::http::status::service_unavailable) {
    response.set(beast::http::field::retry_after, "1");
  }
  response.keep_alive(false);
  parser_.reset();
  DoWrite(std::move(response));
}

void Session::HandleRequest() {
  ++requests_;
  HttpRequest request = parser_->release();
  parser_.reset();
  std::optional<HttpResponse> response;
  RequestHandler::DeferredResponse deferred;
  try {
    response = hub_.handler().HandleOrDefer(request, deferred);
  } catch (const std::exception& e) {
    hub_.logger().Error("handler_failed", {{"error", e.what()}, {"peer", peer_}});
    response = TextResponse(beast::http::status::internal_server_error, request.version(),
                            "internal error");
  }
  if (response) {
    Respond(*std::move(response));
    return;
  }
  // The rest waits on the API server, or computes for long: run it off this thread, then answer
  // on the strand.
  if (deferred.computes) {
    DeferComputing(std::move(deferred), request.version());
    return;
  }
  auto rest = [self = shared_from_this(), finish = std::move(deferred.finish),
               version = request.version()] {
    HttpResponse answer = self->Finish(finish, version);
    net::post(self->stream_.get_executor(),
              [self, answer = std::move(answer)]() mutable { self->Respond(std::move(answer)); });
  };
  net::post(hub_.blocking_pool(), std::move(rest));
}

HttpResponse Session::Finish(const std::function<HttpResponse()>& finish, unsigned version) {
  try {
    return finish();
  } catch (const std::exception& e) {
    hub_.logger().Error("handler_failed", {{"error", e.what()}, {"peer", peer_}});
    return TextResponse(beast::http::status::internal_server_error, version, "internal error");
  }
}

// A review that computes for long runs on the background pool, whose threads get the CPU only
// when the connection threads leave it idle. Under load it could wait there past the API
// server's timeout, and the webhook's failurePolicy would decide instead of the rules and
// without a word; so it is answered by the error policy, saying why, when its deadline comes
// first, or at once when too many wait already. Whichever answer comes first is sent.
void Session::DeferComputing(RequestHandler::DeferredResponse deferred, unsigned version) {
  using Overdue = RequestHandler::Overdue;
  if (deferred.deadline <= std::chrono::steady_clock::now()) {
    Respond(deferred.overdue(Overdue::kDeadline));
    return;
  }
  if (!hub_.TryEnterBackground()) {
    Respond(deferred.overdue(Overdue::kQueueFull));
    return;
  }
  auto answered = std::make_shared<std::atomic<bool>>(false);
  auto deadline = std::make_shared<net::steady_timer>(stream_.get_executor(), deferred.deadline);
  deadline->async_wait([self = shared_from_this(), answered,
                        overdue = deferred.overdue](const beast::error_code& ec) {
    if (!ec && !answered->exchange(true)) {
      self->Respond(overdue(Overdue::kDeadline));
    }
  });
  auto rest = [self = shared_from_this(), finish = std::move(deferred.finish), version, answered,
               deadline] {
    [[maybe_unused]] static thread_local const bool low = RunThisThreadAtLowPriority();
    if (answered->load()) {
      self->hub_.LeaveBackground();  // answered while it waited: nothing left to do
      return;
    }
    HttpResponse answer = self->Finish(finish, version);
    self->hub_.LeaveBackground();
    net::post(self->stream_.get_executor(),
              [self, answer = std::move(answer), answered, deadline]() mutable {
                if (!answered->exchange(true)) {
                  deadline->cancel();
                  self->Respond(std::move(answer));
                }
              });
  };
  net::post(hub_.background_pool(), std::move(rest));
}

void Session::Respond(HttpResponse response) {
  if (drain_requested_ || hub_.Draining()) {
    response.keep_alive(false);
  }
  DoWrite(std::move(response));
}

void Session::DoWrite(HttpResponse response) {
  state_ = State::kWriting;
  keep_alive_after_write_ = response.keep_alive();
  // Serialized here, whole, by Beast's serializer, then written as one buffer: one TLS record
  // and one send, without the composed write operation's layers of handlers and buffer views.
  written_.clear();
  beast::http::response_serializer<beast::http::string_body> serializer(response);
  beast::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code& /*ec*/, const auto& buffers) {
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        written_.append(static_cast<const char*>(buffer.data()), buffer.size());
      }
      serializer.consume(beast::buffer_bytes(buffers));
    });
  }
  if (ec) {
    // A string body cannot fail to serialize; should it ever, the connection just ends.
    hub_.logger().Error("response_not_serialized", {{"error", ec.message()}, {"peer", peer_}});
    return;
  }
  beast::get_lowest_layer(stream_).expires_after(hub_.options().request_timeout);
  net::async_write(stream_, net::buffer(written_),
                   beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
  const bool keep_alive = keep_alive_after_write_;
  // Kept for the next response, unless an unusually big one (/metrics, say) grew it.
  if (written_.capacity() > kKeptWriteBufferBytes) {
    std::string().swap(written_);
  }
  EndRequest();
  if (ec) {
    return;
  }
  if (!keep_alive || drain_requested_) {
    DoClose();
    return;
  }
  DoWaitForRequest();
}

void Session::DoClose() {
  state_ = State::kClosing;
  // Our close_notify is enough (RFC 8446, 6.1): marking the peer's as received makes the
  // shutdown complete once ours is written, rather than wait on a client that may never answer.
  SSL* ssl = stream_.native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  beast::get_lowest_layer(stream_).expires_after(kCloseTimeout);
  stream_.async_shutdown(beast::bind_front_handler(&Session::OnClose, shared_from_this()));
}

void Session::OnClose(beast::error_code ec) {
  // A peer already gone (reset, truncated stream) is a normal end; there is nothing to linger for.
  if (ec) {
    return;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  // One deadline for all of the lingering, so a client trickling bytes cannot stretch it.
  linger_deadline_ = std::chrono::steady_clock::now() + kLingerTimeout;
  DoLinger();
}

void Session::DoLinger() {
  beast::get_lowest_layer(stream_).expires_at(linger_deadline_);
  beast::get_lowest_layer(stream_).async_read_some(
      net::buffer(discard_), beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::OnLinger(beast::error_code ec, std::size_t bytes) {
  discarded_ += bytes;
  // The client's end of stream, a timeout or enough dropped bytes: the socket closes with the
  // session.
  if (ec || discarded_ > kLingerLimit) {
    return;
  }
  DoLinger();
}

void Session::EndRequest() {
  if (in_flight_) {
    in_flight_ = false;
    hub_.LeaveRequest();
  }
}

}  // namespace netadmit::server
