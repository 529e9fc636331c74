set(CORE_TEST_SOURCES model_test.cpp rule_set_test.cpp decode_test.cpp cluster_policy_decode_test.cpp admission_test.cpp engine_test.cpp
                      audit_test.cpp exceptions_test.cpp)
