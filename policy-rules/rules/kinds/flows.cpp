// Flows judges a change by what it does to the cluster's connectivity: the connections an
// entry (flows.h) names that the change breaks, a `forbid` connection it opens or a `require`
// connection it closes. A connection broken already is the business of whoever broke it:
// refusing every unrelated change until then would stop everyone, including the person fixing
// it. But one already broken elsewhere does not license breaking another: the judgement is per
// connection (source, destination, port), not per entry.
//
// Changes judged: NetworkPolicy CREATE, UPDATE and DELETE, the same for the cluster-scoped
// policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy), Pod CREATE
// (a new pod's labels decide which policies select it and which flows it takes part in), and a
// pod controller's CREATE and UPDATE (its template, as the pod it will create). "Before" is the
// cluster with the object as it was (absent on CREATE, the old version on UPDATE); "after" has
// it as requested (absent on DELETE). So in `netadmit check`, where the view already holds
// every manifest, each object is judged as the last one applied.
//
// How: one connectivity engine per cluster view (KeptEngine), built over the pods some entry
// names and every policy when first asked, then kept current with the view's journal: each
// recorded watch event is one in-place update of the engine, not a build. A change is judged on
// that engine: the object is put in as it would be after the change, the connections with an
// end among the pods it can affect (FindBrokenCells) are asked, and only those found broken are
// asked again with the object as it was before; then the engine is put back as the view has
// it, all under the engine's lock. A view without a journal gets an engine built for the one
// judgement, judged the same way. A change that touches no pod an entry names, or a new replica
// of a pod already there (HasTwin), needs no engine at all (docs/PERFORMANCE.md has figures).

#include "rules/kinds/flows.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/connectivity/flow_requirements.h"

namespace netadmit {

namespace {

// The pods the entries can name: those some entry's `from` or `to` selects. Whether one pod
// reaches another depends only on the two pods, their namespaces, the NetworkPolicies of those
// namespaces and the cluster-scoped policies (which look at the same pods and namespaces), so an
// engine built over the pods in scope answers every entry exactly as one built over the whole
// cluster would. Pods no entry names, and namespaces without pods in scope, are
// left out; a change that touches neither cannot change what an entry sees.
class FlowScope {
 public:
  explicit FlowScope(std::initializer_list<const std::vector<FlowEntry>*> entry_lists) {
    for (const std::vector<FlowEntry>* entries : entry_lists) {
      for (const FlowEntry& entry : *entries) {
        for (const FlowPeer* peer : {&entry.from, &entry.to}) {
          if (peer->cidrs.empty()) {
            peers_.push_back(peer);
          }
        }
      }
    }
  }

  // The peers that may select pods of a namespace with these labels.
  std::vector<const FlowPeer*> PeersIn(const Labels& namespace_labels) const {
    std::vector<const FlowPeer*> peers;
    for (const FlowPeer* peer : peers_) {
      if (!peer->namespace_selector || peer->namespace_selector->Matches(namespace_labels)) {
        peers.push_back(peer);
      }
    }
    return peers;
  }

  // The pods of a namespace that `peers` (from PeersIn) select, sorted by name.
  static std::vector<std::shared_ptr<const CachedPod>> PodsIn(
      const ClusterView& cluster, const std::string& namespace_name,
      const std::vector<const FlowPeer*>& peers) {
    std::vector<std::shared_ptr<const CachedPod>> pods;
    for (const FlowPeer* peer : peers) {
      if (!peer->pod_selector) {
        return cluster.Pods(namespace_name, LabelSelector{});
      }
      auto selected = cluster.Pods(namespace_name, *peer->pod_selector);
      pods.insert(pods.end(), std::make_move_iterator(selected.begin()),
                  std::make_move_iterator(selected.end()));
    }
    const auto by_name = [](const auto& a, const auto& b) { return a->name < b->name; };
    std::stable_sort(pods.begin(), pods.end(), by_name);
    pods.erase(std::unique(pods.begin(), pods.end(),
                           [](const auto& a, const auto& b) { return a->name == b->name; }),
               pods.end());
    return pods;
  }

  static bool Selects(const std::vector<const FlowPeer*>& peers, const Labels& pod_labels) {
    return std::any_of(peers.begin(), peers.end(), [&](const FlowPeer* peer) {
      return !peer->pod_selector || peer->pod_selector->Matches(pod_labels);
    });
  }

 private:
  std::vector<const FlowPeer*> peers_;  // the entries' pod peers (not their cidrs)
};

// A namespace's labels as selectors see them: with kubernetes.io/metadata.name, as the API server
// sets it and the engine assumes it.
NamespaceInfo NamespaceOf(std::string name, Labels labels) {
  labels.emplace(kNamespaceNameLabel, name);
  return NamespaceInfo{std::move(name), std::move(labels)};
}

NamespaceInfo NamespaceOf(const ClusterView& cluster, const std::string& name) {
  const auto ns = cluster.Namespace(name);
  return NamespaceOf(name, ns ? ns->labels : Labels{});
}

bool SelectsAny(const LabelSelector& selector,
                const std::vector<std::shared_ptr<const CachedPod>>& pods) {
  return std::any_of(pods.begin(), pods.end(),
                     [&](const auto& pod) { return selector.Matches(pod->labels); });
}

// Whether the object can change what an entry sees: a policy that selects pods in scope (as it
// is, or as it was before an UPDATE), or a pod in scope itself. A policy that selects none
// neither isolates nor opens anything for them.
bool TouchesScope(const ClusterView& cluster, const FlowScope& scope, const Object& object,
                  const Object* old_object) {
  const std::string& namespace_name = object.metadata.namespace_name;
  const std::vector<const FlowPeer*> peers =
      scope.PeersIn(NamespaceOf(cluster, namespace_name).labels);
  if (peers.empty()) {
    return false;
  }
  const NetworkPolicySpec* policy = object.network_policy();
  if (policy == nullptr) {
    return FlowScope::Selects(peers, object.pod_template()->labels);
  }
  const auto pods = FlowScope::PodsIn(cluster, namespace_name, peers);
  const NetworkPolicySpec* old_policy =
      old_object != nullptr ? old_object->network_policy() : nullptr;
  return SelectsAny(policy->pod_selector, pods) ||
         (old_policy != nullptr && SelectsAny(old_policy->pod_selector, pods));
}

// A cached pod as the connectivity engine takes it.
PodInfo PodOf(const CachedPod& pod) {
  PodInfo info{pod.namespace_name, pod.name, pod.labels, {}, pod.ips};
  for (const auto& port : pod.named_ports) {
    info.ports.push_back(NamedPort{port.name, port.port, port.protocol});
  }
  return info;
}

// The connectivity input over the pods in scope and the policies that select them, with the
// object under review taken out. A pod under review counts as in scope: the policies that select
// it stay.
// `object` may be null: the scope over the cluster as it is.
ClusterState ScopedStateWithout(const ClusterView& cluster, const FlowScope& scope,
                                const Object* object) {
  std::vector<NamespaceInfo> namespaces;
  for (const auto& ns : cluster.Namespaces()) {
    namespaces.push_back(NamespaceOf(ns->name, ns->labels));
  }
  const bool is_policy = object != nullptr && object->network_policy() != nullptr;
  const ClusterPolicySpec* cluster_policy = object != nullptr ? object->cluster_policy() : nullptr;
  const std::string cluster_name =
      cluster_policy != nullptr ? object->metadata.name : std::string();
  if (cluster_policy != nullptr) {
    // Cluster-scoped: it neither belongs to a namespace nor takes a pod out of the scope.
    object = nullptr;
  }
  const std::string object_namespace =
      object != nullptr ? object->metadata.namespace_name : std::string();
  if (object != nullptr &&
      std::none_of(namespaces.begin(), namespaces.end(),
                   [&](const NamespaceInfo& ns) { return ns.name == object_namespace; })) {
    namespaces.push_back(NamespaceOf(object_namespace, {}));
  }
  ClusterState state;
  for (NamespaceInfo& ns : namespaces) {
    const std::vector<const FlowPeer*> peers = scope.PeersIn(ns.labels);
    const bool object_here = object != nullptr && ns.name == object_namespace;
    auto pods = peers.empty() ? std::vector<std::shared_ptr<const CachedPod>>()
                              : FlowScope::PodsIn(cluster, ns.name, peers);
    if (object_here && !is_policy) {
      std::erase_if(pods, [&](const auto& pod) { return pod->name == object->metadata.name; });
    }
    // The object's namespace stays: a pod in scope goes into it.
    if (pods.empty() && !object_here) {
      continue;
    }
    for (const auto& policy : cluster.Policies(ns.name)) {
      if (is_policy && object_here && policy->name == object->metadata.name) {
        continue;
      }
      if (SelectsAny(policy->spec.pod_selector, pods) ||
          (object_here && !is_policy &&
           policy->spec.pod_selector.Matches(object->pod_template()->labels))) {
        state.policies.push_back(PolicyInfo{policy->namespace_name, policy->name, policy->spec});
      }
    }
    for (const auto& pod : pods) {
      state.pods.push_back(PodOf(*pod));
    }
    state.namespaces.push_back(std::move(ns));
  }
  // The Admin and Baseline tiers apply to every pod their subjects select.
  for (const auto& policy : cluster.ClusterPolicies()) {
    if (cluster_policy != nullptr && policy->spec.kind == cluster_policy->kind &&
        policy->name == cluster_name) {
      continue;
    }
    state.cluster_policies.push_back(ClusterPolicyInfo{policy->name, policy->spec});
  }
  return state;
}

// The container ports of a pod template that have a name, as the cache keeps them for a pod.
std::vector<NamedPort> NamedPortsOf(const PodTemplate& pod) {
  std::vector<NamedPort> ports;
  for (const auto& container : pod.containers) {
    for (const auto& port : container.ports) {
      if (!port.name.empty()) {
        ports.push_back(NamedPort{port.name, port.container_port, port.protocol});
      }
    }
  }
  return ports;
}

// Whether two lists of named ports hold the same ports, in any order.
bool SameNamedPorts(std::vector<NamedPort> a, std::vector<NamedPort> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Whether policies see two pod templates alike: the same labels and named ports (an image or
// resources change, a rollout restart).
bool SeenAlike(const PodTemplate& a, const PodTemplate& b) {
  return a.labels == b.labels && SameNamedPorts(NamedPortsOf(a), NamedPortsOf(b));
}

// Whether the namespace already has a pod with the new pod's labels and named ports, like the
// replicas of one Deployment. Such a twin is selected by the same policies and peers and resolves
// the same named ports, so everything the new pod may reach or be reached by, the twin may too
// (the new pod has no address yet, so an ipBlock can only add to the twin's side). A forbidden
// flow the new pod would open is therefore open already, through the twin.
bool HasTwin(const ClusterView& cluster, const Object& object) {
  const PodTemplate& pod = *object.pod_template();
  const std::vector<NamedPort> ports = NamedPortsOf(pod);
  LabelSelector same_labels;
  same_labels.match_labels = pod.labels;
  for (const auto& other : cluster.Pods(object.metadata.namespace_name, same_labels)) {
    if (other->name != object.metadata.name && other->labels == pod.labels &&
        SameNamedPorts(ports, other->named_ports)) {
      return true;
    }
  }
  return false;
}

// "flows cannot be evaluated": an address or CIDR the engine cannot read.
Violation Unevaluable(const Error& error) {
  return Violation{"", "flows cannot be evaluated", error.ToString(),
                   "fix the address or CIDR named"};
}

// The connectivity engine kept current with one cluster view through its journal: over the
// pods some entry names (the scope) and every policy, so that a change needs no lookup beyond
// the engine. Not thread-safe: its owner holds a lock.
class KeptEngine {
 public:
  explicit KeptEngine(const FlowScope& scope) : scope_(scope) {}

  // The engine as of the view's latest recorded change, or nullptr when the view keeps no
  // journal. Applies the changes since the last call, or builds when the journal no longer
  // holds them (or the view is another one).
  Connectivity* CatchUp(const ClusterView& view) {
    if (view.JournalId() == 0) {
      return nullptr;
    }
    if (view.JournalId() != journal_id_ || !engine_) {
      Rebuild(view);
    }
    for (;;) {
      const auto changes = view.ChangesSince(sequence_);
      if (!changes) {
        Rebuild(view);
        continue;
      }
      bool relisted = false;
      for (const ClusterChange& change : changes->changes) {
        if (change.whole_kind) {
          relisted = true;
          break;
        }
        Apply(view, change);
      }
      if (relisted) {
        Rebuild(view);
        continue;
      }
      sequence_ = changes->sequence;
      break;
    }
    engine_->Compact();
    return &*engine_;
  }

  // An object the engine had to leave out (an invalid address or CIDR), if any.
  const Error* invalid() const { return invalid_.empty() ? nullptr : &invalid_.begin()->second; }

  std::size_t rebuilds() const { return rebuilds_; }

 private:
  void Rebuild(const ClusterView& view) {
    ++rebuilds_;
    journal_id_ = view.JournalId();
    sequence_ = view.Sequence();
    invalid_.clear();
    ClusterState state;
    for (const auto& ns : view.Namespaces()) {
      const NamespaceInfo info = NamespaceOf(ns->name, ns->labels);
      const std::vector<const FlowPeer*> peers = scope_.PeersIn(info.labels);
      if (!peers.empty()) {
        for (const auto& pod : FlowScope::PodsIn(view, ns->name, peers)) {
          state.pods.push_back(PodOf(*pod));
        }
      }
      for (const auto& policy : view.Policies(ns->name)) {
        state.policies.push_back(PolicyInfo{policy->namespace_name, policy->name, policy->spec});
      }
      state.namespaces.push_back(info);
    }
    for (const auto& policy : view.ClusterPolicies()) {
      state.cluster_policies.push_back(ClusterPolicyInfo{policy->name, policy->spec});
    }
    if (auto built = Connectivity::Build(state)) {
      engine_ = std::move(*built);
      return;
    }
    // Something is invalid: build without it, one object at a time, and remember what.
    ClusterState bare;
    bare.namespaces = std::move(state.namespaces);
    engine_ = std::move(Connectivity::Build(std::move(bare)).value());
    for (PodInfo& pod : state.pods) {
      Remember("Pod " + pod.namespace_name + '/' + pod.name, engine_->PutPod(std::move(pod)));
    }
    for (PolicyInfo& policy : state.policies) {
      Remember("NetworkPolicy " + policy.namespace_name + '/' + policy.name,
               engine_->PutPolicy(std::move(policy)));
    }
    for (ClusterPolicyInfo& policy : state.cluster_policies) {
      Remember(std::string(ClusterPolicyKindName(policy.spec.kind)) + ' ' + policy.name,
               engine_->PutClusterPolicy(std::move(policy)));
    }
  }

  void Remember(const std::string& key, const Result<Ok>& result) {
    if (result.ok()) {
      invalid_.erase(key);
    } else {
      invalid_.insert_or_assign(key, result.error());
    }
  }

  // A pod is in the engine while some entry names it; the namespace's labels decide that too.
  void PutScoped(const CachedPod& pod) {
    const NamespaceInfo* ns = engine_->FindNamespace(pod.namespace_name);
    const Labels labels = ns != nullptr ? ns->labels : NamespaceOf(pod.namespace_name, {}).labels;
    const std::string key = "Pod " + pod.namespace_name + '/' + pod.name;
    if (FlowScope::Selects(scope_.PeersIn(labels), pod.labels)) {
      Remember(key, engine_->PutPod(PodOf(pod)));
    } else {
      engine_->RemovePod(pod.namespace_name, pod.name);
      invalid_.erase(key);
    }
  }

  void Apply(const ClusterView& view, const ClusterChange& change) {
    switch (change.kind) {
      case ClusterKind::kNamespace:
        if (const auto* ns = std::get_if<std::shared_ptr<const CachedNamespace>>(&change.object)) {
          engine_->PutNamespace(NamespaceOf((*ns)->name, (*ns)->labels));
          // Its labels may bring its pods into an entry's scope or take them out.
          for (const auto& pod : view.Pods(change.name, LabelSelector{})) {
            PutScoped(*pod);
          }
        }
        return;
      case ClusterKind::kPod:
        if (const auto* pod = std::get_if<std::shared_ptr<const CachedPod>>(&change.object)) {
          PutScoped(**pod);
        } else {
          engine_->RemovePod(change.namespace_name, change.name);
          invalid_.erase("Pod " + change.namespace_name + '/' + change.name);
        }
        return;
      case ClusterKind::kNetworkPolicy: {
        const std::string key = "NetworkPolicy " + change.namespace_name + '/' + change.name;
        // Out first: a new version the engine cannot read leaves none, and is remembered.
        engine_->RemovePolicy(change.namespace_name, change.name);
        if (const auto* policy = std::get_if<std::shared_ptr<const CachedPolicy>>(&change.object)) {
          Remember(key, engine_->PutPolicy(PolicyInfo{(*policy)->namespace_name, (*policy)->name,
                                                      (*policy)->spec}));
        } else {
          invalid_.erase(key);
        }
        return;
      }
      case ClusterKind::kAdminNetworkPolicy:
      case ClusterKind::kBaselineAdminNetworkPolicy:
      case ClusterKind::kClusterNetworkPolicy: {
        const ClusterPolicyKind kind = change.kind == ClusterKind::kAdminNetworkPolicy
                                           ? ClusterPolicyKind::kAdminNetworkPolicy
                                       : change.kind == ClusterKind::kBaselineAdminNetworkPolicy
                                           ? ClusterPolicyKind::kBaselineAdminNetworkPolicy
                                           : ClusterPolicyKind::kClusterNetworkPolicy;
        const std::string key = std::string(ClusterPolicyKindName(kind)) + ' ' + change.name;
        engine_->RemoveClusterPolicy(kind, change.name);
        if (const auto* policy =
                std::get_if<std::shared_ptr<const CachedClusterPolicy>>(&change.object)) {
          Remember(key,
                   engine_->PutClusterPolicy(ClusterPolicyInfo{(*policy)->name, (*policy)->spec}));
        } else {
          invalid_.erase(key);
        }
        return;
      }
      case ClusterKind::kConfigMap:
        return;
    }
  }

  const FlowScope& scope_;
  uint64_t journal_id_ = 0;
  uint64_t sequence_ = 0;
  std::optional<Connectivity> engine_;
  std::map<std::string, Error> invalid_;  // by "Kind namespace/name"
  std::size_t rebuilds_ = 0;
};

// The object under review as the engine holds such an object: one of a pod, a NetworkPolicy
// or a cluster policy, put in or taken out of an engine by its key.
class Judged {
 public:
  // `changed_in_place`: an UPDATE, whose pod keeps the addresses the cache has for it.
  Judged(const Object& object, bool changed_in_place)
      : object_(object), changed_in_place_(changed_in_place) {}

  // The engine's current version of the object, kept to put it back afterwards.
  void Save(const Connectivity& engine) {
    const ObjectMeta& meta = object_.metadata;
    if (const ClusterPolicySpec* spec = object_.cluster_policy()) {
      if (auto index = engine.FindClusterPolicy(spec->kind, meta.name)) {
        saved_cluster_policy_ = engine.state().cluster_policies[*index];
      }
    } else if (object_.network_policy() != nullptr) {
      if (auto index = engine.FindPolicy(meta.namespace_name, meta.name)) {
        saved_policy_ = engine.state().policies[*index];
      }
    } else if (auto index = engine.FindPod(meta.namespace_name, meta.name)) {
      saved_pod_ = engine.state().pods[*index];
    }
  }

  // Puts `version` (the object or its old version) in place of the object, or takes the object
  // out when `version` is null.
  Result<Ok> Set(Connectivity& engine, const Object* version) const {
    const ObjectMeta& meta = object_.metadata;
    if (const ClusterPolicySpec* spec = object_.cluster_policy()) {
      engine.RemoveClusterPolicy(spec->kind, meta.name);
      if (version != nullptr && version->cluster_policy() != nullptr) {
        return engine.PutClusterPolicy(ClusterPolicyInfo{meta.name, *version->cluster_policy()});
      }
      return Ok{};
    }
    if (object_.network_policy() != nullptr) {
      engine.RemovePolicy(meta.namespace_name, meta.name);
      if (version != nullptr && version->network_policy() != nullptr) {
        return engine.PutPolicy(
            PolicyInfo{meta.namespace_name, meta.name, *version->network_policy()});
      }
      return Ok{};
    }
    engine.RemovePod(meta.namespace_name, meta.name);
    if (version != nullptr && version->pod_template() != nullptr) {
      const PodTemplate& pod = *version->pod_template();
      // A pod changed in place keeps the addresses the cache has for it (an ipBlock may admit
      // them); a new pod or a controller's template has none yet.
      return engine.PutPod(
          PodInfo{meta.namespace_name, meta.name, pod.labels, NamedPortsOf(pod),
                  changed_in_place_ && saved_pod_ ? saved_pod_->ips : std::vector<std::string>{}});
    }
    return Ok{};
  }

  // Puts back what Save kept (or leaves the object out, when the engine had none).
  void Restore(Connectivity& engine) const {
    const ObjectMeta& meta = object_.metadata;
    if (const ClusterPolicySpec* spec = object_.cluster_policy()) {
      engine.RemoveClusterPolicy(spec->kind, meta.name);
      if (saved_cluster_policy_) {
        (void)engine.PutClusterPolicy(*saved_cluster_policy_);
      }
    } else if (object_.network_policy() != nullptr) {
      engine.RemovePolicy(meta.namespace_name, meta.name);
      if (saved_policy_) {
        (void)engine.PutPolicy(*saved_policy_);
      }
    } else {
      engine.RemovePod(meta.namespace_name, meta.name);
      if (saved_pod_) {
        (void)engine.PutPod(*saved_pod_);
      }
    }
  }

  // The pods whose connections the change can alter, in `engine` with the object as it is
  // after the change: those the policy selects now or selected before (as its subject, for a
  // cluster policy), or the pod itself.
  std::vector<std::size_t> Focus(const Connectivity& engine, const Object* before) const {
    const ObjectMeta& meta = object_.metadata;
    std::vector<std::size_t> focus;
    const ClusterState& state = engine.state();
    if (object_.cluster_policy() != nullptr) {
      const ClusterPolicySpec& now = *object_.cluster_policy();
      const ClusterPolicySpec* then = before != nullptr ? before->cluster_policy() : nullptr;
      for (std::size_t pod = 0; pod < state.pods.size(); ++pod) {
        if (!engine.Live(pod)) {
          continue;
        }
        const Labels& ns = engine.FindNamespace(state.pods[pod].namespace_name)->labels;
        const Labels& labels = state.pods[pod].labels;
        if (now.subject.Matches(ns, labels) ||
            (then != nullptr && then->subject.Matches(ns, labels))) {
          focus.push_back(pod);
        }
      }
      return focus;
    }
    if (const NetworkPolicySpec* now = object_.network_policy()) {
      const NetworkPolicySpec* then = before != nullptr ? before->network_policy() : nullptr;
      for (std::size_t pod = 0; pod < state.pods.size(); ++pod) {
        const PodInfo& info = state.pods[pod];
        if (engine.Live(pod) && info.namespace_name == meta.namespace_name &&
            (now->pod_selector.Matches(info.labels) ||
             (then != nullptr && then->pod_selector.Matches(info.labels)))) {
          focus.push_back(pod);
        }
      }
      return focus;
    }
    if (auto pod = engine.FindPod(meta.namespace_name, meta.name)) {
      focus.push_back(*pod);
    }
    return focus;
  }

 private:
  const Object& object_;
  bool changed_in_place_;
  std::optional<PodInfo> saved_pod_;
  std::optional<PolicyInfo> saved_policy_;
  std::optional<ClusterPolicyInfo> saved_cluster_policy_;
};

class FlowsCheck final : public RuleCheck {
 public:
  explicit FlowsCheck(FlowsParams flows)
      : flows_(std::move(flows)),
        scope_({&flows_.forbid, &flows_.require}),
        require_scope_({&flows_.require}),
        kept_(scope_) {}
  FlowsCheck(const FlowsCheck&) = delete;  // the scopes point into flows_
  FlowsCheck& operator=(const FlowsCheck&) = delete;

  // Everything but the engine's work costs microseconds: the scope's label lookups.
  bool MayBeSlow(const Object& object, const CheckContext& context) const override {
    return NeedsEngine(object, context);
  }

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    if (!NeedsEngine(object, context)) {
      return;
    }
    const Object* before = nullptr;
    const Object* after = &object;
    switch (context.operation) {
      case Operation::kCreate:
        break;
      case Operation::kUpdate:
        before = context.old_object;
        break;
      case Operation::kDelete:
        before = &object;
        after = nullptr;
        break;
      case Operation::kConnect:
        return;
    }
    const std::lock_guard lock(kept_mutex_);
    if (Connectivity* engine = kept_.CatchUp(*context.cluster)) {
      if (const Error* invalid = kept_.invalid()) {
        violations.push_back(Unevaluable(*invalid));
        return;
      }
      Judge(*engine, object, before, after, violations);
      return;
    }
    // No journal: an engine for this judgement alone, over the view without the object.
    auto built = Connectivity::Build(ScopedStateWithout(*context.cluster, scope_, &object));
    if (!built) {
      violations.push_back(Unevaluable(built.error()));
      return;
    }
    Judge(*built, object, before, after, violations);
  }

  // Every entry broken now, whoever broke it, with one pair each and the rule or isolation
  // responsible. On an engine of its own, built from the view: the whole matrix takes a few
  // hundred milliseconds on a large cluster, and judged requests must not wait on the kept
  // engine's lock meanwhile.
  void CheckCluster(const ClusterView& cluster, std::vector<Violation>& violations) const override {
    auto built = Connectivity::Build(ScopedStateWithout(cluster, scope_, nullptr));
    if (!built) {
      violations.push_back(Unevaluable(built.error()));
      return;
    }
    for (BrokenFlow& flow : FindBrokenFlows(*built, flows_)) {
      const bool open = flow.how == FlowBreak::kForbiddenOpen;
      violations.push_back(Violation{flow.entry->path,
                                     std::string(open ? "a flow forbidden by this entry is open"
                                                      : "a flow required by this entry is closed"),
                                     std::move(flow.violation.detail),
                                     std::move(flow.violation.fix)});
    }
  }

 private:
  // Judges the change on `engine`, which is left as it was found.
  void Judge(Connectivity& engine, const Object& object, const Object* before, const Object* after,
             std::vector<Violation>& violations) const {
    Judged judged(object, before != nullptr && after != nullptr);
    judged.Save(engine);
    // Both versions go in, so that the engine's classes tell apart every pod either version can
    // (the cells found after are then the same connections before).
    if (!judged.Set(engine, before).ok()) {
      before = nullptr;  // an old version the engine cannot read broke nothing
    }
    if (auto put = judged.Set(engine, after); !put.ok()) {
      judged.Restore(engine);
      violations.push_back(Unevaluable(put.error()));
      return;
    }
    std::vector<FlowCell> broken = FindBrokenCells(engine, flows_, judged.Focus(engine, before));
    if (!broken.empty()) {
      (void)judged.Set(engine, before);
      const std::vector<bool> broken_before = ShapesBroken(engine, broken);
      std::vector<FlowCell> newly;  // the first cell of each entry the change breaks
      for (std::size_t i = 0; i < broken.size(); ++i) {
        const bool entry_done = !newly.empty() && newly.back().entry == broken[i].entry;
        if (!entry_done && !broken_before[i]) {
          newly.push_back(broken[i]);
        }
      }
      (void)judged.Set(engine, after);
      const std::string at = object.pod_template() == nullptr
                                 ? "spec"
                                 : object.pod_template()->metadata_path + ".labels";
      for (const FlowCell& cell : newly) {
        BrokenFlow flow = DescribeBrokenCell(engine, cell);
        const bool opened = flow.how == FlowBreak::kForbiddenOpen;
        violations.push_back(Violation{at,
                                       std::string(opened ? "this change opens a flow forbidden by "
                                                          : "this change closes a "
                                                            "flow required by ") +
                                           flow.entry->path,
                                       std::move(flow.violation.detail),
                                       std::move(flow.violation.fix)});
      }
    }
    judged.Restore(engine);
    engine.Compact();
  }

  // Whether the change can change what an entry sees, so that the engine must judge it.
  bool NeedsEngine(const Object& object, const CheckContext& context) const {
    const bool is_policy = object.network_policy() != nullptr;
    const bool is_template = object.pod_template() != nullptr;
    const bool is_pod = is_template && object.kind == "Pod";
    // A pod controller's template is judged as the pod it will create, at the controller's
    // CREATE and at an UPDATE that changes what policies see of it; otherwise the pods would be
    // refused later, one by one, where nobody looks. A pod is judged at its CREATE, and at an
    // UPDATE that relabels it (`kubectl label pod`); not at its DELETE, which evictions and
    // drains must never be refused.
    const bool is_cluster_policy = object.cluster_policy() != nullptr;
    if (context.cluster == nullptr || (!is_policy && !is_template && !is_cluster_policy) ||
        (is_template && context.operation != Operation::kCreate &&
         context.operation != Operation::kUpdate) ||
        context.operation == Operation::kConnect) {
      return false;
    }
    const bool is_update = context.operation == Operation::kUpdate;
    if (is_template && is_update && context.old_object != nullptr &&
        context.old_object->pod_template() != nullptr &&
        SeenAlike(*context.old_object->pod_template(), *object.pod_template())) {
      return false;  // a status change, a new image: policies see the same pod
    }
    // A cluster-scoped policy may decide any connection of any namespace; they change seldom
    // and only by cluster administrators, so each change is judged.
    if (is_cluster_policy) {
      return true;
    }
    if (!TouchesScope(*context.cluster, scope_, object, context.old_object)) {
      return false;
    }
    // A new replica can open no forbidden flow its twin has not opened already; only `require`
    // entries it takes part in (it may reach less than its twin) need the engine. Not so for a
    // relabelled pod: it has an address, which an ipBlock may admit where its twin's is not.
    return !(is_template && !(is_pod && is_update) &&
             !TouchesScope(*context.cluster, require_scope_, object, nullptr) &&
             HasTwin(*context.cluster, object));
  }

  FlowsParams flows_;
  FlowScope scope_;          // every entry
  FlowScope require_scope_;  // the `require` entries
  // The engine kept with the cluster view; judgements take turns on it.
  mutable std::mutex kept_mutex_;
  mutable KeptEngine kept_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  const std::string file = params.file();
  const std::string path = params.path();
  auto flows = ParseFlows(params.TakeAll(), file, path);
  if (!flows) {
    params.Adopt(flows.error());
  }
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<FlowsCheck>(*std::move(flows)));
}

}  // namespace

RuleKind FlowsKind() {
  RuleKind kind{
      "Flows",
      "Flow requirements over the cluster's NetworkPolicies and cluster-scoped policies: a change "
      "that opens a `forbid` flow "
      "or closes a `require` flow is refused, naming one source, destination and the rule "
      "responsible.",
      Target::kAnyPolicyOrPodTemplate,
      {{"forbid", "list of {from, to, ports}",
        "flows that must stay closed; from/to are {namespaceSelector, podSelector} or {cidrs}, "
        "ports like \"5432/TCP\", \"8000-8100/TCP\" or \"all\""},
       {"require", "list of {from, to, ports}", "flows that must stay open"}},
      Compile,
  };
  kind.checks_delete = true;
  kind.needs_cluster = true;
  kind.may_be_slow = true;
  kind.audits_whole_cluster = true;
  return kind;
}

}  // namespace netadmit
