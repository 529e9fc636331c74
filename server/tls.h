#pragma once

// The server's TLS configuration: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers for 1.2, ALPN
// http/1.1 (the API server offers nothing else). A context is built whole from a certificate
// chain and key on disk, and optionally a client CA bundle, and never changed afterwards; a
// reload builds a new one.

#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "netadmit/model/result.h"

namespace netadmit::server {

struct TlsIdentity {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string serial;     // the leaf certificate's serial number, hex
  std::string subject;    // one line, e.g. "CN=netadmit"
  std::string not_after;  // e.g. "Nov 26 04:31:37 2027 GMT"
  // Certificates in the client CA bundle; 0 when client certificates are not asked for.
  std::size_t client_cas = 0;
};

// Reads a PEM certificate chain (leaf first) and its PEM private key. Fails naming the file and
// OpenSSL's reason when a file is unreadable, is not PEM, or the key does not match the
// certificate.
//
// With a `client_ca_file` (a PEM bundle of CA certificates), every handshake requires a client
// certificate that chains to one of them and is fit for client authentication; a client without
// one, or with one from another CA, fails the handshake. Fails naming the file when it is
// unreadable or holds no certificate.
Result<TlsIdentity> LoadTlsIdentity(const std::string& cert_file, const std::string& key_file,
                                    const std::string& client_ca_file = "");

}  // namespace netadmit::server
