# Tests of the rule kinds (one <kind>_test.cpp per kind) and their building blocks.
set(RULE_TEST_SOURCES
  cidr_test.cpp
  glob_test.cpp
  params_test.cpp
  no_open_egress_test.cpp
  no_open_ingress_test.cpp
  require_ports_test.cpp
  explicit_policy_types_test.cpp
  restrict_namespace_peers_test.cpp
  no_host_network_test.cpp
  require_pod_labels_test.cpp
  require_default_deny_test.cpp
  require_pod_selected_test.cpp
  protected_policies_test.cpp
  flows_kind_test.cpp
  registration_test.cpp
  default_rules_test.cpp)
