// Flows judges a change by what it does to the whole cluster's connectivity. It builds the
// connectivity engine (connectivity.h) over the cluster view twice, as it is before the change
// and as it would be after it, and evaluates the `forbid` and `require` entries (flows.h) on
// both. Only entries the change breaks are reported: a flow broken already is the business of
// whoever broke it, and refusing every unrelated change in the cluster until then would stop
// everyone, including the person fixing it.
//
// Changes judged: NetworkPolicy CREATE, UPDATE and DELETE (the namespace's policies as they
// would be after it), and Pod CREATE (a new pod's labels decide which policies select it and
// which flows it takes part in). "Before" is the view with the object as it was (absent on
// CREATE, the old version on UPDATE); "after" has the object as requested (absent on DELETE). So
// in `netadmit check`, where the view already holds every manifest, each object is judged as the
// last one applied.
//
// The cost is two builds of the engine per judged request, proportional to the cluster's pods
// and policies (docs/PERFORMANCE.md has the connectivity figures).

#include "kinds/flows.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "netadmit/cluster.h"
#include "netadmit/connectivity.h"
#include "netadmit/flows.h"

namespace netadmit {

namespace {

// The connectivity input for the cluster view, with the object under review taken out.
ClusterState StateWithout(const ClusterView& cluster, const ObjectMeta& object, bool is_policy) {
  ClusterState state;
  std::set<std::string, std::less<>> namespaces;
  for (const auto& ns : cluster.Namespaces()) {
    state.namespaces.push_back(NamespaceInfo{ns->name, ns->labels});
    namespaces.insert(ns->name);
  }
  namespaces.insert(object.namespace_name);
  for (const auto& namespace_name : namespaces) {
    for (const auto& policy : cluster.Policies(namespace_name)) {
      if (is_policy && policy->namespace_name == object.namespace_name &&
          policy->name == object.name) {
        continue;
      }
      state.policies.push_back(PolicyInfo{policy->namespace_name, policy->name, policy->spec});
    }
    for (const auto& pod : cluster.Pods(namespace_name, LabelSelector{})) {
      if (!is_policy && pod->namespace_name == object.namespace_name && pod->name == object.name) {
        continue;
      }
      PodInfo info{pod->namespace_name, pod->name, pod->labels, {}, pod->ips};
      for (const auto& port : pod->named_ports) {
        info.ports.push_back(NamedContainerPort{port.name, port.port, port.protocol});
      }
      state.pods.push_back(std::move(info));
    }
  }
  return state;
}

// Puts the object (a NetworkPolicy, or a Pod) into the state.
void Put(ClusterState& state, const Object& object) {
  if (const NetworkPolicySpec* spec = object.network_policy()) {
    state.policies.push_back(
        PolicyInfo{object.metadata.namespace_name, object.metadata.name, *spec});
    return;
  }
  const PodTemplate* pod = object.pod_template();
  PodInfo info{object.metadata.namespace_name, object.metadata.name, pod->labels, {}, {}};
  for (const auto& container : pod->containers) {
    for (const auto& port : container.ports) {
      if (!port.name.empty()) {
        info.ports.push_back(NamedContainerPort{port.name, port.container_port, port.protocol});
      }
    }
  }
  state.pods.push_back(std::move(info));
}

class FlowsCheck final : public RuleCheck {
 public:
  explicit FlowsCheck(FlowsParams flows) : flows_(std::move(flows)) {}

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    const bool is_policy = object.network_policy() != nullptr;
    const bool is_pod = object.kind == "Pod" && object.pod_template() != nullptr;
    if (context.cluster == nullptr || (!is_policy && !is_pod) ||
        (is_pod && context.operation != Operation::kCreate)) {
      return;
    }
    ClusterState before = StateWithout(*context.cluster, object.metadata, is_policy);
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
    std::vector<Violation> broken = EvaluateFlows(*engine_after, flows_);
    if (broken.empty()) {
      return;
    }
    std::set<std::string> broken_before;
    if (auto engine_before = Connectivity::Build(std::move(before))) {
      for (const auto& violation : EvaluateFlows(*engine_before, flows_)) {
        broken_before.insert(violation.path);
      }
    }
    const std::string at = is_policy ? "spec" : object.pod_template()->metadata_path + ".labels";
    for (auto& violation : broken) {
      if (broken_before.count(violation.path) != 0) {
        continue;
      }
      const bool opened = violation.problem == "forbidden flow is open";
      violations.push_back(Violation{at,
                                     std::string(opened ? "this change opens a flow forbidden by "
                                                        : "this change closes a "
                                                          "flow required by ") +
                                         violation.path,
                                     std::move(violation.detail), std::move(violation.fix)});
    }
  }

 private:
  FlowsParams flows_;
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
      "Flow requirements over the cluster's NetworkPolicies: a change that opens a `forbid` flow "
      "or closes a `require` flow is refused, naming one source, destination and the rule "
      "responsible.",
      Target::kNetworkPolicyOrPodTemplate,
      {{"forbid", "list of {from, to, ports}",
        "flows that must stay closed; from/to are {namespaceSelector, podSelector} or {cidrs}, "
        "ports like \"5432/TCP\""},
       {"require", "list of {from, to, ports}", "flows that must stay open"}},
      Compile,
  };
  kind.checks_delete = true;
  kind.needs_cluster = true;
  return kind;
}

}  // namespace netadmit
