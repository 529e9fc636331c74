# The connectivity engine and `netadmit reach`: conformance cases as data in
# fixtures/connectivity/, explanations, and properties over random clusters.
add_executable(netadmit_connectivity_tests connectivity_test.cpp reach_test.cpp)
target_link_libraries(netadmit_connectivity_tests PRIVATE netadmit_core GTest::gtest_main)
target_compile_definitions(netadmit_connectivity_tests PRIVATE
  NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
gtest_discover_tests(netadmit_connectivity_tests DISCOVERY_TIMEOUT 60)
