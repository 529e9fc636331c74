#pragma once

// The list/watch protocol of the Kubernetes API, without transport: request targets, LIST pages,
// watch event lines, Status bodies, the splitting of a watch body into lines, and the backoff
// between attempts. Everything here is pure and parses untrusted bytes into values or Errors.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/model/result.h"

namespace netadmit::kube {

// What to list and watch for one kind.
struct Resource {
  ClusterKind kind = ClusterKind::kNamespace;
  std::string namespace_name;  // empty: all namespaces (or a cluster-scoped kind)
  std::string label_selector;  // e.g. "netadmit.io/rule-set=true"; empty: none
  // The API version, for a kind served at several (the cluster-scoped policies: discovery says
  // which, discovery.h); empty: the kind's only version, or the first of PolicyVersions.
  std::string version = {};

  bool operator==(const Resource&) const = default;
};

// The API versions of policy.networking.k8s.io a cluster-scoped policy kind is read at,
// preferred first: v1alpha1 for AdminNetworkPolicy and BaselineAdminNetworkPolicy; v1beta1,
// then v1alpha2 (the same schema) for ClusterNetworkPolicy. Empty for every other kind.
const std::vector<std::string_view>& PolicyVersions(ClusterKind kind);

// The request targets. `continue_token` and `resource_version` are percent-encoded.
std::string ListTarget(const Resource& resource, int limit, std::string_view continue_token);
std::string WatchTarget(const Resource& resource, std::string_view resource_version,
                        int timeout_seconds);
// GET of the objects of one namespace (for a fresh read before a denial).
std::string NamespacedListTarget(ClusterKind kind, std::string_view namespace_name);

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string QueryEscape(std::string_view text);

// A Status body ({"kind":"Status",...,"code":410}).
struct ApiStatus {
  int code = 0;
  std::string reason;   // "Expired", "Forbidden", ...
  std::string message;  // the API server's text
};
// The Status in `body`, or nullopt when the body is not a Status.
std::optional<ApiStatus> ParseStatus(std::string_view body);

// One page of a LIST.
struct ListPage {
  std::string resource_version;
  std::string continue_token;  // empty on the last page
  std::vector<ClusterObject> items;
};
Result<ListPage> ParseListPage(ClusterKind kind, std::string_view body);

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  std::string resource_version;         // of the object (ADDED/MODIFIED/DELETED/BOOKMARK)
  std::optional<ClusterObject> object;  // ADDED, MODIFIED, DELETED
  ApiStatus status;                     // ERROR
};
// One line of a watch stream (without its '\n').
Result<WatchEvent> ParseWatchEvent(ClusterKind kind, std::string_view line);

// Removes the chunk framing's effects: bytes arrive in pieces that do not respect event
// boundaries; complete lines come out. A line longer than `max_line` is an error (the stream
// must be dropped), so a broken server cannot make the buffer grow without bound.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = 16 * 1024 * 1024) : max_line_(max_line) {}

  // Appends `bytes` and calls `on_line` for every complete line (empty lines are skipped).
  // False when the pending partial line grew past the limit.
  bool Feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line);
  // The bytes of an unfinished line.
  std::size_t pending() const { return pending_.size(); }

 private:
  std::size_t max_line_;
  std::string pending_;
};

// Capped exponential backoff with full jitter in [delay/2, delay]: attempt n waits
// initial * 2^n, at most `max`, scaled by a random factor. The random source is injected so that
// tests get exact delays.
class Backoff {
 public:
  // `random` returns a value in [0, 1).
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
          std::function<double()> random);

  std::chrono::milliseconds Next();
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::function<double()> random_;
  int attempt_ = 0;
};

// The longest Retry-After obeyed: a larger value is taken as this, so that a misconfigured
// server cannot stop the cache from catching up for hours.
inline constexpr std::chrono::seconds kMaxRetryAfter{60};

// A Retry-After header as delta-seconds ("3"), at most kMaxRetryAfter. The HTTP-date form, which
// the API server does not send, and anything malformed count as none (0).
std::chrono::seconds ParseRetryAfter(std::string_view value);

}  // namespace netadmit::kube
