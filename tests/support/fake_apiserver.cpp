// The test API server. Blocking Asio on threads of its own (an acceptor thread, one thread per
// connection): simple to follow, and the client under test is the asynchronous one.

#include "tests/support/fake_apiserver.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>

namespace netadmit::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

namespace {

// The recorded 401 body (06-unauthorized-401-bad-token.body).
constexpr std::string_view kUnauthorized =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"
    "\n";
constexpr std::size_t kContentLengthLimit = 2048;
constexpr std::size_t kReplayChunk = 0x800;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string Uuid() {
  static std::mutex mutex;
  static std::mt19937_64 generator(std::random_device{}());
  std::lock_guard lock(mutex);
  const uint64_t a = generator();
  const uint64_t b = generator();
  char text[40];
  std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>((b >> 48) & 0x3FFF) | 0x8000,
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return text;
}

std::string HttpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// The head, in the recorded order; a 401 carries no APF headers, a 403 adds nosniff.
std::string Head(int status, bool chunked, std::size_t length) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  head += "Audit-Id: " + Uuid() + "\r\n";
  head += "Cache-Control: no-cache, private\r\n";
  head += "Content-Type: application/json\r\n";
  if (status == 403) {
    head += "X-Content-Type-Options: nosniff\r\n";
  }
  if (status != 401) {
    head += "X-Kubernetes-Pf-Flowschema-Uid: " + Uuid() + "\r\n";
    head += "X-Kubernetes-Pf-Prioritylevel-Uid: " + Uuid() + "\r\n";
  }
  head += "Date: " + HttpDate() + "\r\n";
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else {
    head += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  head += "\r\n";
  return head;
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

std::string Serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Key(const rapidjson::Value& item) {
  const auto& metadata = item["metadata"];
  std::string key;
  if (metadata.HasMember("namespace")) {
    key = metadata["namespace"].GetString();
  }
  return key + "/" + metadata["name"].GetString();
}

// Sets metadata.resourceVersion of an item; returns the item and its key.
std::pair<std::string, std::string> Stamp(const std::string& object, uint64_t rv) {
  rapidjson::Document doc;
  doc.Parse(object.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("metadata")) {
    throw std::invalid_argument("not an object with metadata: " + object);
  }
  auto& metadata = doc["metadata"];
  const std::string text = std::to_string(rv);
  if (metadata.HasMember("resourceVersion")) {
    metadata["resourceVersion"].SetString(text.c_str(), doc.GetAllocator());
  } else {
    metadata.AddMember("resourceVersion", rapidjson::Value(text.c_str(), doc.GetAllocator()),
                       doc.GetAllocator());
  }
  return {Serialize(doc), Key(doc)};
}

// {"type":T,"object":{"kind":K,"apiVersion":V,...item}}
std::string EventLine(const std::string& type, const FakeApiServer::Collection& collection,
                      const std::string& item) {
  return R"({"type":")" + type + R"(","object":{"kind":")" + collection.kind +
         R"(","apiVersion":")" + collection.api_version + "\"," + item.substr(1) + "}\n";
}

std::string Param(std::string_view target, std::string_view name) {
  const auto query = target.find('?');
  if (query == std::string_view::npos) {
    return {};
  }
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

std::string ApiResponse(int status, std::string_view body) {
  if (body.size() <= kContentLengthLimit) {
    return Head(status, false, body.size()) + std::string(body);
  }
  return Head(status, true, 0) + Chunk(body) + "0\r\n\r\n";
}

struct FakeApiServer::Watch {
  std::string path;
  bool drop = false;
  bool end = false;
  int bookmarks = 0;
};

struct FakeApiServer::Net {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::mutex mutex;
  std::vector<std::weak_ptr<TlsStream>> streams;
};

FakeApiServer::Collection FakeApiServer::Namespaces() {
  return {"/api/v1/namespaces", "Namespace", "v1", "NamespaceList"};
}
FakeApiServer::Collection FakeApiServer::NetworkPolicies() {
  return {"/apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicy", "networking.k8s.io/v1",
          "NetworkPolicyList"};
}
FakeApiServer::Collection FakeApiServer::Pods() { return {"/api/v1/pods", "Pod", "v1", "PodList"}; }
std::vector<FakeApiServer::Collection> FakeApiServer::Workloads() {
  return {
      {"/apis/apps/v1/deployments", "Deployment", "apps/v1", "DeploymentList"},
      {"/apis/apps/v1/statefulsets", "StatefulSet", "apps/v1", "StatefulSetList"},
      {"/apis/apps/v1/daemonsets", "DaemonSet", "apps/v1", "DaemonSetList"},
      {"/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1", "ReplicaSetList"},
      {"/apis/batch/v1/cronjobs", "CronJob", "batch/v1", "CronJobList"},
      {"/apis/batch/v1/jobs", "Job", "batch/v1", "JobList"},
      {"/api/v1/replicationcontrollers", "ReplicationController", "v1",
       "ReplicationControllerList"},
  };
}

FakeApiServer::Collection FakeApiServer::AdminNetworkPolicies() {
  return {"/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies", "AdminNetworkPolicy",
          "policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicyList"};
}
FakeApiServer::Collection FakeApiServer::BaselineAdminNetworkPolicies() {
  return {"/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies",
          "BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1",
          "BaselineAdminNetworkPolicyList"};
}
FakeApiServer::Collection FakeApiServer::ClusterNetworkPolicies(const std::string& version) {
  return {"/apis/policy.networking.k8s.io/" + version + "/clusternetworkpolicies",
          "ClusterNetworkPolicy", "policy.networking.k8s.io/" + version,
          "ClusterNetworkPolicyList"};
}

FakeApiServer::Collection FakeApiServer::ConfigMaps(const std::string& namespace_name) {
  return {"/api/v1/namespaces/" + namespace_name + "/configmaps", "ConfigMap", "v1",
          "ConfigMapList"};
}

FakeApiServer::FakeApiServer() : cert_(ca_.Issue(2)), net_(std::make_unique<Net>()) {
  net_->tls.use_certificate_chain(asio::buffer(cert_.cert_pem));
  net_->tls.use_private_key(asio::buffer(cert_.key_pem), asio::ssl::context::pem);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  net_->acceptor.open(endpoint.protocol());
  net_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  net_->acceptor.bind(endpoint);
  net_->acceptor.listen();
  port_ = net_->acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { Accept(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  // Wake the blocking accept with a connection of our own, then unblock every connection.
  {
    boost::system::error_code ec;
    tcp::socket wake(net_->io);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    acceptor_.join();
  }
  {
    std::lock_guard lock(net_->mutex);
    for (auto& weak : net_->streams) {
      if (auto stream = weak.lock()) {
        boost::system::error_code ec;
        stream->lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
      }
    }
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(connections_);
  }
  for (auto& thread : threads) {
    thread.join();
  }
}

void FakeApiServer::Accept() {
  for (;;) {
    auto stream = std::make_shared<TlsStream>(net_->io, net_->tls);
    boost::system::error_code ec;
    net_->acceptor.accept(stream->lowest_layer(), ec);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    if (ec) {
      continue;
    }
    {
      std::lock_guard net_lock(net_->mutex);
      net_->streams.push_back(stream);
    }
    connections_.emplace_back([this, stream] { HandleConnection(stream); });
  }
}

std::string FakeApiServer::WriteKubeconfig(const TempDir& dir, std::string_view token) const {
  dir.Write("api-ca.crt", ca_.cert_pem());
  dir.Write("kubeconfig",
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            "contexts: [{name: test, context: {cluster: fake, user: netadmit, "
            "namespace: netadmit-system}}]\n"
            "clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:" +
                std::to_string(port_) +
                "', certificate-authority: api-ca.crt}}]\n"
                "users: [{name: netadmit, user: {token: " +
                std::string(token) + "}}]\n");
  return dir.File("kubeconfig");
}

void FakeApiServer::SetToken(std::string token) {
  std::lock_guard lock(mutex_);
  token_ = std::move(token);
}

void FakeApiServer::Serve(const Collection& collection) {
  std::lock_guard lock(mutex_);
  states_[collection.path].collection = collection;
}

void FakeApiServer::Unserve(const Collection& collection) {
  std::lock_guard lock(mutex_);
  states_.erase(collection.path);
  for (auto& watch : watches_) {
    if (watch->path == collection.path) {
      watch->end = true;
    }
  }
  changed_.notify_all();
}

std::optional<std::string> FakeApiServer::Discovery(const std::string& path) const {
  constexpr std::string_view kApis = "/apis/";
  if (!path.starts_with(kApis)) {
    return std::nullopt;
  }
  const std::string rest = path.substr(kApis.size());
  const auto slash = rest.find('/');
  const std::string group = rest.substr(0, slash);
  const std::string version = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (group.empty() || version.find('/') != std::string::npos) {
    return std::nullopt;
  }
  std::vector<std::string> versions;
  std::string resources;
  for (const auto& [collection_path, state] : states_) {
    // Only /apis/GROUP/VERSION/RESOURCE: a collection of one namespace is no resource of its own.
    const std::string prefix = std::string(kApis) + group + "/";
    if (!collection_path.starts_with(prefix)) {
      continue;
    }
    const std::string tail = collection_path.substr(prefix.size());
    const auto split = tail.find('/');
    if (split == std::string::npos || tail.find('/', split + 1) != std::string::npos) {
      continue;
    }
    const std::string served_version = tail.substr(0, split);
    const std::string resource = tail.substr(split + 1);
    if (version.empty()) {
      if (std::find(versions.begin(), versions.end(), served_version) == versions.end()) {
        versions.push_back(served_version);
      }
    } else if (served_version == version) {
      const std::string kind = state.collection.kind;
      resources +=
          std::string(resources.empty() ? "" : ",") + R"({"name":")" + resource +
          R"(","singularName":"","namespaced":false,"kind":")" + kind +
          R"(","verbs":["delete","deletecollection","get","list","patch","create","update","watch"]},)"
          R"({"name":")" +
          resource + R"(/status","singularName":"","namespaced":false,"kind":")" + kind +
          R"(","verbs":["get","patch","update"]})";
    }
  }
  if (!version.empty()) {
    if (resources.empty()) {
      return std::nullopt;
    }
    return R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":")" + group + "/" +
           version + R"(","resources":[)" + resources + "]}\n";
  }
  if (versions.empty()) {
    return std::nullopt;
  }
  std::string body =
      R"({"kind":"APIGroup","apiVersion":"v1","name":")" + group + R"(","versions":[)";
  for (std::size_t i = 0; i < versions.size(); ++i) {
    body += std::string(i == 0 ? "" : ",") + R"({"groupVersion":")" + group + "/" + versions[i] +
            R"(","version":")" + versions[i] + "\"}";
  }
  body += R"(],"preferredVersion":{"groupVersion":")" + group + "/" + versions.front() +
          R"(","version":")" + versions.front() + "\"}}\n";
  return body;
}

void FakeApiServer::Load(const Collection& collection, std::string_view list_body) {
  rapidjson::Document doc;
  doc.Parse(list_body.data(), list_body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("items")) {
    throw std::invalid_argument("not a LIST body");
  }
  std::lock_guard lock(mutex_);
  State& state = states_[collection.path];
  state.collection = collection;
  for (const auto& item : doc["items"].GetArray()) {
    state.objects[Key(item)] = Serialize(item);
  }
  const uint64_t rv = std::stoull(doc["metadata"]["resourceVersion"].GetString());
  rv_ = std::max(rv_, rv);
}

FakeApiServer::State* FakeApiServer::Find(const std::string& path) {
  auto found = states_.find(path);
  return found == states_.end() ? nullptr : &found->second;
}

FakeApiServer::State* FakeApiServer::FindNamespaced(const std::string& path,
                                                    std::string& namespace_name) {
  constexpr std::string_view kMarker = "/namespaces/";
  const auto marker = path.find(kMarker);
  if (marker == std::string::npos) {
    return nullptr;
  }
  const std::string rest = path.substr(marker + kMarker.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || rest.find('/', slash + 1) != std::string::npos) {
    return nullptr;
  }
  State* state = Find(path.substr(0, marker) + rest.substr(slash));
  if (state != nullptr) {
    namespace_name = rest.substr(0, slash);
  }
  return state;
}

uint64_t FakeApiServer::DeliverableUpTo(const State& state) {
  return state.held_after.value_or(std::numeric_limits<uint64_t>::max());
}

uint64_t FakeApiServer::Record(State& state, const std::string& type, std::string object_json,
                               const std::string& key, bool erase) {
  const uint64_t rv = rv_;
  state.events.push_back(Event{rv, EventLine(type, state.collection, object_json)});
  if (erase) {
    state.objects.erase(key);
  } else {
    state.objects[key] = std::move(object_json);
  }
  changed_.notify_all();
  return rv;
}

uint64_t FakeApiServer::Add(const Collection& collection, const std::string& object) {
  std::lock_guard lock(mutex_);
  State& state = states_[collection.path];
  state.collection = collection;
  auto [item, key] = Stamp(object, ++rv_);
  return Record(state, "ADDED", std::move(item), key, false);
}

uint64_t FakeApiServer::Modify(const Collection& collection, const std::string& object) {
  std::lock_guard lock(mutex_);
  State& state = states_[collection.path];
  state.collection = collection;
  auto [item, key] = Stamp(object, ++rv_);
  return Record(state, "MODIFIED", std::move(item), key, false);
}

uint64_t FakeApiServer::Delete(const Collection& collection, std::string_view namespace_name,
                               std::string_view name) {
  std::lock_guard lock(mutex_);
  State& state = states_[collection.path];
  const std::string key = std::string(namespace_name) + "/" + std::string(name);
  auto found = state.objects.find(key);
  if (found == state.objects.end()) {
    throw std::invalid_argument("no object " + key);
  }
  // DELETED carries the last state, stamped with the revision of the delete.
  auto [item, stamped_key] = Stamp(found->second, ++rv_);
  return Record(state, "DELETED", std::move(item), key, true);
}

void FakeApiServer::Bookmark(const Collection& collection) {
  std::lock_guard lock(mutex_);
  for (auto& watch : watches_) {
    if (watch->path == collection.path) {
      ++watch->bookmarks;
    }
  }
  changed_.notify_all();
}

void FakeApiServer::HoldEvents(const Collection& collection) {
  std::lock_guard lock(mutex_);
  State& state = states_[collection.path];
  state.collection = collection;
  state.held_after = rv_;
}

void FakeApiServer::ReleaseEvents(const Collection& collection) {
  std::lock_guard lock(mutex_);
  states_[collection.path].held_after.reset();
  changed_.notify_all();
}

void FakeApiServer::Compact() {
  std::lock_guard lock(mutex_);
  for (auto& [path, state] : states_) {
    state.events.clear();
    state.compacted = rv_;
  }
}

void FakeApiServer::DropWatches() {
  std::lock_guard lock(mutex_);
  for (auto& watch : watches_) {
    watch->drop = true;
  }
  changed_.notify_all();
}

void FakeApiServer::EndWatches() {
  std::lock_guard lock(mutex_);
  for (auto& watch : watches_) {
    watch->end = true;
  }
  changed_.notify_all();
}

void FakeApiServer::AddFault(Fault fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

void FakeApiServer::ClearFaults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

uint64_t FakeApiServer::resource_version() const {
  std::lock_guard lock(mutex_);
  return rv_;
}

std::vector<FakeApiServer::RequestRecord> FakeApiServer::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int FakeApiServer::OpenWatches() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(watches_.size());
}

// Writes are best effort: a client that went away ends the connection.
void FakeApiServer::HandleConnection(std::shared_ptr<void> connection) {
  auto stream = std::static_pointer_cast<TlsStream>(connection);
  boost::system::error_code ec;
  stream->handshake(asio::ssl::stream_base::server, ec);
  if (ec) {
    return;
  }
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;  // writes (the audit's reports) carry a body
    http::read(*stream, buffer, request, ec);
    if (ec) {
      return;
    }
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    const bool is_watch = Param(target, "watch") == "1";
    std::optional<Fault> fault;
    std::string response;
    std::shared_ptr<Watch> watch;
    uint64_t from = 0;
    int timeout_seconds = 0;
    {
      std::unique_lock lock(mutex_);
      requests_.push_back(RequestRecord{target, std::string(request[http::field::authorization]),
                                        std::string(request[http::field::user_agent])});
      for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if ((it->every_path || path == it->path) && !(it->watch_only && !is_watch) &&
            !(it->list_only && is_watch)) {
          fault = *it;
          if (!it->repeat) {
            faults_.erase(it);
          }
          break;
        }
      }
      if (fault && fault->delay.count() > 0) {
        changed_.wait_for(lock, fault->delay, [this] { return stopping_; });
      }
      State* state = Find(path);
      // Set for the LIST of one namespace of a collection served across namespaces.
      std::string list_namespace;
      if (state == nullptr && !is_watch) {
        state = FindNamespaced(path, list_namespace);
      }
      if (!token_.empty() && request[http::field::authorization] != "Bearer " + token_) {
        response = ApiResponse(401, kUnauthorized);
      } else if (fault && fault->drop) {
        response.clear();
      } else if (fault && fault->status != 0) {
        response = ApiResponse(fault->status, fault->body);
        if (fault->retry_after_seconds > 0) {
          // Right after the status line; the rest of the recorded head stays as it is.
          response.insert(response.find("\r\n") + 2,
                          "Retry-After: " + std::to_string(fault->retry_after_seconds) + "\r\n");
        }
      } else if (auto discovery = state == nullptr && !is_watch ? Discovery(path) : std::nullopt) {
        response = ApiResponse(200, *discovery);
      } else if (state == nullptr && path.starts_with("/apis/policy.networking.k8s.io")) {
        // The recorded 404 of a group or resource whose CRDs are gone: plain text, no Status.
        response = ApiResponse(404, "404 page not found\n");
      } else if (state == nullptr) {
        const std::string body =
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404})"
            "\n";
        response = ApiResponse(404, body);
      } else if (!is_watch) {
        // LIST, paginated from a snapshot kept in the continue token's place.
        const int limit = std::atoi(Param(target, "limit").c_str());
        const std::string token = Param(target, "continue");
        // Pointers, not copies: a 100,000-pod LIST is read in hundreds of pages.
        std::vector<const std::string*> items;
        uint64_t list_rv = rv_;
        std::size_t start = 0;
        if (!token.empty()) {
          // "eyJ<rv>.<offset>": opaque to clients, like the real base64url JSON.
          const auto dot = token.find('.');
          list_rv = std::stoull(token.substr(3, dot - 3));
          start = std::stoul(token.substr(dot + 1));
        }
        for (const auto& [key, item] : state->objects) {
          if (list_namespace.empty() || key.starts_with(list_namespace + "/")) {
            items.push_back(&item);
          }
        }
        const std::size_t end =
            limit > 0 ? std::min(items.size(), start + static_cast<std::size_t>(limit))
                      : items.size();
        std::string body = R"({"kind":")" + state->collection.list_kind + R"(","apiVersion":")" +
                           state->collection.api_version + R"(","metadata":{"resourceVersion":")" +
                           std::to_string(list_rv) + "\"";
        if (end < items.size()) {
          body += R"(,"continue":"eyJ)" + std::to_string(list_rv) + "." + std::to_string(end) +
                  R"(","remainingItemCount":)" + std::to_string(items.size() - end);
        }
        body += R"(},"items":[)";
        for (std::size_t i = start; i < end; ++i) {
          body += i == start ? "" : ",";
          body += *items[i];
        }
        body += "]}\n";
        response = ApiResponse(200, body);
      } else {
        from = std::stoull("0" + Param(target, "resourceVersion"));
        timeout_seconds = std::atoi(Param(target, "timeoutSeconds").c_str());
        watch = std::make_shared<Watch>();
        watch->path = path;
        watches_.push_back(watch);
      }
    }
    if (!watch) {
      if (response.empty()) {  // a dropped answer
        stream->lowest_layer().close(ec);
        return;
      }
      asio::write(*stream, asio::buffer(response), ec);
      if (ec) {
        return;
      }
      continue;
    }
    // A watch: headers at once, then the replay burst, then live events one chunk each.
    const auto deadline =
        std::chrono::steady_clock::now() +
        (timeout_seconds > 0 ? std::chrono::seconds(timeout_seconds) : std::chrono::seconds(3600));
    auto forget = [this, &watch] {
      std::lock_guard lock(mutex_);
      std::erase(watches_, watch);
    };
    asio::write(*stream, asio::buffer(Head(200, true, 0)), ec);
    std::string burst;
    uint64_t sent = from;
    bool too_old = false;
    bool gone = false;  // unserved since the watch was accepted
    {
      std::lock_guard lock(mutex_);
      const State* found = Find(watch->path);
      gone = found == nullptr;
      if (gone) {
        // Nothing to replay; the stream ends below like a too-old one.
      } else if (const State& state = *found; from < state.compacted) {
        too_old = true;
        burst =
            R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: )" +
            std::to_string(from) + " (" + std::to_string(state.compacted) +
            R"json()","reason":"Expired","code":410}})json"
            "\n";
      } else {
        const uint64_t deliverable = DeliverableUpTo(state);
        for (const auto& event : state.events) {
          if (event.rv > from && event.rv <= deliverable) {
            burst += event.line;
            sent = event.rv;
          }
        }
      }
    }
    // Unflushed replays are cut into 2048-byte chunks that split events, as 05a shows.
    for (std::size_t offset = 0; !ec && offset < burst.size(); offset += kReplayChunk) {
      asio::write(*stream,
                  asio::buffer(Chunk(std::string_view(burst).substr(offset, kReplayChunk))), ec);
    }
    if (too_old || gone) {
      asio::write(*stream, asio::buffer(std::string("0\r\n\r\n")), ec);
      forget();
      continue;
    }
    bool finished = false;
    while (!ec && !finished) {
      std::vector<std::string> lines;
      bool drop = false;
      {
        std::unique_lock lock(mutex_);
        if (Find(watch->path) == nullptr) {
          break;  // unserved: the watch ends (watch->end is set too)
        }
        State& state = *Find(watch->path);
        changed_.wait_until(lock, deadline, [&] {
          return stopping_ || watch->drop || watch->end || watch->bookmarks > 0 ||
                 std::any_of(state.events.begin(), state.events.end(), [&](const Event& event) {
                   return event.rv > sent && event.rv <= DeliverableUpTo(state);
                 });
        });
        drop = stopping_ || watch->drop;
        if (Find(watch->path) != &state) {
          break;  // unserved while waiting: `state` is gone
        }
        const uint64_t deliverable = DeliverableUpTo(state);
        for (const auto& event : state.events) {
          if (event.rv > sent && event.rv <= deliverable) {
            lines.push_back(event.line);
            sent = event.rv;
          }
        }
        if (watch->bookmarks > 0) {
          watch->bookmarks = 0;
          // The store's current revision, as after an etcd progress notification; never past
          // events held back, which the watch still owes.
          const uint64_t rv = std::max(sent, std::min(rv_, deliverable));
          lines.push_back(R"({"type":"BOOKMARK","object":{"kind":")" + state.collection.kind +
                          R"(","apiVersion":")" + state.collection.api_version +
                          R"(","metadata":{"resourceVersion":")" + std::to_string(rv) +
                          R"(","creationTimestamp":null}}})"
                          "\n");
        }
        finished = watch->end || std::chrono::steady_clock::now() >= deadline;
      }
      if (drop) {
        forget();
        stream->lowest_layer().close(ec);  // mid-stream, no final chunk
        return;
      }
      for (const auto& line : lines) {
        asio::write(*stream, asio::buffer(Chunk(line)), ec);
      }
    }
    forget();
    if (ec) {
      return;
    }
    asio::write(*stream, asio::buffer(std::string("0\r\n\r\n")), ec);
  }
}

}  // namespace netadmit::testing
