set(CHECK_TEST_SOURCES manifest_test.cpp)
