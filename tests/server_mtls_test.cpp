// Mutual TLS (--client-ca) over real TLS on 127.0.0.1: a client certificate the CA issued is
// served; none, one from another CA, or one not meant for client authentication fail the
// handshake and are counted; without --client-ca no certificate is asked for; the CA bundle is
// reloaded when it changes, a broken one is ignored at reload and refused at start.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/tls.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using server::LogStream;

constexpr const char* kDenied = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";
constexpr const char* kClientCaFile = "client-ca.pem";

// The handshake errors counted so far, read from the server itself: over HTTPS the metrics
// endpoint would need a client certificate too.
double HandshakeErrors(TestServer& server) {
  return MetricValue(server.server().metrics().Serialize(), "netadmit_tls_handshake_errors_total");
}

struct ClientIdentity {
  std::string cert_file;  // empty: the client presents no certificate
  std::string key_file;
};

// Connects with `identity` at one TLS version and sends an AdmissionReview. With TLS 1.3 the
// client finishes its side of the handshake before the server has looked at its certificate,
// so a refusal may only show on the first read; either way the exchange must fail.
Reply Review(const TestServer& server, const ClientIdentity& identity, int tls_version) {
  ClientOptions options = server.Client();
  options.min_version = tls_version;
  options.max_version = tls_version;
  HttpsClient client(server.port(), options);
  if (!identity.cert_file.empty()) {
    client.UseClientCertificate(identity.cert_file, identity.key_file);
  }
  Reply reply;
  reply.ec = client.Connect();
  if (reply.ec) {
    return reply;
  }
  return client.Send(ValidateRequest(Fixture(kDenied)));
}

void ExpectServed(const TestServer& server, const ClientIdentity& identity) {
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
    const Reply reply = Review(server, identity, version);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::ok);
    EXPECT_NE(reply.response.body().find("\"allowed\":false"), std::string::npos);
  }
}

// The alert the client receives, as OpenSSL words it, at TLS 1.2 and at TLS 1.3.
struct Alerts {
  std::string tls12;
  std::string tls13;
};
// TLS 1.3 has an alert of its own for a missing certificate; TLS 1.2 only a generic one.
const Alerts kNoCertificate = {"sslv3 alert handshake failure",
                               "tlsv13 alert certificate required"};
const Alerts kUnknownCa = {"tlsv1 alert unknown ca", "tlsv1 alert unknown ca"};
// The issuer's name matched a trusted CA but its key did not sign the certificate.
const Alerts kBadSignature = {"tlsv1 alert decrypt error", "tlsv1 alert decrypt error"};
// The extended key usage does not allow client authentication.
const Alerts kNotForClients = {"sslv3 alert unsupported certificate",
                               "sslv3 alert unsupported certificate"};

// The exchange fails at both versions, with the server's alert.
void ExpectRefused(const TestServer& server, const ClientIdentity& identity, const Alerts& alerts) {
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
    const Reply reply = Review(server, identity, version);
    ASSERT_TRUE(reply.ec) << "served with status " << reply.response.result_int();
    const std::string& alert = version == TLS1_2_VERSION ? alerts.tls12 : alerts.tls13;
    EXPECT_TRUE(reply.ec.message().starts_with(alert)) << reply.ec.message();
  }
}

// One TLS 1.2 handshake with a client certificate on a blocking socket, offering `resume` when
// given. In TLS 1.2 the server sends its Finished only after it has accepted the client's
// certificate, so a completed handshake means acceptance.
struct Tls12Handshake {
  bool completed = false;
  bool resumed = false;
  std::shared_ptr<SSL_SESSION> session;  // to offer next time
};

Tls12Handshake HandshakeTls12(uint16_t port, const ClientIdentity& identity, SSL_SESSION* resume) {
  Tls12Handshake result;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                            SSL_CTX_free);
  if (context == nullptr || SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(context.get(), identity.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context.get(), identity.key_file.c_str(), SSL_FILETYPE_PEM) !=
          1) {
    ADD_FAILURE() << "cannot set up the TLS 1.2 client";
    return result;
  }
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  // A server that stops answering fails the test instead of hanging it.
  const timeval timeout{5, 0};
  setsockopt(socket_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(socket_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    SSL* ssl = SSL_new(context.get());
    SSL_set_fd(ssl, socket_fd);
    if (resume != nullptr) {
      SSL_set_session(ssl, resume);
    }
    result.completed = SSL_connect(ssl) == 1;
    if (result.completed) {
      result.resumed = SSL_session_reused(ssl) == 1;
      result.session.reset(SSL_get1_session(ssl), SSL_SESSION_free);
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  }
  close(socket_fd);
  return result;
}

// A webhook that requires client certificates from `client_ca_`. `other_ca_` issues
// certificates the webhook has never heard of.
class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_.Write(kClientCaFile, client_ca_.cert_pem());
    good_ = Issue(client_ca_, 10, "kube-apiserver");
    server_ = std::make_unique<TestServer>(
        TestServer::Config{.adjust = [this](server::ServerOptions& options) {
          options.client_ca = files_.File(kClientCaFile);
        }});
  }

  // Writes a client certificate and key into the test's directory.
  ClientIdentity Issue(const TestCa& ca, int64_t serial, const std::string& name) {
    const IssuedCertificate issued = ca.IssueClient(serial, name);
    files_.Write(name + ".crt", issued.cert_pem);
    files_.Write(name + ".key", issued.key_pem);
    return {files_.File(name + ".crt"), files_.File(name + ".key")};
  }

  size_t CertificateLoads() const {
    size_t loads = 0;
    for (const auto& line : server_->Lines(LogStream::kEvent)) {
      loads += line.find("\"certificate_loaded\"") != std::string::npos ? 1 : 0;
    }
    return loads;
  }

  TempDir files_;
  TestCa client_ca_{"netadmit client CA"};
  TestCa other_ca_{"another client CA"};
  ClientIdentity good_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(MtlsTest, ClientCertificateFromTheCaIsServed) {
  ExpectServed(*server_, good_);
  EXPECT_EQ(HandshakeErrors(*server_), 0);
  // The start says which bundle is in force and how many CAs it holds.
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, "\"client_cas\":1"));
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, files_.File(kClientCaFile)));
}

TEST_F(MtlsTest, NoClientCertificateFailsTheHandshakeAndIsCounted) {
  ExpectRefused(*server_, {}, kNoCertificate);
  EXPECT_TRUE(Eventually([&] { return HandshakeErrors(*server_) == 2; }))
      << HandshakeErrors(*server_);
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, "peer did not return a certificate"));
  ExpectServed(*server_, good_);
}

TEST_F(MtlsTest, ClientCertificateFromAnotherCaFailsTheHandshakeAndIsCounted) {
  const ClientIdentity stranger = Issue(other_ca_, 10, "stranger");
  ExpectRefused(*server_, stranger, kUnknownCa);
  EXPECT_TRUE(Eventually([&] { return HandshakeErrors(*server_) == 2; }))
      << HandshakeErrors(*server_);
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, "certificate verify failed"));
  ExpectServed(*server_, good_);
}

TEST_F(MtlsTest, ClientCertificateFromACaOfTheSameNameFailsTheHandshake) {
  // An impostor CA that copies the trusted CA's subject: the name finds the trusted CA, whose
  // key did not sign the client certificate.
  const TestCa impostor("netadmit client CA");
  const ClientIdentity forged = Issue(impostor, 10, "forged");
  ExpectRefused(*server_, forged, kBadSignature);
  EXPECT_TRUE(Eventually([&] { return HandshakeErrors(*server_) == 2; }))
      << HandshakeErrors(*server_);
  ExpectServed(*server_, good_);
}

TEST_F(MtlsTest, CertificateForServersOnlyFailsTheHandshake) {
  // Issued by the right CA, but its extended key usage allows serverAuth alone.
  const IssuedCertificate serving = client_ca_.Issue(11);
  files_.Write("serving.crt", serving.cert_pem);
  files_.Write("serving.key", serving.key_pem);
  ExpectRefused(*server_, {files_.File("serving.crt"), files_.File("serving.key")}, kNotForClients);
  EXPECT_TRUE(Eventually([&] { return HandshakeErrors(*server_) == 2; }))
      << HandshakeErrors(*server_);
}

TEST_F(MtlsTest, Tls12SessionsAreResumed) {
  // OpenSSL refuses to resume sessions on a server that verifies clients unless the server names
  // its session context: the second handshake would fail.
  const Tls12Handshake first = HandshakeTls12(server_->port(), good_, nullptr);
  ASSERT_TRUE(first.completed);
  EXPECT_FALSE(first.resumed);
  const Tls12Handshake second = HandshakeTls12(server_->port(), good_, first.session.get());
  ASSERT_TRUE(second.completed);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(HandshakeErrors(*server_), 0);
}

TEST_F(MtlsTest, RotatingTheClientCaIsPickedUp) {
  const ClientIdentity next = Issue(other_ca_, 20, "kube-apiserver-next");
  ExpectRefused(*server_, next, kUnknownCa);

  // The usual rotation: both CAs for a while, then only the new one.
  files_.Write(kClientCaFile, client_ca_.cert_pem() + other_ca_.cert_pem());
  ASSERT_TRUE(Eventually([&] { return CertificateLoads() == 2; }));
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, "\"client_cas\":2"));
  ExpectServed(*server_, good_);
  ExpectServed(*server_, next);

  files_.Write(kClientCaFile, other_ca_.cert_pem());
  ASSERT_TRUE(Eventually([&] { return CertificateLoads() == 3; }));
  ExpectServed(*server_, next);
  ExpectRefused(*server_, good_, kUnknownCa);

  // A broken bundle is logged and the context in force stays.
  files_.Write(kClientCaFile, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
  ASSERT_TRUE(server_->WaitForLine(LogStream::kEvent, "certificate_reload_failed"));
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, files_.File(kClientCaFile)));
  EXPECT_EQ(CertificateLoads(), 3u);
  ExpectServed(*server_, next);
  ExpectRefused(*server_, good_, kUnknownCa);
}

TEST(MtlsOffTest, WithoutClientCaNoCertificateIsAskedFor) {
  TestServer server;
  ExpectServed(server, {});
  // A client that has one anyway is served as well: it is never asked to present it.
  TempDir files;
  const IssuedCertificate issued = TestCa().IssueClient(5, "anyone");
  files.Write("client.crt", issued.cert_pem);
  files.Write("client.key", issued.key_pem);
  ExpectServed(server, {files.File("client.crt"), files.File("client.key")});
  EXPECT_EQ(HandshakeErrors(server), 0);
}

// Server creation fails, naming the client CA file; returns the message.
std::string StartFailure(const std::string& client_ca) {
  try {
    TestServer server(TestServer::Config{
        .adjust = [&](server::ServerOptions& options) { options.client_ca = client_ca; }});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "the server started with client CA file " << client_ca;
  return "";
}

TEST(MtlsStartTest, BrokenClientCaRefusesToStartNamingTheFile) {
  TempDir files;
  const TestCa ca;
  files.Write("empty.pem", "");
  files.Write("not-pem.pem", "hello\n");
  files.Write("corrupt.pem", "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
  files.Write("key-only.pem", ca.IssueClient(2, "key").key_pem);
  for (const std::string name :
       {"missing.pem", "empty.pem", "not-pem.pem", "corrupt.pem", "key-only.pem"}) {
    SCOPED_TRACE(name);
    const std::string message = StartFailure(files.File(name));
    EXPECT_TRUE(message.starts_with("test server: " + files.File(name) + ": ")) << message;
    EXPECT_NE(message.find("client CA bundle"), std::string::npos) << message;
  }
}

TEST(MtlsStartTest, LoadTlsIdentityCountsTheClientCas) {
  TempDir files;
  const TestCa server_ca;
  // One subject for both, as during a rotation that keeps the CA's name: both count.
  const TestCa first("rotated CA");
  const TestCa second("rotated CA");
  const IssuedCertificate serving = server_ca.Issue(7);
  files.Write("tls.crt", serving.cert_pem);
  files.Write("tls.key", serving.key_pem);
  files.Write("clients.pem", first.cert_pem() + second.cert_pem());
  auto without = server::LoadTlsIdentity(files.File("tls.crt"), files.File("tls.key"));
  ASSERT_TRUE(without.ok()) << without.error().ToString();
  EXPECT_EQ(without->client_cas, 0u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(without->context->native_handle()), SSL_VERIFY_NONE);
  auto with = server::LoadTlsIdentity(files.File("tls.crt"), files.File("tls.key"),
                                      files.File("clients.pem"));
  ASSERT_TRUE(with.ok()) << with.error().ToString();
  EXPECT_EQ(with->client_cas, 2u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(with->context->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

}  // namespace
}  // namespace netadmit::testing
