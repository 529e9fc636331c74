#pragma once

// The cluster view: a compact cache of the Namespaces, NetworkPolicies, Pods, rule-set
// ConfigMaps and cluster-scoped policies (AdminNetworkPolicy, ...) of a cluster, kept current by
// the API watch client (kube/) and read by rule kinds that need to know more than the object under
// review.
//
// Only what rules and the connectivity engine need is kept: a Pod is its namespace, name, labels,
// named container ports and IPs. Objects are kept by namespace and name; pods are also indexed by
// label within their namespace, so that a selector with matchLabels reads only the pods of its
// smallest label group. Objects are held as shared_ptr<const T>, so a reader keeps what
// it was handed even after the cache moves on, and nothing is copied to hand it out.
//
// Concurrency: one std::shared_mutex. A watch event is an O(log n) insert or erase under a brief
// exclusive lock (the object is decoded before the lock is taken). A relist replaces a whole kind:
// the new table is built aside, without the lock, and swapped in under it, so readers see the old
// list or the new one, never a half-applied one. Readers take the shared lock for one query.
// Every change but a ConfigMap's is also numbered and kept in a journal under the same exclusive
// lock, so that a consumer can bring what it derives from the view up to date by applying what
// changed since it last looked (ClusterView::ChangesSince).
// (A copy-on-write snapshot per namespace would make every event copy its namespace's bucket;
// with thousands of pods in a namespace that is milliseconds, not microseconds.)

#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

namespace netadmit {

// The kinds the cluster view caches.
enum class ClusterKind {
  kNamespace,
  kNetworkPolicy,
  kPod,
  kConfigMap,
  kAdminNetworkPolicy,
  kBaselineAdminNetworkPolicy,
  kClusterNetworkPolicy
};
// The kinds every cluster serves, and that the cache waits for by default.
inline constexpr std::array<ClusterKind, 4> kClusterKinds = {
    ClusterKind::kNamespace, ClusterKind::kNetworkPolicy, ClusterKind::kPod,
    ClusterKind::kConfigMap};
// The cluster-scoped policies: served only where their CustomResourceDefinitions are installed,
// so nothing waits for them by default.
inline constexpr std::array<ClusterKind, 3> kClusterPolicyKinds = {
    ClusterKind::kAdminNetworkPolicy, ClusterKind::kBaselineAdminNetworkPolicy,
    ClusterKind::kClusterNetworkPolicy};
// How many ClusterKind values there are: the size of an array indexed by kind.
inline constexpr std::size_t kClusterKindCount = kClusterKinds.size() + kClusterPolicyKinds.size();
// The resource plural, as in API paths and metric labels: "namespaces", "networkpolicies",
// "adminnetworkpolicies", ...
const char* ClusterKindName(ClusterKind kind);

struct CachedNamespace {
  std::string name;
  Labels labels;
  // Being deleted (metadata.deletionTimestamp set): the namespace controller is removing its
  // objects, and rules about what the namespace must keep no longer apply.
  bool terminating = false;
};

struct CachedPolicy {
  std::string namespace_name;
  std::string name;
  Labels labels;
  NetworkPolicySpec spec;
};

struct CachedPod {
  std::string namespace_name;
  std::string name;
  Labels labels;
  std::vector<NamedPort> named_ports;  // unnamed ports are left out
  std::vector<std::string> ips;        // status.podIPs; empty while Pending
};

// An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy (cluster-scoped;
// spec.kind says which).
struct CachedClusterPolicy {
  std::string name;
  Labels labels;
  ClusterPolicySpec spec;
};

struct CachedConfigMap {
  std::string namespace_name;
  std::string name;
  Labels labels;
  std::map<std::string, std::string, std::less<>> data;
};

// One object as the API server sent it, decoded, with its metadata.resourceVersion.
struct ClusterObject {
  ClusterKind kind = ClusterKind::kNamespace;
  std::string resource_version;
  std::variant<CachedNamespace, CachedPolicy, CachedPod, CachedConfigMap, CachedClusterPolicy>
      value;

  const std::string& name() const;
  const std::string& namespace_name() const;  // empty for Namespaces and cluster policies
};

// Decodes one item of a LIST (items carry no kind/apiVersion) or the object of a watch event.
// Every field's type is checked; a malformed object gives an Error naming the field path.
// The cluster policies decode as decode.h's DecodeObjectOfType decodes them (ClusterNetworkPolicy
// with the v1alpha2 schema, which v1beta1 shares); their metadata.namespace is ignored.
Result<ClusterObject> DecodeClusterObject(ClusterKind kind, const rapidjson::Value& json);

// One change to the cached objects, as the journal records it: an object added or replaced
// (ADDED, MODIFIED), an object deleted, or a whole kind relisted or forgotten.
struct ClusterChange {
  ClusterKind kind = ClusterKind::kNamespace;
  std::string namespace_name;  // empty for namespaces and the cluster-scoped kinds
  std::string name;
  // The object after the change, the one the view holds; empty (std::monostate) when it was
  // deleted.
  std::variant<std::monostate, std::shared_ptr<const CachedNamespace>,
               std::shared_ptr<const CachedPolicy>, std::shared_ptr<const CachedPod>,
               std::shared_ptr<const CachedClusterPolicy>>
      object;
  // A relist (Replace) or Forget of the whole kind: every object of `kind` may have changed;
  // name and object are empty. A consumer reads the kind again.
  bool whole_kind = false;
};

// The changes after some sequence number, oldest first, and the sequence they end at.
struct ClusterChanges {
  std::vector<ClusterChange> changes;
  uint64_t sequence = 0;
};

// What rule kinds may read. Every method is safe from many threads and never throws.
class ClusterView {
 public:
  virtual ~ClusterView() = default;

  // True once every watched kind has been listed at least once: before that, an absent object
  // may simply not have arrived yet.
  virtual bool Synced() const = 0;
  // The namespace, or nullptr when it is not known.
  virtual std::shared_ptr<const CachedNamespace> Namespace(std::string_view name) const = 0;
  // Every known namespace, sorted by name.
  virtual std::vector<std::shared_ptr<const CachedNamespace>> Namespaces() const = 0;
  // The NetworkPolicies of a namespace, sorted by name.
  virtual std::vector<std::shared_ptr<const CachedPolicy>> Policies(
      std::string_view namespace_name) const = 0;
  // The Pods of a namespace that `selector` selects (an empty selector: all), sorted by name.
  virtual std::vector<std::shared_ptr<const CachedPod>> Pods(
      std::string_view namespace_name, const LabelSelector& selector) const = 0;
  // The cached ConfigMaps of a namespace, sorted by name.
  virtual std::vector<std::shared_ptr<const CachedConfigMap>> ConfigMaps(
      std::string_view namespace_name) const = 0;
  // The cluster-scoped policies of the kinds the API server serves, sorted by kind, then name;
  // empty when none of their CustomResourceDefinitions is installed.
  virtual std::vector<std::shared_ptr<const CachedClusterPolicy>> ClusterPolicies() const = 0;

  // A journal of changes, for consumers that keep something derived from the view current by
  // applying what changed rather than reading everything again. ConfigMaps are not in it.
  //
  // Catching up: a consumer reads s = Sequence(), then reads the view (Namespaces(), Pods(),
  // Policies(), ClusterPolicies()), then applies ChangesSince(s) in order: an object is upserted,
  // a deletion erases. It then holds the view as of the returned sequence, even when changes
  // landed while it read: what it read of an object is that object at some sequence between s
  // and the returned one, and each object the changes name ends as its last change left it.
  // A whole_kind change is caught up the way the first read was: read the kind again after the
  // batch (that read may already be newer than the returned sequence) and catch up once more
  // from the returned sequence; the first batch without a whole_kind change leaves the consumer
  // exactly at its sequence.

  // Tells views apart: unique per ClusterCache in the process, never 0; 0 when this view keeps
  // no journal.
  virtual uint64_t JournalId() const { return 0; }
  // Rises by one with every recorded change; 0 before the first and in a view without a journal.
  virtual uint64_t Sequence() const { return 0; }
  // The changes after `after` up to Sequence(), oldest first, and the sequence they end at
  // (empty when `after` is Sequence()). nullopt when the view keeps no journal, when `after` is
  // beyond Sequence(), or when some of those changes are no longer kept: read the view again.
  virtual std::optional<ClusterChanges> ChangesSince(uint64_t /*after*/) const {
    return std::nullopt;
  }
};

// A view with the NetworkPolicies of some namespaces replaced by a fresh read from the API
// server; everything else is the base view's. The server evaluates a request again through it
// before denying for a policy the cache may not have received yet.
class FreshPolicies final : public ClusterView {
 public:
  using ByNamespace =
      std::map<std::string, std::vector<std::shared_ptr<const CachedPolicy>>, std::less<>>;
  // `base` must outlive this view. The policies of each namespace need not be sorted.
  FreshPolicies(const ClusterView& base, ByNamespace fresh);

  bool Synced() const override { return base_.Synced(); }
  std::shared_ptr<const CachedNamespace> Namespace(std::string_view name) const override {
    return base_.Namespace(name);
  }
  std::vector<std::shared_ptr<const CachedNamespace>> Namespaces() const override {
    return base_.Namespaces();
  }
  std::vector<std::shared_ptr<const CachedPolicy>> Policies(
      std::string_view namespace_name) const override;
  std::vector<std::shared_ptr<const CachedPod>> Pods(std::string_view namespace_name,
                                                     const LabelSelector& selector) const override {
    return base_.Pods(namespace_name, selector);
  }
  std::vector<std::shared_ptr<const CachedConfigMap>> ConfigMaps(
      std::string_view namespace_name) const override {
    return base_.ConfigMaps(namespace_name);
  }
  std::vector<std::shared_ptr<const CachedClusterPolicy>> ClusterPolicies() const override {
    return base_.ClusterPolicies();
  }

 private:
  const ClusterView& base_;
  ByNamespace fresh_;
};

enum class EventType { kAdded, kModified, kDeleted };

// The cache itself. Written by one watch client, read by any number of admission threads.
// (connectivity.h's ClusterState is the connectivity engine's input, a plain snapshot.)
class ClusterCache final : public ClusterView {
 public:
  // `watched`: the kinds that must be listed before Synced() holds.
  explicit ClusterCache(std::vector<ClusterKind> watched = {kClusterKinds.begin(),
                                                            kClusterKinds.end()});
  ~ClusterCache() override;
  ClusterCache(const ClusterCache&) = delete;
  ClusterCache& operator=(const ClusterCache&) = delete;

  // Applies one watch event. ADDED and MODIFIED insert or replace; DELETED removes (an unknown
  // object is ignored). Microseconds: one map update under the exclusive lock.
  void Apply(EventType type, ClusterObject object);
  // Replaces every object of `kind` with `objects` (a complete LIST), atomically for readers, and
  // marks the kind as listed. Objects of another kind in `objects` are ignored.
  void Replace(ClusterKind kind, std::vector<ClusterObject> objects);

  // Removes every object of `kind` and marks it not listed, as when its CustomResourceDefinition
  // is deleted; its generation rises. A later Replace lists it again.
  void Forget(ClusterKind kind);

  // Changes the kinds Synced() waits for.
  void SetWatched(std::vector<ClusterKind> watched);

  bool Listed(ClusterKind kind) const;
  std::size_t Count(ClusterKind kind) const;
  // Rises with every change to objects of `kind` (event or relist).
  uint64_t Generation(ClusterKind kind) const;

  // How many changes the journal keeps. It holds the objects of those changes, so an object
  // replaced or deleted stays alive until its last change falls out: bounded by this many.
  static constexpr std::size_t kJournalLength = 65536;
  // The journal records, under the exclusive lock that applies them: every ADDED and MODIFIED
  // (with the object as stored), every DELETED of an object the cache held (a DELETED of an
  // unknown object changes nothing and is not recorded), and every Replace and Forget as one
  // whole_kind change; of every kind but ConfigMaps, which no consumer needs.
  uint64_t JournalId() const override { return journal_id_; }
  uint64_t Sequence() const override;
  std::optional<ClusterChanges> ChangesSince(uint64_t after) const override;

  bool Synced() const override;
  std::shared_ptr<const CachedNamespace> Namespace(std::string_view name) const override;
  std::vector<std::shared_ptr<const CachedNamespace>> Namespaces() const override;
  std::vector<std::shared_ptr<const CachedPolicy>> Policies(
      std::string_view namespace_name) const override;
  std::vector<std::shared_ptr<const CachedPod>> Pods(std::string_view namespace_name,
                                                     const LabelSelector& selector) const override;
  std::vector<std::shared_ptr<const CachedConfigMap>> ConfigMaps(
      std::string_view namespace_name) const override;
  std::vector<std::shared_ptr<const CachedClusterPolicy>> ClusterPolicies() const override;

  struct Tables;  // defined in cluster.cpp

 private:
  // Replaces the table of `kind` with one of `objects` (all of that kind) and sets its listed mark.
  void Swap(ClusterKind kind, std::vector<ClusterObject> objects, bool listed);

  const uint64_t journal_id_;
  std::vector<ClusterKind> watched_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Tables> tables_;
};

}  // namespace netadmit
