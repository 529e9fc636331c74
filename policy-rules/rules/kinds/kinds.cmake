# The built-in rule kinds, one file pair each, plus the helpers they share. Paths are relative to
# policy-rules/. A new kind adds its line here and one line in rules/registration.cpp.
set(NETADMIT_KIND_SOURCES
  rules/kinds/describe.cpp
  rules/kinds/open_peers.cpp
  rules/kinds/cluster_coverage.cpp
  rules/kinds/no_open_egress.cpp
  rules/kinds/no_open_ingress.cpp
  rules/kinds/require_ports.cpp
  rules/kinds/explicit_policy_types.cpp
  rules/kinds/restrict_namespace_peers.cpp
  rules/kinds/no_host_network.cpp
  rules/kinds/require_pod_labels.cpp
  rules/kinds/lifecycle.cpp
  rules/kinds/policy_types.cpp
  rules/kinds/require_default_deny.cpp
  rules/kinds/require_pod_selected.cpp
  rules/kinds/protected_policies.cpp
  rules/kinds/distinct_priorities.cpp
  rules/kinds/flows.cpp)
