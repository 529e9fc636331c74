#include "tests/support/https_client.h"

#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace netadmit::testing {

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using net::ip::tcp;

std::string AlpnWire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& protocol : protocols) {
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return wire;
}

}  // namespace

HttpsClient::HttpsClient(uint16_t port, ClientOptions options)
    : port_(port), options_(std::move(options)), ssl_context_(ssl::context::tls_client) {
  SSL_CTX* native = ssl_context_.native_handle();
  if (options_.min_version != 0) {
    SSL_CTX_set_min_proto_version(native, options_.min_version);
  }
  if (options_.max_version != 0) {
    SSL_CTX_set_max_proto_version(native, options_.max_version);
  }
  if (!options_.cipher_list.empty()) {
    SSL_CTX_set_cipher_list(native, options_.cipher_list.c_str());
  }
  if (!options_.alpn.empty()) {
    const std::string wire = AlpnWire(options_.alpn);
    SSL_CTX_set_alpn_protos(native, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  if (!options_.ca_file.empty()) {
    ssl_context_.load_verify_file(options_.ca_file);
    ssl_context_.set_verify_mode(ssl::verify_peer);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(native);
    X509_VERIFY_PARAM_set1_ip_asc(param, options_.verify_ip.c_str());
  } else {
    ssl_context_.set_verify_mode(ssl::verify_none);
  }
}

HttpsClient::~HttpsClient() {
  if (stream_) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
  }
}

// Starts one asynchronous operation and runs the io_context until it completes; the stream's
// deadline turns a silent server into beast::error::timeout.
template <typename Start>
boost::system::error_code HttpsClient::Run(std::chrono::milliseconds timeout, Start start) {
  boost::system::error_code result = net::error::would_block;
  beast::get_lowest_layer(*stream_).expires_after(timeout);
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io_context_.restart();
  io_context_.run();
  return result;
}

void HttpsClient::UseClientCertificate(const std::string& cert_file, const std::string& key_file) {
  ssl_context_.use_certificate_chain_file(cert_file);
  ssl_context_.use_private_key_file(key_file, ssl::context::pem);
}

boost::system::error_code HttpsClient::Connect() {
  stream_.emplace(io_context_, ssl_context_);
  buffer_.clear();
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port_);
  auto ec = Run(options_.timeout, [&](auto handler) {
    beast::get_lowest_layer(*stream_).async_connect(endpoint, handler);
  });
  if (ec) {
    return ec;
  }
  return Run(options_.timeout,
             [&](auto handler) { stream_->async_handshake(ssl::stream_base::client, handler); });
}

Reply HttpsClient::Send(const http::request<http::string_body>& request) {
  Reply reply;
  reply.ec =
      Run(options_.timeout, [&](auto handler) { http::async_write(*stream_, request, handler); });
  if (reply.ec) {
    return reply;
  }
  return ReadResponse();
}

Reply HttpsClient::Request(http::verb method, std::string_view target, std::string body) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::user_agent, "netadmit-test");
  if (method == http::verb::post || !body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }
  return Send(request);
}

Reply HttpsClient::Post(std::string_view target, std::string body) {
  return Request(http::verb::post, target, std::move(body));
}

Reply HttpsClient::Get(std::string_view target) { return Request(http::verb::get, target); }

boost::system::error_code HttpsClient::WriteRaw(std::string_view bytes) {
  return Run(options_.timeout, [&](auto handler) {
    net::async_write(*stream_, net::buffer(bytes.data(), bytes.size()), handler);
  });
}

Reply HttpsClient::ReadResponse() {
  Reply reply;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  reply.ec = Run(options_.timeout,
                 [&](auto handler) { http::async_read(*stream_, buffer_, parser, handler); });
  if (!reply.ec) {
    reply.response = parser.release();
  }
  return reply;
}

bool HttpsClient::WaitForClose(std::chrono::milliseconds timeout, std::string* data) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> chunk{};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    std::size_t got = 0;
    auto ec = Run(left, [&](auto handler) {
      stream_->async_read_some(net::buffer(chunk),
                               [&got, handler](boost::system::error_code read_ec, std::size_t n) {
                                 got = n;
                                 handler(read_ec);
                               });
    });
    if (data != nullptr) {
      data->append(chunk.data(), got);
    }
    if (ec == beast::error::timeout) {
      return false;
    }
    if (ec) {
      return true;
    }
  }
}

bool HttpsClient::Readable(std::chrono::milliseconds timeout) {
  if (buffer_.size() > 0) {
    return true;
  }
  pollfd descriptor{};
  descriptor.fd = beast::get_lowest_layer(*stream_).socket().native_handle();
  descriptor.events = POLLIN | POLLRDHUP;
  return ::poll(&descriptor, 1, static_cast<int>(timeout.count())) > 0;
}

std::string HttpsClient::PeerSerial() {
  X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
  if (cert == nullptr) {
    return "";
  }
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(number);
  std::string text(hex);
  OPENSSL_free(hex);
  BN_free(number);
  X509_free(cert);
  return text;
}

std::string HttpsClient::Alpn() {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(stream_->native_handle(), &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::string HttpsClient::Version() { return SSL_get_version(stream_->native_handle()); }

http::request<http::string_body> ValidateRequest(std::string body) {
  http::request<http::string_body> request{http::verb::post, "/validate?timeout=10s", 11};
  request.set(http::field::host, "127.0.0.1:8443");
  request.set(http::field::user_agent, "kube-apiserver-admission");
  request.set(http::field::accept, "application/json, */*");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept_encoding, "gzip");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

PlainExchange SendPlain(uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout) {
  net::io_context io_context;
  beast::tcp_stream stream(io_context);
  PlainExchange result;
  boost::system::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                       [&](boost::system::error_code connect_ec) { ec = connect_ec; });
  io_context.run();
  if (ec) {
    result.closed = true;
    return result;
  }
  io_context.restart();
  net::async_write(stream, net::buffer(bytes.data(), bytes.size()),
                   [&](boost::system::error_code write_ec, std::size_t) { ec = write_ec; });
  io_context.run();
  std::array<char, 4096> chunk{};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t got = 0;
    stream.expires_at(deadline);
    io_context.restart();
    stream.async_read_some(net::buffer(chunk),
                           [&](boost::system::error_code read_ec, std::size_t n) {
                             ec = read_ec;
                             got = n;
                           });
    io_context.run();
    result.received.append(chunk.data(), got);
    if (ec == beast::error::timeout) {
      break;
    }
    if (ec) {
      result.closed = true;
      break;
    }
  }
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace netadmit::testing
