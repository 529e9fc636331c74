set(CORE_TEST_SOURCES model_test.cpp)
