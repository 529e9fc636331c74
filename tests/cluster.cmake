# The cluster view: the cache (core, always built) and the Kubernetes API client against a test
# API server over TLS (with the server).
add_executable(netadmit_cluster_tests cluster_cache_test.cpp)
target_link_libraries(netadmit_cluster_tests PRIVATE netadmit_core GTest::gtest_main)
target_compile_definitions(netadmit_cluster_tests PRIVATE
  NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
gtest_discover_tests(netadmit_cluster_tests DISCOVERY_TIMEOUT 60)

if(NETADMIT_BUILD_SERVER)
  add_executable(netadmit_kube_tests kube_discovery_test.cpp kube_protocol_test.cpp
    kube_watcher_test.cpp)
  target_link_libraries(netadmit_kube_tests PRIVATE
    netadmit_kube netadmit_test_support GTest::gtest_main)
  target_compile_definitions(netadmit_kube_tests PRIVATE
    NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
  gtest_discover_tests(netadmit_kube_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 60)
endif()

if(NETADMIT_BUILD_SERVER)
  # The webhook with a cluster connection to the test API server.
  netadmit_webhook_test(netadmit_server_cluster_tests server_cluster_test.cpp 60)
endif()
