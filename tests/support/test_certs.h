#pragma once

// Test certificates made in-process with the OpenSSL API: a CA, and serving and client
// certificates it signs with chosen serial numbers (to tell a reloaded certificate from the old
// one).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace netadmit::testing {

struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
  std::string serial_hex;  // as BN_bn2hex prints it, e.g. "1F"
};

class TestCa {
 public:
  TestCa();  // an ECDSA P-256 CA, valid for a day
  // The same, with this common name, to tell two CAs apart.
  explicit TestCa(const std::string& common_name);

  // A serving certificate for `sans` ("DNS:localhost", "IP:127.0.0.1", ...), ECDSA P-256.
  IssuedCertificate Issue(int64_t serial, const std::vector<std::string>& sans = {
                                              "DNS:localhost", "IP:127.0.0.1", "IP:::1"}) const;
  // A client certificate for `common_name`, ECDSA P-256, with extended key usage clientAuth.
  // A non-empty `organization` becomes the subject's O, which Kubernetes reads as a group.
  IssuedCertificate IssueClient(int64_t serial, const std::string& common_name,
                                const std::string& organization = "") const;
  const std::string& cert_pem() const { return cert_pem_; }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  std::unique_ptr<X509, decltype(&X509_free)> cert_;
  std::string cert_pem_;
};

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

// A new ECDSA P-256 key pair, e.g. for signing service-account tokens.
KeyPair NewKeyPair();

// A temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes through a temporary file and a rename, as cert-manager and editors do: readers see
  // the old or the new content, never half of one.
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Updates a directory as the kubelet updates a mounted Secret or ConfigMap: the files go into a
// new directory `volume`/`version` (such as "..v2"), one rename of the `..data` link puts them
// all in force at once, and each name that is not a link yet becomes one through ..data.
void UpdateMountedVolume(const std::string& volume, const std::string& version,
                         const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace netadmit::testing
