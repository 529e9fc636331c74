#pragma once

// Keeps a ClusterCache current from the Kubernetes API: for each watched resource, LIST (in
// pages), then WATCH from the list's resourceVersion, applying events as they stream in.
//
//   - ERROR 410 in a watch, or HTTP 410: the version is gone; LIST again and replace the kind.
//   - A watch that ends cleanly (timeoutSeconds): watch again from the last version seen.
//   - A dropped connection, 5xx or 429: reconnect after a capped, jittered backoff.
//   - 401/403/404: log the API server's Status message (RBAC or token problems need a person),
//     and retry with the same backoff.
//
// With discover_cluster_policies, the cluster-scoped network policies (kube/discovery.h) are
// watched too, those that discovery finds served, each at the version discovery picks. Discovery
// is asked again every discovery_interval, and at once when such a watch meets a 404 or 410 (its
// CRD may be gone): a kind that appears is listed and watched; a kind that goes is no longer
// watched and ClusterCache::Forget drops its objects; a kind whose version changes is watched at
// the new one. Readiness (ClusterCache::Synced) waits for the first discovery and for the kinds
// it found; a kind that appears later does not make a ready cache unready. When discovery fails
// (5xx, a timeout) the last answer stays, it is logged once, and asked again with backoff.
//
// One thread runs an io_context with one coroutine per resource. Every request opens its own
// TLS connection, verifies the API server against the configured CA, and sends the current
// bearer token (re-read from its file when it changes).

#include <array>
#include <atomic>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kube/config.h"
#include "kube/protocol.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/model/result.h"

namespace netadmit::kube {

enum class LogLevel { kInfo, kWarn, kError };

struct LogEntry {
  LogLevel level = LogLevel::kInfo;
  std::string event;                // "watch_listed", "watch_expired", "watch_failed", ...
  std::optional<ClusterKind> kind;  // none: about no one kind (discovery)
  std::string message;              // the API server's Status message, or what went wrong
};

// A request that changes something: its method, body and the body's content type.
struct ApiWrite {
  boost::beast::http::verb method = boost::beast::http::verb::post;
  std::string body;
  std::string content_type = "application/json";
};

// The API server's answer to a write: its status and body (a Status object when it refused).
struct ApiAnswer {
  unsigned status = 0;
  std::string body;
};

struct WatchOptions {
  ClusterConfig config;
  std::vector<Resource> resources;
  int page_limit = 500;
  // Each watch asks the server to end it after timeoutSeconds in [t, 2t), as client-go does,
  // so that connections are refreshed and a silently dead one is noticed.
  std::chrono::seconds watch_timeout{300};
  // Connecting, the TLS handshake, and a whole LIST response.
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  // Uniform in [0, 1); default: a std::mt19937_64 seeded from std::random_device.
  std::function<double()> random;
  std::function<void(const LogEntry&)> log;
  // Called before each backoff wait, with the delay about to be waited.
  std::function<void(ClusterKind, std::chrono::milliseconds)> on_backoff;
  std::size_t list_body_limit = 512 * 1024 * 1024;
  std::string user_agent = "netadmit";  // not "curl": the API server pretty-prints for curl
  // Also list and watch the cluster-scoped network policies that discovery finds served, asking
  // again at this interval (their CRDs come and go). `netadmit serve` turns it on.
  bool discover_cluster_policies = false;
  std::chrono::milliseconds discovery_interval{30'000};
  // Runs the watcher's thread under SCHED_IDLE: for a client whose requests may wait while the
  // process has anything else to do (the audit's lists), so that decrypting and reading their
  // large answers never delays a review.
  bool idle_priority = false;
};

// The watched resources for a namespace of netadmit's own: NetworkPolicies, Namespaces and Pods
// everywhere, rule-set ConfigMaps in `own_namespace` (left out when it is empty).
std::vector<Resource> DefaultResources(const std::string& own_namespace);

class Watcher {
 public:
  Watcher(WatchOptions options, ClusterCache& state);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Prepares TLS (fails on an unusable CA, client certificate or key) and starts the thread.
  Status Start();
  // Stops every request and joins the thread. Idempotent.
  void Stop();

  // Lists the objects of `kind` in one namespace straight from the API server, bypassing the
  // cache: the fresh read that confirms a denial resting on an object the cache lacks. Blocks the
  // calling thread (never the watcher's) for at most about `timeout`. Safe from any thread.
  Result<std::vector<ClusterObject>> ListNow(ClusterKind kind, const std::string& namespace_name,
                                             std::chrono::milliseconds timeout);

  // GETs `target` (a path with its query) straight from the API server and returns the body of
  // a 200 answer; any other answer is an Error naming `what` and the API server's Status message.
  // Blocks the calling thread (never the watcher's) for at most about `timeout`. Safe from any
  // thread; the watcher need watch no resource (WatchOptions::resources empty) to serve it.
  Result<std::string> GetNow(const std::string& target, const std::string& what,
                             std::chrono::milliseconds timeout);

  // Sends `write` to `target` and returns whatever status the API server answered with (a 409
  // or 404 is an answer, not an error); an Error only when no answer came. Blocks the calling
  // thread for at most about `timeout`, like GetNow.
  Result<ApiAnswer> SendNow(ApiWrite write, const std::string& target,
                            std::chrono::milliseconds timeout);

  // Asks discovery now which cluster-scoped policy kinds the API server serves, and at which
  // version to read each (ChooseClusterPolicyResources): none when the group is not served (404).
  // An Error when discovery fails (any other answer, none, or a body that does not parse). Each
  // request may take `timeout`; blocks like GetNow.
  Result<std::vector<Resource>> DiscoverNow(std::chrono::milliseconds timeout);
  // The cluster-scoped policy resources watched now, as the last discovery found them.
  std::vector<Resource> DiscoveredResources() const;

  const WatchOptions& options() const;

  // Watches that ended and were started again (for any reason), and LISTs after the first.
  uint64_t WatchRestarts(ClusterKind kind) const;
  uint64_t Relists(ClusterKind kind) const;
  // The last resourceVersion applied for `kind` (from a LIST, an event or a bookmark).
  std::string ResourceVersion(ClusterKind kind) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace netadmit::kube
