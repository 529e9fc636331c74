#pragma once

// A small blocking HTTPS client for the server tests, on Beast and OpenSSL. Every operation has
// a deadline, so a test fails instead of hanging when the server does not answer. Besides
// well-formed requests it can write raw bytes, to play a broken or hostile client.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netadmit::testing {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

struct ClientOptions {
  std::string ca_file;                  // verify the server against this CA; empty: no checks
  std::string verify_ip = "127.0.0.1";  // the address the certificate must name
  int min_version = 0;                  // e.g. TLS1_2_VERSION; 0: OpenSSL's default
  int max_version = 0;
  std::string cipher_list;  // TLS 1.2 and older; empty: OpenSSL's default
  std::vector<std::string> alpn = {"http/1.1"};
  std::chrono::milliseconds timeout{5000};
};

struct Reply {
  boost::system::error_code ec;
  Response response;
};

class HttpsClient {
 public:
  explicit HttpsClient(uint16_t port, ClientOptions options = {});
  ~HttpsClient();

  // Presents this PEM certificate and key as the client's on the next Connect(). Throws when
  // either does not load.
  void UseClientCertificate(const std::string& cert_file, const std::string& key_file);

  // TCP connect and TLS handshake.
  boost::system::error_code Connect();

  Reply Send(const http::request<http::string_body>& request);
  Reply Post(std::string_view target, std::string body);
  Reply Get(std::string_view target);
  Reply Request(http::verb method, std::string_view target, std::string body = {});

  boost::system::error_code WriteRaw(std::string_view bytes);
  Reply ReadResponse();
  // Reads until the server ends the connection. True when it did within `timeout` (a close
  // alert, end of stream or reset), false on timeout. Data that arrives is appended to `data`.
  bool WaitForClose(std::chrono::milliseconds timeout, std::string* data = nullptr);

  // True when something (data, a close alert, end of stream) is waiting to be read within
  // `timeout`; unlike a read, leaves the connection open when nothing comes.
  bool Readable(std::chrono::milliseconds timeout);

  // Facts of the handshake.
  std::string PeerSerial();  // hex, as BN_bn2hex prints it
  std::string Alpn();
  std::string Version();  // "TLSv1.3"

 private:
  template <typename Start>
  boost::system::error_code Run(std::chrono::milliseconds timeout, Start start);

  uint16_t port_;
  ClientOptions options_;
  boost::asio::io_context io_context_;
  boost::asio::ssl::context ssl_context_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
};

// A request as the API server sends it: POST /validate?timeout=10s with a JSON body.
http::request<http::string_body> ValidateRequest(std::string body);

// Plain TCP: connects, writes `bytes`, and reads until the server closes or `timeout` passes.
struct PlainExchange {
  std::string received;
  bool closed = false;  // the server closed (or reset) the connection within the timeout
};
PlainExchange SendPlain(uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout);

// The text of a file.
std::string ReadFile(const std::string& path);

}  // namespace netadmit::testing
