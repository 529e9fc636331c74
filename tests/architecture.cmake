# The layering of docs/ARCHITECTURE.md: the core includes nothing of the layers above it.
add_test(NAME architecture.include_direction
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/architecture/include_direction.sh ${PROJECT_SOURCE_DIR})
add_test(NAME architecture.include_direction_catches_a_violation
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/architecture/include_direction_selftest.sh
                 ${PROJECT_SOURCE_DIR})
