# The end-to-end suite (label e2e): netadmit against a real kube-apiserver and etcd, driven with
# kubectl (docs/e2e.md). Each binary starts one control plane of its own and is one ctest test,
# so binaries run in parallel and never share a cluster. Without kube-apiserver, etcd and
# kubectl (KUBEBUILDER_ASSETS, else PATH) a binary exits 77 and ctest reports it skipped;
# with KUBEBUILDER_ASSETS set, a missing binary fails it.

# The harness and the main every e2e binary shares, compiled once.
add_library(netadmit_e2e_support STATIC
  e2e/e2e_main.cpp
  e2e/kube_cluster.cpp
  e2e/netadmit_webhook.cpp
  e2e/server_process.cpp)
target_link_libraries(netadmit_e2e_support PUBLIC netadmit_test_support GTest::gmock)
target_compile_definitions(netadmit_e2e_support PUBLIC
  NETADMIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures"
  NETADMIT_BINARY="$<TARGET_FILE:netadmit>")
add_dependencies(netadmit_e2e_support netadmit)

function(netadmit_e2e_test name source timeout)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE netadmit_e2e_support)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT ${timeout})
endfunction()

netadmit_e2e_test(netadmit_e2e_harness e2e/harness_e2e_test.cpp 120)
netadmit_e2e_test(netadmit_e2e_admission e2e/admission_e2e_test.cpp 240)
netadmit_e2e_test(netadmit_e2e_install e2e/install_e2e_test.cpp 120)
netadmit_e2e_test(netadmit_e2e_disruption e2e/disruption_e2e_test.cpp 180)
netadmit_e2e_test(netadmit_e2e_audit e2e/audit_e2e_test.cpp 180)
netadmit_e2e_test(netadmit_e2e_leader_election e2e/leader_election_e2e_test.cpp 120)
netadmit_e2e_test(netadmit_e2e_cluster_policies e2e/cluster_policies_e2e_test.cpp 120)
target_link_libraries(netadmit_e2e_leader_election PRIVATE netadmit_kube)
