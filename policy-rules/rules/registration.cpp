#include "rules/registration.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "rules/kinds/distinct_priorities.h"
#include "rules/kinds/explicit_policy_types.h"
#include "rules/kinds/flows.h"
#include "rules/kinds/no_host_network.h"
#include "rules/kinds/no_open_egress.h"
#include "rules/kinds/no_open_ingress.h"
#include "rules/kinds/protected_policies.h"
#include "rules/kinds/require_default_deny.h"
#include "rules/kinds/require_pod_labels.h"
#include "rules/kinds/require_pod_selected.h"
#include "rules/kinds/require_ports.h"
#include "rules/kinds/restrict_namespace_peers.h"

namespace netadmit {

namespace {

void Register(RuleCatalog& catalog, RuleKind kind) {
  const std::string name(kind.name);
  Status added = catalog.Add(std::move(kind));
  if (!added.ok()) {
    std::fprintf(stderr, "netadmit: cannot register rule kind \"%s\": %s\n", name.c_str(),
                 added.error().message.c_str());
    std::abort();
  }
}

}  // namespace

void RegisterBuiltinKinds(RuleCatalog& catalog) {
  // One line per kind, in the order of the rule reference.
  Register(catalog, NoOpenEgressKind());
  Register(catalog, NoOpenIngressKind());
  Register(catalog, RequirePortsKind());
  Register(catalog, ExplicitPolicyTypesKind());
  Register(catalog, RestrictNamespacePeersKind());
  Register(catalog, NoHostNetworkKind());
  Register(catalog, RequirePodLabelsKind());
  Register(catalog, RequireDefaultDenyKind());
  Register(catalog, RequirePodSelectedKind());
  Register(catalog, ProtectedPoliciesKind());
  Register(catalog, DistinctPrioritiesKind());
  Register(catalog, FlowsKind());
}

}  // namespace netadmit
