#pragma once

// A Kubernetes API server for tests, on 127.0.0.1 port 0 over TLS with a test CA. It speaks the
// list/watch protocol as the recorded v1.28 server does (tests/fixtures/apiserver-v1.28-watch):
// the same headers in the same order, Content-Length for bodies up to 2048 bytes and chunked
// framing above, LIST items without kind/apiVersion, paginated with limit/continue, watch events
// with kind/apiVersion one chunk each when live and cut into 2048-byte chunks when replayed,
// bookmarks, ERROR 410 events for a compacted version, Status bodies for 401/403/404/410/5xx.
//
// Tests change objects through Add/Modify/Delete (one shared resourceVersion counter, as etcd
// has), and script faults: a status for the next requests to a path, dropped watches, slow
// responses, watch events held back while the objects are already stored. A collection served
// across namespaces also answers the LIST of one namespace (GET
// /apis/networking.k8s.io/v1/namespaces/NS/networkpolicies), with that namespace's objects.
//
// Discovery follows what is served, as the recorded server's does
// (tests/fixtures/apiserver-v1.28-discovery): GET /apis/GROUP is an APIGroup naming the versions
// of the collections served under /apis/GROUP/, GET /apis/GROUP/VERSION an APIResourceList of
// them (each with its /status subresource), and either is the recorded plain-text 404 when
// nothing is served there. Unserve takes a collection away as deleting its CRD does.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/test_certs.h"

namespace netadmit::testing {

class FakeApiServer {
 public:
  // A collection: its path ("/api/v1/pods"), and the kind and apiVersion its objects carry in
  // watch events ("Pod", "v1"); `list_kind` names the LIST ("PodList").
  struct Collection {
    std::string path;
    std::string kind;
    std::string api_version;
    std::string list_kind;
  };
  static Collection Namespaces();
  static Collection NetworkPolicies();
  static Collection Pods();
  static Collection ConfigMaps(const std::string& namespace_name);
  // The cluster-scoped network policies (network-policy-api CRDs): AdminNetworkPolicies and
  // BaselineAdminNetworkPolicies at v1alpha1, ClusterNetworkPolicies at `version`.
  static Collection AdminNetworkPolicies();
  static Collection BaselineAdminNetworkPolicies();
  static Collection ClusterNetworkPolicies(const std::string& version);
  // The pod controllers the audit lists: Deployments first, then StatefulSets, DaemonSets,
  // ReplicaSets, CronJobs, Jobs and ReplicationControllers.
  static std::vector<Collection> Workloads();

  // A scripted answer for the next request to the collection at `path` (query aside).
  struct Fault {
    std::string path;
    bool watch_only = false;             // only watch requests
    bool list_only = false;              // only LIST requests
    int status = 0;                      // answer with this status and `body` (0: no status answer)
    std::string body;                    // a Status body, sent as is
    bool drop = false;                   // close the connection without answering
    std::chrono::milliseconds delay{0};  // wait before answering (then answer normally)
    // Answers every matching request, not only the next one, until ClearFaults(): an outage.
    bool repeat = false;
    // Matches a request to any path (`path` is then ignored): the whole API server misbehaves.
    bool every_path = false;
    // With `status`: sends Retry-After with this many seconds, as priority and fairness does
    // with its 429s (0: no Retry-After).
    int retry_after_seconds = 0;
  };

  struct RequestRecord {
    std::string target;
    std::string authorization;
    std::string user_agent;
  };

  FakeApiServer();
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  uint16_t port() const { return port_; }
  const TestCa& ca() const { return ca_; }
  // Writes into `dir` a kubeconfig for this server (its CA as the file api-ca.crt beside it, the
  // bearer token `token`, namespace netadmit-system) and returns its path.
  std::string WriteKubeconfig(const TempDir& dir, std::string_view token) const;

  // Requests need `Authorization: Bearer <token>`; others get the recorded 401.
  void SetToken(std::string token);
  // Serves `collection`, starting with the items of a recorded LIST body. The resourceVersion
  // counter moves to at least the LIST's.
  void Load(const Collection& collection, std::string_view list_body);
  void Serve(const Collection& collection);  // an empty collection
  // Stops serving `collection`, as the API server does when its CRD is deleted: the objects go,
  // open watches end cleanly (the final chunk), and its LIST, watch and discovery answer 404.
  // Unlike the real server it sends no DELETED events first, as if the watch had been down
  // meanwhile: what the client knows of the objects must go without them.
  void Unserve(const Collection& collection);

  // Changes; each takes the next resourceVersion and wakes the watches. `object` is the item
  // JSON without kind/apiVersion, e.g. {"metadata":{"name":"a","namespace":"b"},"spec":{}};
  // its metadata.resourceVersion is set here. Returns the resourceVersion.
  uint64_t Add(const Collection& collection, const std::string& object);
  uint64_t Modify(const Collection& collection, const std::string& object);
  uint64_t Delete(const Collection& collection, std::string_view namespace_name,
                  std::string_view name);
  // Sends a BOOKMARK at the current resourceVersion to every open watch of `collection`.
  void Bookmark(const Collection& collection);
  // From now on, changes to `collection` are stored (a LIST shows them) but its watches do not
  // deliver them, as when the API server's watch cache lags behind etcd. ReleaseEvents sends
  // them, in order, to the watches still open.
  void HoldEvents(const Collection& collection);
  void ReleaseEvents(const Collection& collection);
  // Forgets the event history up to now: watches from an older version get ERROR 410.
  void Compact();
  // Drops every open watch: the TCP connection closes mid-stream, with no final chunk.
  void DropWatches();
  // Ends every open watch cleanly (the final chunk), as timeoutSeconds does.
  void EndWatches();
  void AddFault(Fault fault);
  // Forgets every scripted fault not used up yet, the repeating ones included.
  void ClearFaults();

  uint64_t resource_version() const;
  std::vector<RequestRecord> Requests() const;
  int OpenWatches() const;

 private:
  struct Event {
    uint64_t rv;
    std::string line;  // {"type":...,"object":{...}}\n
  };
  struct State {
    Collection collection;
    std::map<std::string, std::string> objects;  // "namespace/name" -> item JSON (no kind)
    std::vector<Event> events;
    uint64_t compacted = 0;  // watches from an rv below this get 410
    // Watches deliver events up to this resourceVersion only (HoldEvents); none: all of them.
    std::optional<uint64_t> held_after;
  };
  struct Watch;

  void Accept();
  void HandleConnection(std::shared_ptr<void> connection);
  uint64_t Record(State& state, const std::string& type, std::string object_json,
                  const std::string& key, bool erase);
  State* Find(const std::string& path);
  // For ".../namespaces/NS/<resource>", the collection ".../<resource>" and NS; else nullptr.
  State* FindNamespaced(const std::string& path, std::string& namespace_name);
  // The newest event of `state` that watches may deliver now.
  static uint64_t DeliverableUpTo(const State& state);
  // The discovery document at `path` (/apis/GROUP or /apis/GROUP/VERSION), or nullopt when it
  // names nothing served.
  std::optional<std::string> Discovery(const std::string& path) const;

  TestCa ca_;
  IssuedCertificate cert_;
  uint16_t port_ = 0;
  struct Net;
  std::unique_ptr<Net> net_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, State> states_;  // by collection path
  uint64_t rv_ = 100;
  std::string token_;
  std::deque<Fault> faults_;
  std::vector<RequestRecord> requests_;
  std::vector<std::shared_ptr<Watch>> watches_;
  bool stopping_ = false;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

// A full-featured HTTP response as the recorded server frames it: status line, the recorded
// header order, Content-Length up to 2048 bytes of body, chunked above (one chunk).
std::string ApiResponse(int status, std::string_view body);

}  // namespace netadmit::testing
