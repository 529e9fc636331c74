// Kubeconfig and in-cluster configuration. yaml-cpp throws on malformed input and on wrong-type
// conversions: every read goes through the helpers below, and YAML::Exception is caught once at
// LoadKubeconfig's boundary.

#include "kube/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

namespace netadmit::kube {

namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Error ConfigError(const std::string& file, std::string path, std::string message) {
  return Error{file, 0, 0, std::move(path), std::move(message)};
}

// A string scalar, or empty when absent; `ok` turns false on another type.
std::string Scalar(const YAML::Node& parent, const char* key, bool& ok) {
  if (!parent.IsMap()) {
    return {};
  }
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) {
    return {};
  }
  if (!node.IsScalar()) {
    ok = false;
    return {};
  }
  return node.Scalar();
}

// The entry of a named list (clusters, users, contexts) with this name: its `field` map, or a
// null node (not a map) when there is none.
YAML::Node Named(const YAML::Node& root, const char* list, const std::string& name,
                 const char* field) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) {
    return YAML::Node();
  }
  for (const auto& entry : entries) {
    if (entry.IsMap() && entry["name"] && entry["name"].IsScalar() &&
        entry["name"].Scalar() == name && entry[field] && entry[field].IsMap()) {
      return entry[field];
    }
  }
  return YAML::Node();
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return path;
  }
  return base_dir + "/" + path;
}

// Inline base64 data or a file, for the CA, client certificate and key.
Result<std::string> DataOrFile(const YAML::Node& node, const char* data_key, const char* file_key,
                               const std::string& file, const std::string& base_dir,
                               const std::string& path) {
  bool ok = true;
  const std::string data = Scalar(node, data_key, ok);
  const std::string source = Scalar(node, file_key, ok);
  if (!ok) {
    return ConfigError(file, path, std::string(data_key) + "/" + file_key + " must be strings");
  }
  if (!data.empty()) {
    auto decoded = DecodeBase64(data);
    if (!decoded.ok()) {
      return ConfigError(file, path + "." + data_key, decoded.error().message);
    }
    return decoded;
  }
  if (!source.empty()) {
    auto content = ReadFile(Resolve(base_dir, source));
    if (!content) {
      return ConfigError(file, path + "." + file_key, "cannot read " + source);
    }
    return *content;
  }
  return std::string();
}

Result<ClusterConfig> ParseKubeconfig(const YAML::Node& root, const std::string& file,
                                      std::string_view context_name) {
  if (!root.IsMap()) {
    return ConfigError(file, "", "a kubeconfig must be a map");
  }
  bool ok = true;
  std::string name(context_name);
  if (name.empty()) {
    name = Scalar(root, "current-context", ok);
  }
  if (!ok || name.empty()) {
    return ConfigError(file, "current-context", "no context selected");
  }
  const YAML::Node context = Named(root, "contexts", name, "context");
  if (!context.IsMap()) {
    return ConfigError(file, "contexts", "no context named \"" + name + "\"");
  }
  const std::string cluster_name = Scalar(context, "cluster", ok);
  const std::string user_name = Scalar(context, "user", ok);
  ClusterConfig config;
  config.namespace_name = Scalar(context, "namespace", ok);
  if (!ok) {
    return ConfigError(file, "contexts", "context \"" + name + "\" has a field of a wrong type");
  }
  const YAML::Node cluster = Named(root, "clusters", cluster_name, "cluster");
  if (!cluster.IsMap()) {
    return ConfigError(file, "clusters", "no cluster named \"" + cluster_name + "\"");
  }
  const std::string base_dir = std::filesystem::path(file).parent_path().string();
  const std::string server = Scalar(cluster, "server", ok);
  if (!ok || server.empty()) {
    return ConfigError(file, "clusters[" + cluster_name + "].cluster.server", "missing");
  }
  if (auto parsed = ParseServerUrl(server, config); !parsed.ok()) {
    return ConfigError(file, "clusters[" + cluster_name + "].cluster.server",
                       parsed.error().message);
  }
  if (Scalar(cluster, "insecure-skip-tls-verify", ok) == "true") {
    return ConfigError(file, "clusters[" + cluster_name + "].cluster.insecure-skip-tls-verify",
                       "not supported: netadmit always verifies the API server");
  }
  auto ca = DataOrFile(cluster, "certificate-authority-data", "certificate-authority", file,
                       base_dir, "clusters[" + cluster_name + "].cluster");
  if (!ca.ok()) {
    return ca.error();
  }
  if (ca->empty()) {
    return ConfigError(file, "clusters[" + cluster_name + "].cluster",
                       "no certificate-authority-data or certificate-authority");
  }
  config.ca_pem = std::move(*ca);

  const YAML::Node user = Named(root, "users", user_name, "user");
  if (!user.IsMap()) {
    return ConfigError(file, "users", "no user named \"" + user_name + "\"");
  }
  const std::string user_path = "users[" + user_name + "].user";
  config.token = Scalar(user, "token", ok);
  const std::string token_file = Scalar(user, "tokenFile", ok);
  if (!ok) {
    return ConfigError(file, user_path, "token and tokenFile must be strings");
  }
  if (!token_file.empty()) {
    config.token_file = Resolve(base_dir, token_file);
  }
  auto cert =
      DataOrFile(user, "client-certificate-data", "client-certificate", file, base_dir, user_path);
  if (!cert.ok()) {
    return cert.error();
  }
  auto key = DataOrFile(user, "client-key-data", "client-key", file, base_dir, user_path);
  if (!key.ok()) {
    return key.error();
  }
  if (cert->empty() != key->empty()) {
    return ConfigError(file, user_path, "a client certificate needs its key, and a key its cert");
  }
  config.client_cert_pem = std::move(*cert);
  config.client_key_pem = std::move(*key);
  if (config.token.empty() && config.token_file.empty() && config.client_cert_pem.empty()) {
    return ConfigError(file, user_path, "no token, tokenFile or client certificate");
  }
  return config;
}

}  // namespace

Status ParseServerUrl(std::string_view url, ClusterConfig& config) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error{"", 0, 0, "", "the server URL must start with https://"};
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  if (rest.find('/') != std::string_view::npos) {
    return Error{"", 0, 0, "", "a server URL with a path is not supported"};
  }
  std::string_view host = rest;
  std::string_view port = "443";
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return Error{"", 0, 0, "", "unterminated [IPv6] address"};
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Error{"", 0, 0, "", "unexpected text after the address"};
      }
      port = after.substr(1);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) > 65535) {
    return Error{"", 0, 0, "", "expected https://HOST[:PORT]"};
  }
  config.host = std::string(host);
  config.port = std::string(port);
  return Ok{};
}

Result<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  bool padding = false;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return Error{"", 0, 0, "", "invalid base64"};
    }
    if (padding) {
      return Error{"", 0, 0, "", "invalid base64: data after padding"};
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

Result<ClusterConfig> LoadKubeconfig(const std::string& path, std::string_view context) {
  const auto text = ReadFile(path);
  if (!text) {
    return Error{path, 0, 0, "", "cannot read the kubeconfig"};
  }
  try {
    return ParseKubeconfig(YAML::Load(*text), path, context);
  } catch (const YAML::Exception& error) {
    return Error{path, error.mark.line + 1, error.mark.column + 1, "", error.msg};
  }
}

bool InClusterEnvironment(const GetEnv& getenv) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  return host != nullptr && *host != '\0';
}

Result<ClusterConfig> InClusterConfig(const GetEnv& getenv, const std::string& dir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return Error{"", 0, 0, "", "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"};
  }
  ClusterConfig config;
  const std::string host_text(host);
  // An IPv6 service address needs brackets in the URL.
  const std::string url =
      "https://" + (host_text.find(':') != std::string::npos ? "[" + host_text + "]" : host_text) +
      ":" + port;
  if (auto parsed = ParseServerUrl(url, config); !parsed.ok()) {
    return Error{"", 0, 0, "KUBERNETES_SERVICE_HOST", parsed.error().message};
  }
  auto ca = ReadFile(dir + "/ca.crt");
  if (!ca || ca->empty()) {
    return Error{dir + "/ca.crt", 0, 0, "", "cannot read the service account CA"};
  }
  config.ca_pem = std::move(*ca);
  config.token_file = dir + "/token";
  if (!ReadFile(config.token_file)) {
    return Error{config.token_file, 0, 0, "", "cannot read the service account token"};
  }
  if (auto namespace_name = ReadFile(dir + "/namespace")) {
    config.namespace_name = std::move(*namespace_name);
    while (!config.namespace_name.empty() &&
           (config.namespace_name.back() == '\n' || config.namespace_name.back() == ' ')) {
      config.namespace_name.pop_back();
    }
  }
  return config;
}

TokenSource::TokenSource(const ClusterConfig& config)
    : fixed_(config.token), file_(config.token_file) {}

std::string TokenSource::Token() {
  if (file_.empty()) {
    return fixed_;
  }
  std::lock_guard lock(mutex_);
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(file_, ec);
  const auto size = ec ? 0 : std::filesystem::file_size(file_, ec);
  if (ec) {
    return cached_;  // a rotation in progress: keep the last token read
  }
  if (!loaded_ || mtime != mtime_ || size != size_) {
    if (auto content = ReadFile(file_)) {
      cached_ = std::move(*content);
      while (!cached_.empty() &&
             (cached_.back() == '\n' || cached_.back() == '\r' || cached_.back() == ' ')) {
        cached_.pop_back();
      }
      mtime_ = mtime;
      size_ = size;
      loaded_ = true;
    }
  }
  return cached_;
}

}  // namespace netadmit::kube
