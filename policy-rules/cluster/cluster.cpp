// The cluster view's cache and the decoding of API server objects into it. See cluster.h for
// the locking scheme.

#include "netadmit/cluster/cluster.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "netadmit/codec/decode.h"

namespace netadmit {

namespace {

using rapidjson::Value;

// Reads typed fields and keeps the first error, like decode.cpp's reader.
class Reader {
 public:
  std::optional<Error> error_;

  void Fail(std::string path, std::string message) {
    if (!error_) {
      error_ = Error{"", 0, 0, std::move(path), std::move(message)};
    }
  }

  const Value* Object(const Value& parent, std::string_view key, const std::string& path) {
    const Value* value = JsonMember(parent, key);
    if (value != nullptr && !value->IsObject()) {
      Fail(path, "expected an object");
      return nullptr;
    }
    return value;
  }

  const Value* Array(const Value& parent, std::string_view key, const std::string& path) {
    const Value* value = JsonMember(parent, key);
    if (value != nullptr && !value->IsArray()) {
      Fail(path, "expected a list");
      return nullptr;
    }
    return value;
  }

  std::string String(const Value& parent, std::string_view key, const std::string& path) {
    const Value* value = JsonMember(parent, key);
    if (value == nullptr) {
      return {};
    }
    if (!value->IsString()) {
      Fail(path, "expected a string");
      return {};
    }
    return std::string(value->GetString(), value->GetStringLength());
  }

  std::map<std::string, std::string, std::less<>> StringMap(const Value& parent,
                                                            std::string_view key,
                                                            const std::string& path) {
    std::map<std::string, std::string, std::less<>> out;
    const Value* map = Object(parent, key, path);
    if (map == nullptr) {
      return out;
    }
    for (const auto& member : map->GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      if (!member.value.IsString()) {
        Fail(path + "." + name, "expected a string");
        return out;
      }
      out.emplace(std::move(name),
                  std::string(member.value.GetString(), member.value.GetStringLength()));
    }
    return out;
  }
};

struct Meta {
  std::string name;
  std::string namespace_name;
  std::string resource_version;
  Labels labels;
  bool deleting = false;  // metadata.deletionTimestamp is set
};

Meta ReadMeta(Reader& reader, const Value& json) {
  Meta meta;
  const Value* metadata = reader.Object(json, "metadata", "metadata");
  if (metadata == nullptr) {
    reader.Fail("metadata", "missing");
    return meta;
  }
  meta.name = reader.String(*metadata, "name", "metadata.name");
  meta.namespace_name = reader.String(*metadata, "namespace", "metadata.namespace");
  meta.resource_version = reader.String(*metadata, "resourceVersion", "metadata.resourceVersion");
  meta.labels = reader.StringMap(*metadata, "labels", "metadata.labels");
  if (auto found = metadata->FindMember("deletionTimestamp"); found != metadata->MemberEnd()) {
    meta.deleting = !found->value.IsNull();
  }
  if (meta.name.empty()) {
    reader.Fail("metadata.name", "missing");
  }
  return meta;
}

Protocol ReadProtocol(Reader& reader, const Value& port, const std::string& path) {
  const std::string text = reader.String(port, "protocol", path + ".protocol");
  if (text.empty() || text == "TCP") {
    return Protocol::kTCP;
  }
  if (text == "UDP") {
    return Protocol::kUDP;
  }
  if (text == "SCTP") {
    return Protocol::kSCTP;
  }
  reader.Fail(path + ".protocol", "unknown protocol \"" + text + "\"");
  return Protocol::kTCP;
}

void ReadNamedPorts(Reader& reader, const Value& spec, CachedPod& pod) {
  const Value* containers = reader.Array(spec, "containers", "spec.containers");
  if (containers == nullptr) {
    return;
  }
  for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
    const std::string path = "spec.containers[" + std::to_string(i) + "]";
    const Value* ports = reader.Array((*containers)[i], "ports", path + ".ports");
    if (ports == nullptr) {
      continue;
    }
    for (rapidjson::SizeType j = 0; j < ports->Size(); ++j) {
      const Value& port = (*ports)[j];
      const std::string port_path = path + ".ports[" + std::to_string(j) + "]";
      std::string name = reader.String(port, "name", port_path + ".name");
      if (name.empty()) {
        continue;
      }
      const Value* number = JsonMember(port, "containerPort");
      if (number == nullptr || !number->IsInt()) {
        reader.Fail(port_path + ".containerPort", "expected a 32-bit integer");
        return;
      }
      pod.named_ports.push_back(
          NamedPort{std::move(name), number->GetInt(), ReadProtocol(reader, port, port_path)});
    }
  }
}

void ReadPodIps(Reader& reader, const Value& json, CachedPod& pod) {
  const Value* status = reader.Object(json, "status", "status");
  if (status == nullptr) {
    return;
  }
  const Value* ips = reader.Array(*status, "podIPs", "status.podIPs");
  if (ips != nullptr) {
    for (rapidjson::SizeType i = 0; i < ips->Size(); ++i) {
      std::string ip =
          reader.String((*ips)[i], "ip", "status.podIPs[" + std::to_string(i) + "].ip");
      if (!ip.empty()) {
        pod.ips.push_back(std::move(ip));
      }
    }
    return;
  }
  std::string ip = reader.String(*status, "podIP", "status.podIP");
  if (!ip.empty()) {
    pod.ips.push_back(std::move(ip));
  }
}

// The spec, decoded by the object decoder: the watch and `netadmit check` read policies alike.
Result<NetworkPolicySpec> DecodePolicySpec(const Value& json, const Meta& meta) {
  static const TypeMeta kNetworkPolicy{"networking.k8s.io/v1", "NetworkPolicy"};
  auto decoded = DecodeObjectOfType(json, kNetworkPolicy, meta.namespace_name);
  if (!decoded.ok()) {
    return decoded.error();
  }
  const NetworkPolicySpec* spec = decoded->network_policy();
  if (spec == nullptr) {
    return Error{"", 0, 0, "spec", "not a NetworkPolicy spec"};
  }
  return std::move(*decoded->network_policy());
}

// The spec of an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy, by the
// object decoder as well. ClusterNetworkPolicy v1beta1 shares v1alpha2's schema.
Result<ClusterPolicySpec> DecodeClusterPolicySpec(ClusterKind kind, const Value& json) {
  static const TypeMeta kAdmin{"policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"};
  static const TypeMeta kBaseline{"policy.networking.k8s.io/v1alpha1",
                                  "BaselineAdminNetworkPolicy"};
  static const TypeMeta kCluster{"policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy"};
  const TypeMeta& type = kind == ClusterKind::kAdminNetworkPolicy           ? kAdmin
                         : kind == ClusterKind::kBaselineAdminNetworkPolicy ? kBaseline
                                                                            : kCluster;
  auto decoded = DecodeObjectOfType(json, type, "");
  if (!decoded.ok()) {
    return decoded.error();
  }
  ClusterPolicySpec* spec = std::get_if<ClusterPolicySpec>(&decoded->content);
  if (spec == nullptr) {
    return Error{"", 0, 0, "spec", "not a " + type.kind + " spec"};
  }
  return std::move(*spec);
}

// The pods of one namespace by label: "key=value" -> the pods carrying it, as a sorted vector
// of pointers (8 bytes a label, where a set would take about 48). A selector's matchLabels then
// start from the smallest group instead of every pod of the namespace.
class LabelIndex {
 public:
  using Group = std::vector<const CachedPod*>;

  void Add(const CachedPod* pod) {
    for (const auto& [key, value] : pod->labels) {
      Group& group = groups_[Pair(key, value)];
      group.insert(std::lower_bound(group.begin(), group.end(), pod), pod);
    }
  }

  void Remove(const CachedPod* pod) {
    for (const auto& [key, value] : pod->labels) {
      auto found = groups_.find(Pair(key, value));
      if (found == groups_.end()) {
        continue;
      }
      Group& group = found->second;
      auto at = std::lower_bound(group.begin(), group.end(), pod);
      if (at != group.end() && *at == pod) {
        group.erase(at);
      }
      if (group.empty()) {
        groups_.erase(found);
      }
    }
  }

  // The pods carrying key=value; null when none does.
  const Group* Find(std::string_view key, std::string_view value) const {
    auto found = groups_.find(Pair(key, value));
    return found == groups_.end() ? nullptr : &found->second;
  }

 private:
  static std::string Pair(std::string_view key, std::string_view value) {
    std::string pair;
    pair.reserve(key.size() + value.size() + 1);
    pair.append(key).append(1, '=').append(value);
    return pair;
  }

  std::unordered_map<std::string, Group> groups_;
};

// namespace -> name -> object, for one kind; pods are also indexed by label.
template <typename T>
struct KindTable {
  using Value = T;
  using Bucket = std::map<std::string, std::shared_ptr<const T>, std::less<>>;
  static constexpr bool kIndexed = std::is_same_v<T, CachedPod>;
  std::map<std::string, Bucket, std::less<>> by_namespace;
  std::map<std::string, LabelIndex, std::less<>> labels;  // pods only
  std::size_t size = 0;

  // Both return the object they replaced or removed, so that it can be freed outside the lock.
  std::shared_ptr<const T> Put(const std::string& namespace_name, std::shared_ptr<const T> value) {
    auto bucket = by_namespace.find(namespace_name);
    if (bucket == by_namespace.end()) {
      bucket = by_namespace.emplace(namespace_name, Bucket{}).first;
    }
    auto [it, inserted] = bucket->second.try_emplace(value->name, nullptr);
    if (inserted) {
      ++size;
    }
    if constexpr (kIndexed) {
      LabelIndex& index = labels[namespace_name];
      if (it->second != nullptr) {
        index.Remove(it->second.get());
      }
      index.Add(value.get());
    }
    std::swap(it->second, value);
    return value;
  }

  std::shared_ptr<const T> Erase(const std::string& namespace_name, const std::string& name) {
    auto bucket = by_namespace.find(namespace_name);
    if (bucket == by_namespace.end()) {
      return nullptr;
    }
    std::shared_ptr<const T> removed;
    if (auto found = bucket->second.find(name); found != bucket->second.end()) {
      removed = std::move(found->second);
      bucket->second.erase(found);
      --size;
      if constexpr (kIndexed) {
        labels[namespace_name].Remove(removed.get());
      }
    }
    if (bucket->second.empty()) {
      by_namespace.erase(bucket);
      if constexpr (kIndexed) {
        labels.erase(namespace_name);
      }
    }
    return removed;
  }

  const Bucket* Find(std::string_view namespace_name) const {
    auto bucket = by_namespace.find(namespace_name);
    return bucket == by_namespace.end() ? nullptr : &bucket->second;
  }
};

template <typename T>
std::vector<std::shared_ptr<const T>> AllOf(const typename KindTable<T>::Bucket* bucket) {
  std::vector<std::shared_ptr<const T>> out;
  if (bucket != nullptr) {
    out.reserve(bucket->size());
    for (const auto& [name, value] : *bucket) {
      out.push_back(value);
    }
  }
  return out;
}

constexpr std::size_t Index(ClusterKind kind) { return static_cast<std::size_t>(kind); }

// Tables::Visit finds a policy kind's table by its offset from the first policy kind.
static_assert(Index(kClusterPolicyKinds[1]) == Index(kClusterPolicyKinds[0]) + 1 &&
                  Index(kClusterPolicyKinds[2]) == Index(kClusterPolicyKinds[0]) + 2 &&
                  Index(kClusterPolicyKinds[2]) + 1 == kClusterKindCount,
              "the policy kinds are the last ClusterKind values, in kClusterPolicyKinds order");

// The journal: the last kJournalLength changes, numbered from 1; sequence_ is the last one's.
class Journal {
 public:
  // Appends `change` and returns the change that fell out (an empty one when none did), so that
  // the objects it holds can be freed outside the lock. O(1).
  ClusterChange Record(ClusterChange change) {
    changes_.push_back(std::move(change));
    ++sequence_;
    ClusterChange dropped;
    if (changes_.size() > ClusterCache::kJournalLength) {
      dropped = std::move(changes_.front());
      changes_.pop_front();
    }
    return dropped;
  }

  uint64_t sequence() const { return sequence_; }

  std::optional<ClusterChanges> Since(uint64_t after) const {
    const uint64_t oldest = sequence_ - changes_.size();  // the sequence before the first kept
    if (after > sequence_ || after < oldest) {
      return std::nullopt;
    }
    ClusterChanges out;
    out.changes.assign(changes_.begin() + static_cast<std::ptrdiff_t>(after - oldest),
                       changes_.end());
    out.sequence = sequence_;
    return out;
  }

 private:
  std::deque<ClusterChange> changes_;
  uint64_t sequence_ = 0;
};

// ConfigMaps are left out of the journal: no consumer keeps anything derived from them.
template <typename T>
constexpr bool kJournaled = !std::is_same_v<T, CachedConfigMap>;

std::atomic<uint64_t> next_journal_id{1};

}  // namespace

struct ClusterCache::Tables {
  std::unique_ptr<KindTable<CachedNamespace>> namespaces =
      std::make_unique<decltype(namespaces)::element_type>();
  std::unique_ptr<KindTable<CachedPolicy>> policies =
      std::make_unique<decltype(policies)::element_type>();
  std::unique_ptr<KindTable<CachedPod>> pods = std::make_unique<decltype(pods)::element_type>();
  std::unique_ptr<KindTable<CachedConfigMap>> config_maps =
      std::make_unique<decltype(config_maps)::element_type>();
  // One table a policy kind (in kClusterPolicyKinds order), all in the "" namespace: each kind
  // is listed, replaced and forgotten on its own.
  std::array<std::unique_ptr<KindTable<CachedClusterPolicy>>, kClusterPolicyKinds.size()>
      cluster_policies = {std::make_unique<KindTable<CachedClusterPolicy>>(),
                          std::make_unique<KindTable<CachedClusterPolicy>>(),
                          std::make_unique<KindTable<CachedClusterPolicy>>()};
  std::array<bool, kClusterKindCount> listed{};
  std::array<uint64_t, kClusterKindCount> generation{};
  Journal journal;

  // Calls `fn` with the table of `kind` (a unique_ptr<KindTable<T>>&) and returns what it returns.
  template <typename Fn>
  decltype(auto) Visit(ClusterKind kind, Fn&& fn) {
    switch (kind) {
      case ClusterKind::kNamespace:
        return fn(namespaces);
      case ClusterKind::kNetworkPolicy:
        return fn(policies);
      case ClusterKind::kPod:
        return fn(pods);
      case ClusterKind::kConfigMap:
        return fn(config_maps);
      case ClusterKind::kAdminNetworkPolicy:
      case ClusterKind::kBaselineAdminNetworkPolicy:
      case ClusterKind::kClusterNetworkPolicy:
        break;
    }
    return fn(cluster_policies[Index(kind) - Index(kClusterPolicyKinds.front())]);
  }
};

const char* ClusterKindName(ClusterKind kind) {
  switch (kind) {
    case ClusterKind::kNamespace:
      return "namespaces";
    case ClusterKind::kNetworkPolicy:
      return "networkpolicies";
    case ClusterKind::kPod:
      return "pods";
    case ClusterKind::kConfigMap:
      return "configmaps";
    case ClusterKind::kAdminNetworkPolicy:
      return "adminnetworkpolicies";
    case ClusterKind::kBaselineAdminNetworkPolicy:
      return "baselineadminnetworkpolicies";
    case ClusterKind::kClusterNetworkPolicy:
      return "clusternetworkpolicies";
  }
  return "unknown";
}

const std::string& ClusterObject::name() const {
  return std::visit([](const auto& object) -> const std::string& { return object.name; }, value);
}

const std::string& ClusterObject::namespace_name() const {
  static const std::string kNone;
  return std::visit(
      [](const auto& object) -> const std::string& {
        using T = std::decay_t<decltype(object)>;
        if constexpr (std::is_same_v<T, CachedNamespace> ||
                      std::is_same_v<T, CachedClusterPolicy>) {
          return kNone;
        } else {
          return object.namespace_name;
        }
      },
      value);
}

Result<ClusterObject> DecodeClusterObject(ClusterKind kind, const rapidjson::Value& json) {
  if (!json.IsObject()) {
    return Error{"", 0, 0, "", "expected an object"};
  }
  Reader reader;
  Meta meta = ReadMeta(reader, json);
  if (reader.error_) {
    return *reader.error_;
  }
  ClusterObject object;
  object.kind = kind;
  object.resource_version = std::move(meta.resource_version);
  switch (kind) {
    case ClusterKind::kNamespace:
      object.value = CachedNamespace{std::move(meta.name), std::move(meta.labels), meta.deleting};
      break;
    case ClusterKind::kNetworkPolicy: {
      if (meta.namespace_name.empty()) {
        return Error{"", 0, 0, "metadata.namespace", "missing"};
      }
      auto spec = DecodePolicySpec(json, meta);
      if (!spec.ok()) {
        return spec.error();
      }
      object.value = CachedPolicy{std::move(meta.namespace_name), std::move(meta.name),
                                  std::move(meta.labels), std::move(*spec)};
      break;
    }
    case ClusterKind::kPod: {
      if (meta.namespace_name.empty()) {
        return Error{"", 0, 0, "metadata.namespace", "missing"};
      }
      CachedPod pod{
          std::move(meta.namespace_name), std::move(meta.name), std::move(meta.labels), {}, {}};
      if (const Value* spec = reader.Object(json, "spec", "spec"); spec != nullptr) {
        ReadNamedPorts(reader, *spec, pod);
      }
      ReadPodIps(reader, json, pod);
      object.value = std::move(pod);
      break;
    }
    case ClusterKind::kConfigMap: {
      if (meta.namespace_name.empty()) {
        return Error{"", 0, 0, "metadata.namespace", "missing"};
      }
      CachedConfigMap map{std::move(meta.namespace_name), std::move(meta.name),
                          std::move(meta.labels), reader.StringMap(json, "data", "data")};
      object.value = std::move(map);
      break;
    }
    case ClusterKind::kAdminNetworkPolicy:
    case ClusterKind::kBaselineAdminNetworkPolicy:
    case ClusterKind::kClusterNetworkPolicy: {
      auto spec = DecodeClusterPolicySpec(kind, json);
      if (!spec.ok()) {
        return spec.error();
      }
      object.value =
          CachedClusterPolicy{std::move(meta.name), std::move(meta.labels), std::move(*spec)};
      break;
    }
  }
  if (reader.error_) {
    return *reader.error_;
  }
  return object;
}

ClusterCache::ClusterCache(std::vector<ClusterKind> watched)
    : journal_id_(next_journal_id.fetch_add(1, std::memory_order_relaxed)),
      watched_(std::move(watched)),
      tables_(std::make_unique<Tables>()) {}

ClusterCache::~ClusterCache() = default;

namespace {

template <typename T>
std::unique_ptr<KindTable<T>> BuildTable(std::vector<ClusterObject>& objects) {
  auto table = std::make_unique<KindTable<T>>();
  for (auto& object : objects) {
    if (T* value = std::get_if<T>(&object.value); value != nullptr) {
      std::string namespace_name = object.namespace_name();
      table->Put(namespace_name, std::make_shared<const T>(std::move(*value)));
    }
  }
  return table;
}

// One event on one table: the new object is made before the lock is taken, the map update and
// its journal entry happen under it, and the replaced object (and whatever fell out of the
// journal) is freed after it.
template <typename T>
void ApplyEvent(std::shared_mutex& mutex, std::unique_ptr<KindTable<T>>& table,
                uint64_t& generation, Journal& journal, EventType type, ClusterObject& object) {
  T* value = std::get_if<T>(&object.value);
  if (value == nullptr) {
    return;
  }
  ClusterChange change;
  change.kind = object.kind;
  change.namespace_name = object.namespace_name();
  change.name = value->name;
  const bool deleted = type == EventType::kDeleted;
  std::shared_ptr<const T> shared;
  if (!deleted) {
    shared = std::make_shared<const T>(std::move(*value));
    if constexpr (kJournaled<T>) {
      change.object = shared;
    }
  }
  std::shared_ptr<const T> released;
  ClusterChange dropped;
  std::unique_lock lock(mutex);
  released = deleted ? table->Erase(change.namespace_name, change.name)
                     : table->Put(change.namespace_name, std::move(shared));
  ++generation;
  if constexpr (kJournaled<T>) {
    // A DELETED of an object the cache does not hold changes nothing, and is not recorded.
    if (!deleted || released != nullptr) {
      dropped = journal.Record(std::move(change));
    }
  }
}

}  // namespace

void ClusterCache::Apply(EventType type, ClusterObject object) {
  uint64_t& generation = tables_->generation[Index(object.kind)];
  tables_->Visit(object.kind, [&](auto& table) {
    ApplyEvent(mutex_, table, generation, tables_->journal, type, object);
  });
}

void ClusterCache::Swap(ClusterKind kind, std::vector<ClusterObject> objects, bool listed) {
  const std::size_t index = Index(kind);
  tables_->Visit(kind, [&](auto& table) {
    using T = typename std::decay_t<decltype(table)>::element_type::Value;
    // The new table is built without the lock; the swap under it is a pointer exchange, and
    // the old table (and what fell out of the journal) is freed after the lock is released.
    auto fresh = BuildTable<T>(objects);
    ClusterChange whole;
    whole.kind = kind;
    whole.whole_kind = true;
    ClusterChange dropped;
    std::unique_lock lock(mutex_);
    std::swap(fresh, table);
    tables_->listed[index] = listed;
    ++tables_->generation[index];
    if constexpr (kJournaled<T>) {
      dropped = tables_->journal.Record(std::move(whole));
    }
    lock.unlock();
  });
}

void ClusterCache::Replace(ClusterKind kind, std::vector<ClusterObject> objects) {
  std::erase_if(objects, [kind](const ClusterObject& object) { return object.kind != kind; });
  Swap(kind, std::move(objects), true);
}

void ClusterCache::Forget(ClusterKind kind) { Swap(kind, {}, false); }

void ClusterCache::SetWatched(std::vector<ClusterKind> watched) {
  std::unique_lock lock(mutex_);
  watched_ = std::move(watched);
}

bool ClusterCache::Listed(ClusterKind kind) const {
  std::shared_lock lock(mutex_);
  return tables_->listed[Index(kind)];
}

std::size_t ClusterCache::Count(ClusterKind kind) const {
  std::shared_lock lock(mutex_);
  return tables_->Visit(kind, [](const auto& table) { return table->size; });
}

uint64_t ClusterCache::Generation(ClusterKind kind) const {
  std::shared_lock lock(mutex_);
  return tables_->generation[Index(kind)];
}

uint64_t ClusterCache::Sequence() const {
  std::shared_lock lock(mutex_);
  return tables_->journal.sequence();
}

std::optional<ClusterChanges> ClusterCache::ChangesSince(uint64_t after) const {
  std::shared_lock lock(mutex_);
  return tables_->journal.Since(after);
}

bool ClusterCache::Synced() const {
  std::shared_lock lock(mutex_);
  return std::all_of(watched_.begin(), watched_.end(),
                     [this](ClusterKind kind) { return tables_->listed[Index(kind)]; });
}

std::vector<std::shared_ptr<const CachedNamespace>> ClusterCache::Namespaces() const {
  std::shared_lock lock(mutex_);
  return AllOf<CachedNamespace>(tables_->namespaces->Find(""));
}

std::shared_ptr<const CachedNamespace> ClusterCache::Namespace(std::string_view name) const {
  std::shared_lock lock(mutex_);
  const auto* bucket = tables_->namespaces->Find("");
  if (bucket == nullptr) {
    return nullptr;
  }
  auto found = bucket->find(name);
  return found == bucket->end() ? nullptr : found->second;
}

std::vector<std::shared_ptr<const CachedPolicy>> ClusterCache::Policies(
    std::string_view namespace_name) const {
  std::shared_lock lock(mutex_);
  return AllOf<CachedPolicy>(tables_->policies->Find(namespace_name));
}

std::vector<std::shared_ptr<const CachedPod>> ClusterCache::Pods(
    std::string_view namespace_name, const LabelSelector& selector) const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const CachedPod>> out;
  const auto* bucket = tables_->pods->Find(namespace_name);
  if (bucket == nullptr) {
    return out;
  }
  // With matchLabels, only the pods of the smallest label group can match.
  const LabelIndex::Group* candidates = nullptr;
  if (!selector.match_labels.empty()) {
    const auto index = tables_->pods->labels.find(namespace_name);
    for (const auto& [key, value] : selector.match_labels) {
      const LabelIndex::Group* group =
          index == tables_->pods->labels.end() ? nullptr : index->second.Find(key, value);
      if (group == nullptr) {
        return out;  // no pod carries this label
      }
      if (candidates == nullptr || group->size() < candidates->size()) {
        candidates = group;
      }
    }
  }
  if (candidates == nullptr) {
    for (const auto& [name, pod] : *bucket) {
      if (selector.Matches(pod->labels)) {
        out.push_back(pod);
      }
    }
    return out;
  }
  for (const CachedPod* pod : *candidates) {
    if (selector.Matches(pod->labels)) {
      out.push_back(bucket->find(pod->name)->second);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->name < b->name; });
  return out;
}

std::vector<std::shared_ptr<const CachedConfigMap>> ClusterCache::ConfigMaps(
    std::string_view namespace_name) const {
  std::shared_lock lock(mutex_);
  return AllOf<CachedConfigMap>(tables_->config_maps->Find(namespace_name));
}

std::vector<std::shared_ptr<const CachedClusterPolicy>> ClusterCache::ClusterPolicies() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const CachedClusterPolicy>> out;
  // The tables are in kind order, and each is sorted by name.
  for (const auto& table : tables_->cluster_policies) {
    auto policies = AllOf<CachedClusterPolicy>(table->Find(""));
    out.insert(out.end(), std::make_move_iterator(policies.begin()),
               std::make_move_iterator(policies.end()));
  }
  return out;
}

FreshPolicies::FreshPolicies(const ClusterView& base, ByNamespace fresh)
    : base_(base), fresh_(std::move(fresh)) {
  for (auto& [namespace_name, policies] : fresh_) {
    std::sort(policies.begin(), policies.end(),
              [](const auto& a, const auto& b) { return a->name < b->name; });
  }
}

std::vector<std::shared_ptr<const CachedPolicy>> FreshPolicies::Policies(
    std::string_view namespace_name) const {
  if (auto found = fresh_.find(namespace_name); found != fresh_.end()) {
    return found->second;
  }
  return base_.Policies(namespace_name);
}

}  // namespace netadmit
