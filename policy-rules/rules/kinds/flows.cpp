// Flows judges a change by what it does to the cluster's connectivity. It builds the
// connectivity engine (connectivity.h) over the cluster view twice, as it is before the change
// and as it would be after it, and evaluates the `forbid` and `require` entries (flows.h) on
// both. Only entries the change breaks are reported: a flow broken already is the business of
// whoever broke it, and refusing every unrelated change in the cluster until then would stop
// everyone, including the person fixing it.
//
// Changes judged: NetworkPolicy CREATE, UPDATE and DELETE (the namespace's policies as they
// would be after it), the same for the cluster-scoped policies (AdminNetworkPolicy,
// BaselineAdminNetworkPolicy, ClusterNetworkPolicy: every one of them is in the engine's input,
// since any may decide any connection before or after the NetworkPolicies), and Pod CREATE (a new
// pod's labels decide which policies select it and which flows it takes part in), and a pod
// controller's CREATE and UPDATE (its template, as the pod it will create). "Before" is the
// view with the object as it was (absent on CREATE, the old version on UPDATE); "after" has the
// object as requested (absent on DELETE). So in `netadmit check`, where the view already holds
// every manifest, each object is judged as the last one applied.
//
// Only the pods some entry names, and the policies that select them, take part (FlowScope). A
// change that touches neither is let through without a build, and so is a new replica of a pod
// already there when no `require` entry names it (HasTwin). Any other change costs up to two
// builds of the engine over those pods and policies (docs/PERFORMANCE.md has the figures).

#include "rules/kinds/flows.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <tuple>
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
      PodInfo info{pod->namespace_name, pod->name, pod->labels, {}, pod->ips};
      for (const auto& port : pod->named_ports) {
        info.ports.push_back(NamedPort{port.name, port.port, port.protocol});
      }
      state.pods.push_back(std::move(info));
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

// Puts the object (a NetworkPolicy, a cluster-scoped policy, or a Pod) into the state.
void Put(ClusterState& state, const Object& object) {
  if (const ClusterPolicySpec* spec = object.cluster_policy()) {
    state.cluster_policies.push_back(ClusterPolicyInfo{object.metadata.name, *spec});
    return;
  }
  if (const NetworkPolicySpec* spec = object.network_policy()) {
    state.policies.push_back(
        PolicyInfo{object.metadata.namespace_name, object.metadata.name, *spec});
    return;
  }
  const PodTemplate* pod = object.pod_template();
  state.pods.push_back(PodInfo{
      object.metadata.namespace_name, object.metadata.name, pod->labels, NamedPortsOf(*pod), {}});
}

// Whether two lists of named ports hold the same ports, in any order.
bool SameNamedPorts(std::vector<NamedPort> a, std::vector<NamedPort> b) {
  const auto key = [](const NamedPort& port) {
    return std::tie(port.name, port.port, port.protocol);
  };
  const auto by_key = [&](const NamedPort& x, const NamedPort& y) { return key(x) < key(y); };
  if (a.size() != b.size()) {
    return false;
  }
  std::sort(a.begin(), a.end(), by_key);
  std::sort(b.begin(), b.end(), by_key);
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](const NamedPort& x, const NamedPort& y) { return key(x) == key(y); });
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

class FlowsCheck final : public RuleCheck {
 public:
  explicit FlowsCheck(FlowsParams flows)
      : flows_(std::move(flows)),
        scope_({&flows_.forbid, &flows_.require}),
        require_scope_({&flows_.require}) {}
  FlowsCheck(const FlowsCheck&) = delete;  // the scopes point into flows_
  FlowsCheck& operator=(const FlowsCheck&) = delete;

  // Everything but the build costs microseconds: the scope's label lookups.
  bool MayBeSlow(const Object& object, const CheckContext& context) const override {
    return NeedsEngine(object, context);
  }

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    if (!NeedsEngine(object, context)) {
      return;
    }
    const bool is_policy = object.network_policy() != nullptr || object.cluster_policy() != nullptr;
    ClusterState before = ScopedStateWithout(*context.cluster, scope_, &object);
    ClusterState after = before;
    switch (context.operation) {
      case Operation::kCreate:
        Put(after, object);
        break;
      case Operation::kUpdate:
        Put(after, object);
        if (context.old_object != nullptr) {
          Put(before, *context.old_object);
        }
        break;
      case Operation::kDelete:
        Put(before, object);
        break;
      case Operation::kConnect:
        return;
    }
    auto engine_after = Connectivity::Build(std::move(after));
    if (!engine_after) {
      violations.push_back(Violation{"", "flows cannot be evaluated",
                                     engine_after.error().ToString(),
                                     "fix the address or CIDR named"});
      return;
    }
    std::vector<BrokenFlow> broken = FindBrokenFlows(*engine_after, flows_);
    if (broken.empty()) {
      return;
    }
    // Both evaluations are of flows_, so an entry is the same pointer in each.
    std::set<const FlowEntry*> broken_before;
    if (auto engine_before = Connectivity::Build(std::move(before))) {
      for (const BrokenFlow& flow : FindBrokenFlows(*engine_before, flows_)) {
        broken_before.insert(flow.entry);
      }
    }
    const std::string at = is_policy ? "spec" : object.pod_template()->metadata_path + ".labels";
    for (BrokenFlow& flow : broken) {
      if (broken_before.contains(flow.entry)) {
        continue;
      }
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

 private:
  // Whether the change can change what an entry sees, so that the engine must judge it.
  bool NeedsEngine(const Object& object, const CheckContext& context) const {
    const bool is_policy = object.network_policy() != nullptr;
    const bool is_template = object.pod_template() != nullptr;
    const bool is_pod = is_template && object.kind == "Pod";
    // A pod controller's template is judged as the pod it will create, at the controller's
    // CREATE and at an UPDATE that changes what policies see of it; otherwise the pods would be
    // refused later, one by one, where nobody looks.
    const bool is_controller = is_template && !is_pod;
    const bool is_cluster_policy = object.cluster_policy() != nullptr;
    if (context.cluster == nullptr || (!is_policy && !is_template && !is_cluster_policy) ||
        (is_pod && context.operation != Operation::kCreate) ||
        (is_controller && context.operation != Operation::kCreate &&
         context.operation != Operation::kUpdate) ||
        context.operation == Operation::kConnect) {
      return false;
    }
    if (is_controller && context.operation == Operation::kUpdate && context.old_object != nullptr &&
        context.old_object->pod_template() != nullptr &&
        SeenAlike(*context.old_object->pod_template(), *object.pod_template())) {
      return false;
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
    // entries it takes part in (it may reach less than its twin) need the engine.
    return !(is_template && !TouchesScope(*context.cluster, require_scope_, object, nullptr) &&
             HasTwin(*context.cluster, object));
  }

  // Every entry broken now, whoever broke it, with one pair each and the rule or isolation
  // responsible.
  void CheckCluster(const ClusterView& cluster, std::vector<Violation>& violations) const override {
    auto engine = Connectivity::Build(ScopedStateWithout(cluster, scope_, nullptr));
    if (!engine) {
      violations.push_back(Violation{"", "flows cannot be evaluated", engine.error().ToString(),
                                     "fix the address or CIDR named"});
      return;
    }
    for (BrokenFlow& flow : FindBrokenFlows(*engine, flows_)) {
      const bool open = flow.how == FlowBreak::kForbiddenOpen;
      violations.push_back(Violation{flow.entry->path,
                                     std::string(open ? "a flow forbidden by this entry is open"
                                                      : "a flow required by this entry is closed"),
                                     std::move(flow.violation.detail),
                                     std::move(flow.violation.fix)});
    }
  }

  FlowsParams flows_;
  FlowScope scope_;          // every entry
  FlowScope require_scope_;  // the `require` entries
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
  return kind;
}

}  // namespace netadmit
