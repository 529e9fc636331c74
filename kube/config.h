#pragma once

// Where the API server is and how to prove who we are: from a kubeconfig file (outside a
// cluster) or from the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT, the mounted
// token, CA and namespace files).

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "netadmit/model/result.h"

namespace netadmit::kube {

struct ClusterConfig {
  std::string host;  // name or IP address, without brackets
  std::string port = "443";
  std::string ca_pem;      // the CA that signs the API server's certificate; required
  std::string token;       // a fixed bearer token
  std::string token_file;  // a bearer token file, re-read when it changes (projected tokens)
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string namespace_name;  // the context's namespace, or the service account's
};

// Reads a kubeconfig: the current context (or `context`), its cluster's server URL (https only)
// and CA (certificate-authority-data or certificate-authority, relative to the file), and its
// user's token, tokenFile or client certificate and key (inline or as files). Fails naming the
// field that is missing or malformed; never throws.
Result<ClusterConfig> LoadKubeconfig(const std::string& path, std::string_view context = {});

// The default directory of the service account's token, ca.crt and namespace files.
inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

using GetEnv = std::function<const char*(const char*)>;

// True when KUBERNETES_SERVICE_HOST is set: running in a pod.
bool InClusterEnvironment(const GetEnv& getenv);

// The in-cluster configuration: KUBERNETES_SERVICE_HOST and _PORT, `dir`/ca.crt, `dir`/token
// (as a token file) and `dir`/namespace (optional).
Result<ClusterConfig> InClusterConfig(const GetEnv& getenv,
                                      const std::string& dir = std::string(kServiceAccountDir));

// Parses "https://host[:port][/]" into host and port. Other schemes and paths are refused.
Status ParseServerUrl(std::string_view url, ClusterConfig& config);

// Decodes standard base64 (with or without padding; whitespace ignored).
Result<std::string> DecodeBase64(std::string_view text);

// The bearer token to send: the fixed token, or the token file's content, re-read whenever the
// file's modification time or size changes (kubelet rotates projected tokens by swapping the
// file). Safe from many threads.
class TokenSource {
 public:
  explicit TokenSource(const ClusterConfig& config);
  // The current token; empty when there is none or the file cannot be read.
  std::string Token();

 private:
  std::string fixed_;
  std::string file_;
  std::mutex mutex_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
  bool loaded_ = false;
  std::string cached_;
};

}  // namespace netadmit::kube
