set(RULE_TEST_SOURCES
  cidr_test.cpp
  glob_test.cpp
  params_test.cpp)
