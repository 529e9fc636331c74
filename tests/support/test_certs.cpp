#include "tests/support/test_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <utility>

namespace netadmit::testing {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

void Require(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("test certificate: ") + what + " failed");
  }
}

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Require(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  Require(extension != nullptr, "X509V3_EXT_conf_nid");
  Require(X509_add_ext(cert, extension, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(extension);
}

CertPtr NewCert(int64_t serial, const std::string& common_name, EVP_PKEY* key) {
  CertPtr cert(X509_new(), X509_free);
  Require(cert != nullptr, "X509_new");
  Require(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  Require(ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  Require(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     -1, -1, 0) == 1,
          "subject");
  return cert;
}

std::string Pem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  Require(bio != nullptr && write(bio.get()) == 1, "PEM write");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* cert) {
  return Pem([cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

std::string KeyPem(EVP_PKEY* key) {
  return Pem([key](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

std::string SerialHex(X509* cert) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> number(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  Require(number != nullptr, "serial to BN");
  char* hex = BN_bn2hex(number.get());
  std::string text(hex);
  OPENSSL_free(hex);
  return text;
}

}  // namespace

TestCa::TestCa() : key_(NewKey()), cert_(nullptr, X509_free) {
  cert_ = NewCert(1, "netadmit test CA", key_.get());
  Require(X509_set_issuer_name(cert_.get(), X509_get_subject_name(cert_.get())) == 1, "issuer");
  AddExtension(cert_.get(), cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert_.get(), cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  Require(X509_sign(cert_.get(), key_.get(), EVP_sha256()) > 0, "X509_sign");
  cert_pem_ = CertPem(cert_.get());
}

TestCa::TestCa(const std::string& common_name) : key_(NewKey()), cert_(nullptr, X509_free) {
  CertPtr cert = NewCert(1, common_name, key_.get());
  X509* self = cert.get();
  Require(X509_set_issuer_name(self, X509_get_subject_name(self)) == 1, "issuer");
  for (const auto& [nid, value] :
       {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"}}) {
    AddExtension(self, self, nid, value);
  }
  Require(X509_sign(self, key_.get(), EVP_sha256()) > 0, "X509_sign");
  cert_pem_ = CertPem(self);
  cert_ = std::move(cert);
}

IssuedCertificate TestCa::Issue(int64_t serial, const std::vector<std::string>& sans) const {
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(serial, "netadmit test server", key.get());
  Require(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())) == 1, "issuer");
  std::string alt_names;
  for (const auto& san : sans) {
    alt_names += (alt_names.empty() ? "" : ",") + san;
  }
  AddExtension(cert.get(), cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), cert_.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), cert_.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(cert.get(), cert_.get(), NID_subject_alt_name, alt_names);
  Require(X509_sign(cert.get(), key_.get(), EVP_sha256()) > 0, "X509_sign");
  return IssuedCertificate{CertPem(cert.get()), KeyPem(key.get()), SerialHex(cert.get())};
}

IssuedCertificate TestCa::IssueClient(int64_t serial, const std::string& common_name,
                                      const std::string& organization) const {
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(serial, common_name, key.get());
  if (!organization.empty()) {
    Require(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "O", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(organization.c_str()),
                                       -1, -1, 0) == 1,
            "organization");
  }
  Require(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())) == 1, "issuer");
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "clientAuth"},
  };
  for (const auto& [nid, value] : extensions) {
    AddExtension(cert.get(), cert_.get(), nid, value);
  }
  Require(X509_sign(cert.get(), key_.get(), EVP_sha256()) > 0, "X509_sign");
  return IssuedCertificate{CertPem(cert.get()), KeyPem(key.get()), SerialHex(cert.get())};
}

KeyPair NewKeyPair() {
  KeyPtr key = NewKey();
  EVP_PKEY* raw = key.get();
  return KeyPair{KeyPem(raw), Pem([raw](BIO* bio) { return PEM_write_bio_PUBKEY(bio, raw); })};
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "netadmit-test-XXXXXX").string();
  Require(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string temporary = File("." + name + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    Require(static_cast<bool>(out), "writing a test file");
  }
  std::filesystem::rename(temporary, File(name));
}

namespace {

// Points the symlink `link` at `target` in one rename, whatever `link` was before.
void SwapLink(const std::string& link, const std::string& target) {
  const std::string temporary = link + ".tmp";
  std::filesystem::remove(temporary);
  std::filesystem::create_symlink(target, temporary);
  std::filesystem::rename(temporary, link);
}

}  // namespace

void UpdateMountedVolume(const std::string& volume, const std::string& version,
                         const std::vector<std::pair<std::string, std::string>>& files) {
  std::filesystem::create_directories(volume + "/" + version);
  // Nothing reads the new directory before the link is swapped: plain writes will do.
  for (const auto& [name, content] : files) {
    std::ofstream out(volume + "/" + version + "/" + name, std::ios::binary | std::ios::trunc);
    out << content;
    Require(static_cast<bool>(out), "writing a mounted file");
  }
  SwapLink(volume + "/..data", version);
  // A test may also have written a file of its own over a link.
  for (const auto& [name, content] : files) {
    if (!std::filesystem::is_symlink(volume + "/" + name)) {
      SwapLink(volume + "/" + name, "..data/" + name);
    }
  }
}

}  // namespace netadmit::testing
