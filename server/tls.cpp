#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <array>
#include <boost/asio/ssl/error.hpp>

namespace netadmit::server {

namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: forward secret (ECDHE) and authenticated encryption (GCM, ChaCha20) only.
// TLS 1.3 suites are all AEAD and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN protocol list in wire format: length-prefixed names.
constexpr std::array<unsigned char, 9> kAlpnHttp11 = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// Names the sessions of this server, for resumption with client verification on.
constexpr std::array<unsigned char, 8> kSessionIdContext = {'n', 'e', 't', 'a', 'd', 'm', 'i', 't'};

// Picks http/1.1 from the client's ALPN offer. A client offering ALPN without http/1.1 (h2
// only) cannot be served, so the handshake fails with no_application_protocol (RFC 7301).
int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
               const unsigned char* offered, unsigned int offered_length, void* /*arg*/) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kAlpnHttp11.data(),
                            static_cast<unsigned int>(kAlpnHttp11.size()), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// The reasons OpenSSL queued, oldest first, after `what` failed.
std::string OpenSslReason(const boost::system::error_code& ec) {
  std::string reason = ec ? ec.message() : std::string();
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!reason.empty()) {
      reason += "; ";
    }
    reason += text.data();
  }
  return reason.empty() ? "unknown error" : reason;
}

Error LoadError(const std::string& file, std::string message) {
  return Error{file, 0, 0, "", std::move(message)};
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

void Describe(X509* certificate, TlsIdentity& identity) {
  if (certificate == nullptr) {
    return;
  }
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      identity.serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_ONELINE);
    identity.subject = BioText(bio);
    BIO_free(bio);
  }
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    ASN1_TIME_print(bio, X509_get0_notAfter(certificate));
    identity.not_after = BioText(bio);
    BIO_free(bio);
  }
}

// Asks every client for a certificate and completes the handshake only when it chains to a CA
// in `file`. Returns how many distinct certificates the bundle holds.
Result<std::size_t> RequireClientCertificates(SSL_CTX* native, const std::string& file) {
  // The trust anchors the client's chain is verified against. OpenSSL checks it for the
  // sslclient purpose, so a certificate whose extended key usage excludes clientAuth fails too.
  if (SSL_CTX_load_verify_locations(native, file.c_str(), nullptr) != 1) {
    return LoadError(file, "cannot load the client CA bundle: " + OpenSslReason({}));
  }
  // The CA names sent in the certificate request, so that a client holding several certificates
  // (the API server's kubeconfig can name one per webhook) picks one these CAs issued.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(file.c_str());
  if (names == nullptr) {
    return LoadError(file, "no CA certificate in the client CA bundle: " + OpenSslReason({}));
  }
  SSL_CTX_set_client_CA_list(native, names);  // takes ownership
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // A server that verifies clients must name its sessions' context, or OpenSSL fails the
  // handshake of every client that tries to resume a session.
  if (SSL_CTX_set_session_id_context(native, kSessionIdContext.data(),
                                     static_cast<unsigned int>(kSessionIdContext.size())) != 1) {
    return LoadError(file, "cannot configure client verification: " + OpenSslReason({}));
  }
  // Counted in the context's own store, which holds only this bundle: the names above would
  // fold two CAs of one subject (an old and a new one during a rotation) into one.
  std::size_t count = 0;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(native));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_X509) {
      ++count;
    }
  }
  return count;
}

}  // namespace

Result<TlsIdentity> LoadTlsIdentity(const std::string& cert_file, const std::string& key_file,
                                    const std::string& client_ca_file) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                           ssl::context::single_dh_use,
                       ec);
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return LoadError("", "cannot configure TLS: " + OpenSslReason(ec));
  }
  // Clients' preferences among our strong suites do not matter; ours do.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);

  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return LoadError(cert_file, "cannot load the certificate chain: " + OpenSslReason(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    // OpenSSL checks the key against the certificate as it loads it; say so plainly, since a
    // half-rotated pair (new certificate, old key) is the usual cause.
    const bool mismatch =
        ec.category() == boost::asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    return LoadError(key_file, (mismatch ? "the private key does not match the certificate in " +
                                               cert_file + ": "
                                         : std::string("cannot load the private key: ")) +
                                   OpenSslReason(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return LoadError(key_file, "the private key does not match the certificate in " + cert_file +
                                   ": " + OpenSslReason({}));
  }
  TlsIdentity identity;
  if (!client_ca_file.empty()) {
    auto client_cas = RequireClientCertificates(native, client_ca_file);
    if (!client_cas) {
      return client_cas.error();
    }
    identity.client_cas = *client_cas;
  }
  Describe(SSL_CTX_get0_certificate(native), identity);
  identity.context = std::move(context);
  return identity;
}

}  // namespace netadmit::server
