# The connectivity engine and `netadmit reach`: conformance cases as data in
# fixtures/connectivity/, explanations, and properties over random clusters; the
# cluster-scoped tiers (AdminNetworkPolicy and the rest) against the upstream conformance tests.
add_executable(netadmit_connectivity_tests connectivity_test.cpp connectivity_update_test.cpp flows_test.cpp
                                          observed_flows_test.cpp
                                          cluster_policy_conformance_test.cpp
                                          cluster_policy_connectivity_test.cpp
                                          recommend_test.cpp)
target_link_libraries(netadmit_connectivity_tests PRIVATE netadmit_core netadmit_files
                                                          GTest::gtest_main)
target_compile_definitions(netadmit_connectivity_tests PRIVATE
  NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
gtest_discover_tests(netadmit_connectivity_tests DISCOVERY_TIMEOUT 60)

# `netadmit check` and `netadmit reach` below their flags: inputs read from files, the core's
# answers, and their text, JSON and DOT renderings.
if(TARGET netadmit_cli)
  add_executable(netadmit_cli_tests audit_report_test.cpp check_test.cpp
                                    exceptions_command_test.cpp reach_test.cpp
                                    recommend_report_test.cpp)
  target_link_libraries(netadmit_cli_tests PRIVATE netadmit_cli GTest::gtest_main)
  target_compile_definitions(netadmit_cli_tests PRIVATE
    NETADMIT_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
  gtest_discover_tests(netadmit_cli_tests DISCOVERY_TIMEOUT 60)
endif()

# The command line itself: output on success, exit status 2 (failure) on bad input.
if(TARGET netadmit)
  set(REACH_FIXTURES ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/reach)
  set(REACH_INPUT -f ${REACH_FIXTURES}/cluster.yaml -f ${REACH_FIXTURES}/old/policies.yaml)
  add_test(NAME reach_cli.explain
           COMMAND netadmit reach ${REACH_INPUT} --explain prod/web-1 prod/db-0)
  set_tests_properties(reach_cli.explain PROPERTIES PASS_REGULAR_EXPRESSION
    "prod/web-1 -> prod/db-0 on 5432/TCP: allowed\n.*allowed by prod/web spec\\.egress\\[0\\]\\.to\\[0\\] \\(podSelector {app=db}\\)")
  add_test(NAME reach_cli.json
           COMMAND netadmit reach ${REACH_INPUT} --from prod/web-1 --to prod/db-0 -o json)
  set_tests_properties(reach_cli.json PROPERTIES PASS_REGULAR_EXPRESSION
    "\"from\": \"prod/web-1\",\n *\"to\": \"prod/db-0\",\n *\"port\": 5432,\n *\"protocol\": \"TCP\",\n *\"allowed\": true")
  add_test(NAME reach_cli.diff
           COMMAND netadmit reach --diff ${REACH_FIXTURES}/old ${REACH_FIXTURES}/new --port 5432)
  set_tests_properties(reach_cli.diff PROPERTIES PASS_REGULAR_EXPRESSION
    "^- prod/web-1 -> prod/db-0 5432/TCP\n\\+ dev/web-1 -> prod/db-0 5432/TCP\n1 connection gained, 1 lost on 5432/TCP\n$")
  # The cluster-scoped tiers (fixtures/reach/tiers, the example of docs/reach.md): the deciding
  # policy in text and JSON, and the equal-priority warning on standard error.
  set(TIERS ${REACH_FIXTURES}/tiers)
  add_test(NAME reach_cli.tiers_explain
           COMMAND netadmit reach -f ${TIERS} --explain dev/web-1 prod/web-1)
  set_tests_properties(reach_cli.tiers_explain PROPERTIES PASS_REGULAR_EXPRESSION
    "^cluster policies selecting dev/web-1 for egress: AdminNetworkPolicy deny-dev-to-prod \\(priority 10\\)\n.*\n  egress of dev/web-1: blocked by AdminNetworkPolicy deny-dev-to-prod \\(priority 10\\) spec\\.egress\\[0\\] \"deny-to-prod\" \\(Deny, to\\[0\\] namespaces {env=prod}\\)\n")
  add_test(NAME reach_cli.tiers_explain_json
           COMMAND netadmit reach -f ${TIERS} --explain monitoring/prometheus-0 prod/web-1 -o json)
  set_tests_properties(reach_cli.tiers_explain_json PROPERTIES PASS_REGULAR_EXPRESSION
    "\"decidedBy\": \"BaselineTier\",\n *\"clusterPolicy\": {\n *\"kind\": \"BaselineAdminNetworkPolicy\",\n *\"name\": \"default\"")
  add_test(NAME reach_cli.equal_priority_warning
           COMMAND netadmit reach -f ${TIERS}/cluster.yaml
                   -f ${REACH_FIXTURES}/tiers-changes/policies.yaml --to prod/db-0 --port 5432)
  set_tests_properties(reach_cli.equal_priority_warning PROPERTIES PASS_REGULAR_EXPRESSION
    "netadmit reach: warning: AdminNetworkPolicy monitoring and ClusterNetworkPolicy audit have the same priority \\(20\\)")
  # --flows: observed connections replayed (fixtures/flows, written from Hubble's flow.proto),
  # in text, JSON and DOT, and the exit status: 1 for denied ones under --fail-on-denied or for
  # malformed lines, 2 for an unreadable log. (A PASS_REGULAR_EXPRESSION overrides the exit
  # status, so the tests that check both print it.)
  set(FLOWS ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/flows)
  add_test(NAME reach_cli.flows_text
           COMMAND netadmit reach ${REACH_INPUT} --flows ${FLOWS}/hubble.jsonl)
  set_tests_properties(reach_cli.flows_text PROPERTIES PASS_REGULAR_EXPRESSION
    "^13 lines read, 10 connections observed, 7 distinct: 3 allowed, 3 denied, 1 dropped by the network; 3 skipped \\(1 reply, 1 without a port, 1 other event\\), 0 malformed\n\nDenied:\n- prod/web-1 -> 8\\.8\\.8\\.8 53/UDP, seen 1 time, last 2024-05-01T10:00:01Z\n    egress of prod/web-1: blocked, isolated by prod/default-deny, prod/web\n.*\nAlready dropped by the network:\n- dev/web-1 -> prod/db-0 5432/TCP, seen 1 time, last 2024-05-01T10:00:04Z; the policies given deny it too\n$")
  add_test(NAME reach_cli.flows_fail_on_denied
           COMMAND sh -c "\"$0\" \"$@\"; test $? -eq 1" $<TARGET_FILE:netadmit> reach ${REACH_INPUT}
                   --flows ${FLOWS}/hubble.jsonl --fail-on-denied)
  add_test(NAME reach_cli.flows_json_from_stdin
           COMMAND sh -c "\"$0\" \"$@\" < ${FLOWS}/neutral.jsonl" $<TARGET_FILE:netadmit> reach
                   ${REACH_INPUT} --flows - -o json)
  set_tests_properties(reach_cli.flows_json_from_stdin PROPERTIES PASS_REGULAR_EXPRESSION
    "\"summary\": {\n *\"lines\": 5,\n *\"observations\": 5,\n *\"distinct\": 4,\n *\"allowed\": 2,\n *\"denied\": 1,\n *\"dropped\": 1,")
  add_test(NAME reach_cli.flows_dot
           COMMAND netadmit reach ${REACH_INPUT} --flows ${FLOWS}/neutral.jsonl -o dot)
  set_tests_properties(reach_cli.flows_dot PROPERTIES PASS_REGULAR_EXPRESSION
    "\"prod/web-1\" -> \"ingress-nginx/controller\" \\[label=\"443/TCP x1\", color=red")
  add_test(NAME reach_cli.flows_diff
           COMMAND sh -c "\"$0\" \"$@\"; echo exit status $?" $<TARGET_FILE:netadmit> reach
                   --diff ${REACH_FIXTURES}/old ${REACH_FIXTURES}/new --flows ${FLOWS}/hubble.jsonl
                   --fail-on-denied)
  set_tests_properties(reach_cli.flows_diff PROPERTIES PASS_REGULAR_EXPRESSION
    "\n1 observed connection the change would start denying\n\nNewly denied \\(allowed before\\):\n- prod/web-1 -> prod/db-0 5432/TCP, seen 4 times, last 2024-05-01T10:00:08Z\n    egress of prod/web-1: blocked, isolated by prod/default-deny, prod/web\n.*\nexit status 1\n$")
  add_test(NAME reach_cli.flows_malformed
           COMMAND sh -c "\"$0\" \"$@\" 2>&1; echo exit status $?" $<TARGET_FILE:netadmit> reach
                   ${REACH_INPUT} --flows ${FLOWS}/malformed.jsonl)
  set_tests_properties(reach_cli.flows_malformed PROPERTIES PASS_REGULAR_EXPRESSION
    "malformed.jsonl:3: l4\\.TCP\\.destination_port: port 70000 is out of range \\(1 to 65535\\)\n.*netadmit reach: 3 malformed lines in the flow log, the first at line 1\nexit status 1\n$")
  add_test(NAME reach_cli.flows_unreadable
           COMMAND sh -c "\"$0\" \"$@\"; test $? -eq 2" $<TARGET_FILE:netadmit> reach
                   ${REACH_INPUT} --flows ${FLOWS}/no-such.jsonl)
  add_test(NAME reach_cli.selects_nothing COMMAND netadmit reach ${REACH_INPUT} --to prod/nope)
  set_tests_properties(reach_cli.selects_nothing PROPERTIES WILL_FAIL TRUE)
  # `netadmit recommend` (fixtures/recommend, the example of docs/recommend.md): the policies on
  # standard output, read back by `netadmit check`; the summary on standard error; --rules flags
  # a policy without changing it; --existing adds only what is missing; exit status 2 for bad
  # input or flags.
  set(RECOMMEND ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/recommend)
  set(RECOMMEND_INPUT -f ${RECOMMEND}/cluster.yaml --flows ${RECOMMEND}/flows.jsonl)
  add_test(NAME recommend_cli.yaml
           COMMAND netadmit recommend ${RECOMMEND_INPUT} --namespace shop)
  set_tests_properties(recommend_cli.yaml PROPERTIES PASS_REGULAR_EXPRESSION
    "\n---\n# allow-web-ingress: lets through 3 connections \\(4 flows\\), last seen 2024-05-01T10:00:09Z:\n#   198\\.51\\.100\\.4 -> shop/web-1 8080/TCP\n.*  name: allow-web-ingress\n  namespace: shop\n  annotations:\n    netadmit\\.io/observed: \"3 connections \\(4 flows\\), last seen 2024-05-01T10:00:09Z\"\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes\\.io/metadata\\.name: front\n      podSelector:\n        matchLabels:\n          app\\.kubernetes\\.io/name: gateway\n    ports:\n    - protocol: TCP\n      port: http\n  - from:\n    - ipBlock:\n        cidr: \"198\\.51\\.100\\.4/32\"\n")
  add_test(NAME recommend_cli.summary
           COMMAND sh -c "\"$0\" \"$@\" 2>&1 >/dev/null; echo exit status $?" $<TARGET_FILE:netadmit>
                   recommend ${RECOMMEND_INPUT})
  set_tests_properties(recommend_cli.summary PROPERTIES PASS_REGULAR_EXPRESSION
    "^netadmit recommend: 9 policies for 3 namespaces, covering 9 of 9 observed connections \\(10 flows\\)\n  front: 2 policies, 2 connections; allows 1 pair beyond the observed \\(3 allowed, 2 observed\\)\n.*\nDropped by the network, not recommended:\n- shop/cache-0 -> shop/db-0 5432/TCP, seen 1 time, last 2024-05-01T10:00:10Z\nexit status 0\n$")
  add_test(NAME recommend_cli.check_reads_the_output
           COMMAND sh -c "\"$0\" recommend \"$@\" 2>/dev/null >recommended.yaml && \"$0\" check -f recommended.yaml"
                   $<TARGET_FILE:netadmit> ${RECOMMEND_INPUT}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(recommend_cli.check_reads_the_output PROPERTIES PASS_REGULAR_EXPRESSION
    "\n9 objects checked: 0 denied, 0 with warnings, 0 skipped\n$")
  add_test(NAME recommend_cli.json
           COMMAND netadmit recommend ${RECOMMEND_INPUT} --namespace front -o json)
  set_tests_properties(recommend_cli.json PROPERTIES PASS_REGULAR_EXPRESSION
    "^{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": \\[\n.*\"name\": \"allow-gateway-egress\",\n *\"namespace\": \"front\",\n *\"annotations\": {\n *\"netadmit\\.io/observed\": \"2 connections \\(3 flows\\), last seen 2024-05-01T10:00:02Z\"")
  add_test(NAME recommend_cli.rules_flag
           COMMAND sh -c "\"$0\" \"$@\" 2>&1; echo exit status $?" $<TARGET_FILE:netadmit> recommend
                   ${RECOMMEND_INPUT} --namespace shop --cidr-prefix 0 --rules ${RECOMMEND}/rules.yaml)
  set_tests_properties(recommend_cli.rules_flag PROPERTIES PASS_REGULAR_EXPRESSION
    "# FLAGGED by the rules \\(deny\\): \\[no-open-egress\\] .*        cidr: \"0\\.0\\.0\\.0/0\"\n.*\nFlagged by the rules \\(the policies are as recommended, not changed\\):\n- shop/allow-true-batch-egress: deny \\[no-open-egress\\] .*exit status 0\n$")
  add_test(NAME recommend_cli.existing
           COMMAND netadmit recommend -f ${RECOMMEND}/cluster.yaml -f ${RECOMMEND}/existing.yaml
                   --flows ${RECOMMEND}/flows.jsonl --existing)
  set_tests_properties(recommend_cli.existing PROPERTIES PASS_REGULAR_EXPRESSION
    "^# Recommended [^\n]*\n---\n# allow-db-ingress-2: lets through 1 connection \\(1 flow\\), last seen 2024-05-01T10:00:08Z:\n.*\n---\n# allow-true-batch-egress: [^\n]*\n#   shop/worker-5f-q -> 203\\.0\\.113\\.7 443/TCP\n#   shop/worker-5f-q -> 203\\.0\\.113\\.9 443/TCP\n#   shop/worker-5f-q -> shop/db-0 5432/TCP\napiVersion[^#]*$")
  add_test(NAME recommend_cli.malformed_lines
           COMMAND sh -c "\"$0\" \"$@\" 2>&1 >/dev/null; echo exit status $?" $<TARGET_FILE:netadmit>
                   recommend -f ${REACH_FIXTURES}/cluster.yaml --flows ${FLOWS}/malformed.jsonl)
  set_tests_properties(recommend_cli.malformed_lines PROPERTIES PASS_REGULAR_EXPRESSION
    "\nwarning: 3 malformed lines in the flow log, not recommended for:\n  [^\n]*malformed\\.jsonl:1:55: not JSON: [^\n]*\n  [^\n]*malformed\\.jsonl:3: l4\\.TCP\\.destination_port: port 70000 is out of range \\(1 to 65535\\)\n.*exit status 0\n$")
  add_test(NAME recommend_cli.unknown_namespace
           COMMAND sh -c "\"$0\" \"$@\"; test $? -eq 2" $<TARGET_FILE:netadmit> recommend
                   ${RECOMMEND_INPUT} --namespace nope)
  add_test(NAME recommend_cli.bad_cidr_prefix
           COMMAND sh -c "\"$0\" \"$@\"; test $? -eq 2" $<TARGET_FILE:netadmit> recommend
                   ${RECOMMEND_INPUT} --cidr-prefix 33)
  add_test(NAME recommend_cli.unreadable_flows
           COMMAND sh -c "\"$0\" \"$@\"; test $? -eq 2" $<TARGET_FILE:netadmit> recommend
                   -f ${RECOMMEND}/cluster.yaml --flows ${RECOMMEND}/no-such.jsonl)
  # The kinds listing and the reference come from the catalog (docs/rules.md includes the
  # reference verbatim; RegistrationTest.DocsMatchTheCatalog keeps the two equal).
  add_test(NAME rules_cli.listing COMMAND netadmit rules)
  set_tests_properties(rules_cli.listing PROPERTIES PASS_REGULAR_EXPRESSION
    "  NoOpenEgress +Egress rules may not allow every destination.*\n  Flows +.*needs the cluster view")
  add_test(NAME rules_cli.markdown COMMAND netadmit rules --markdown)
  set_tests_properties(rules_cli.markdown PROPERTIES PASS_REGULAR_EXPRESSION
    "^### NoOpenEgress\n\n.*\n### ExplicitPolicyTypes\n\n.*`netadmit check` only\.\n")
  add_test(NAME rules_cli.serve_help_lists_kinds COMMAND netadmit serve --help)
  set_tests_properties(rules_cli.serve_help_lists_kinds PROPERTIES PASS_REGULAR_EXPRESSION
    "Rule kinds .*\n  NoOpenEgress .*\n  ExplicitPolicyTypes .*judged by `netadmit check` only")
  # Exceptions: an expired one loads and is listed as such, and covers nothing in `check`; one
  # naming an unknown rule fails the load (exit 2) at its position.
  set(EXCEPTION_FIXTURES ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/exceptions)
  add_test(NAME exceptions_cli.expired
           COMMAND netadmit exceptions --rules ${EXCEPTION_FIXTURES}/expired.yaml
                   -f ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/manifests/open-egress.yaml)
  set_tests_properties(exceptions_cli.expired PROPERTIES PASS_REGULAR_EXPRESSION
    "^old-vendor-egress: expired, expires 2020-01-31 \\(expired\\)\n.*  covers: 0 objects now\n.*1 exception: 0 active, 0 expiring, 1 expired\n$")
  add_test(NAME exceptions_cli.expired_covers_nothing_in_check
           COMMAND netadmit check --rules ${EXCEPTION_FIXTURES}/expired.yaml
                   -f ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/manifests/open-egress.yaml)
  set_tests_properties(exceptions_cli.expired_covers_nothing_in_check PROPERTIES WILL_FAIL TRUE)
  add_test(NAME exceptions_cli.unknown_rule
           COMMAND netadmit exceptions --rules ${EXCEPTION_FIXTURES}/unknown-rule.yaml)
  set_tests_properties(exceptions_cli.unknown_rule PROPERTIES WILL_FAIL TRUE)
  add_test(NAME exceptions_cli.unknown_rule_names_the_place
           COMMAND netadmit exceptions --rules ${EXCEPTION_FIXTURES}/unknown-rule.yaml)
  set_tests_properties(exceptions_cli.unknown_rule_names_the_place PROPERTIES
    PASS_REGULAR_EXPRESSION "unknown-rule.yaml:10:15: spec.exceptions\\[0\\].rules\\[0\\]: exception \"typo\" names rule \"no-open-egres\", which matches no loaded rule")
  add_test(NAME reach_cli.malformed_input
           COMMAND netadmit reach -f ${REACH_FIXTURES}/bad/bad-policy.yaml)
  set_tests_properties(reach_cli.malformed_input PROPERTIES WILL_FAIL TRUE)
endif()
