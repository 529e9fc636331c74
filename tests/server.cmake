# The server's tests: the request handler without sockets, HTTPS over real TLS on 127.0.0.1,
# certificate and rule reload, and the `netadmit` executable as a child process (SIGTERM, exit
# codes, scripts/dev-certs.sh).
add_executable(netadmit_server_tests
  cli_docs_test.cpp
  server_https_test.cpp
  server_mtls_test.cpp
  server_process_test.cpp
  server_reload_test.cpp
  server_exceptions_test.cpp
  server_units_test.cpp)
target_link_libraries(netadmit_server_tests PRIVATE netadmit_cli netadmit_test_server GTest::gtest_main)
target_compile_definitions(netadmit_server_tests PRIVATE
  NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures"
  NETADMIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  NETADMIT_BINARY="$<TARGET_FILE:netadmit>")
netadmit_beast_pch(netadmit_server_tests WITHOUT cli_docs_test.cpp)
# What `netadmit version` must report: on the one file that checks it, so that a new commit
# recompiles nothing else.
set_property(SOURCE server_process_test.cpp APPEND PROPERTY COMPILE_DEFINITIONS
  NETADMIT_PROJECT_VERSION="${PROJECT_VERSION}"
  NETADMIT_GIT_COMMIT="${NETADMIT_GIT_COMMIT}"
  NETADMIT_BUILD_TYPE="$<CONFIG>")
# Process-level tests run the executable: build it with the tests.
add_dependencies(netadmit_server_tests netadmit)
gtest_discover_tests(netadmit_server_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)

# The stateful rules through the webhook, with a cluster connection to the test API server.
netadmit_webhook_test(netadmit_server_stateful_tests server_stateful_test.cpp 60)

# The audit serve runs: its faults against the test API server (the real one: tests/e2e/).
netadmit_webhook_test(netadmit_server_audit_tests server_audit_test.cpp 60)

# What the webhook answers under load while the API server, the rule-set ConfigMap or the
# certificate misbehave, and that it recovers with nothing lost.
netadmit_webhook_test(netadmit_server_faults_tests server_faults_test.cpp 120)
