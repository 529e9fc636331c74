# The built-in rule kinds, one file pair each, plus the helpers they share. Paths are relative to
# policy-rules/. A new kind adds its line here and one line in registration.cpp.
set(NETADMIT_KIND_SOURCES
  kinds/describe.cpp
  kinds/open_peers.cpp
  kinds/no_open_egress.cpp
  kinds/no_open_ingress.cpp
  kinds/require_ports.cpp
  kinds/explicit_policy_types.cpp
  kinds/restrict_namespace_peers.cpp
  kinds/no_host_network.cpp
  kinds/require_pod_labels.cpp
  kinds/lifecycle.cpp
  kinds/policy_types.cpp
  kinds/require_default_deny.cpp
  kinds/require_pod_selected.cpp
  kinds/protected_policies.cpp
  kinds/flows.cpp)
