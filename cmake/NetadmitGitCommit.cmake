# NETADMIT_GIT_COMMIT: the commit the build is configured from, for `netadmit version`.
# "unknown" outside a git checkout of this project (a source tarball, also one unpacked inside
# some other repository); a packager may set it with -DNETADMIT_GIT_COMMIT=... .

if(DEFINED CACHE{NETADMIT_GIT_COMMIT})
  return()
endif()
set(NETADMIT_GIT_COMMIT unknown)
find_package(Git QUIET)
if(NOT Git_FOUND)
  return()
endif()

execute_process(
  COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel --short=12 HEAD
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE git_output
  RESULT_VARIABLE git_result
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(NOT git_result EQUAL 0)
  return()
endif()
string(REPLACE "\n" ";" git_output "${git_output}")
list(GET git_output 0 git_toplevel)
list(GET git_output 1 git_commit)
file(REAL_PATH "${git_toplevel}" git_toplevel)
file(REAL_PATH "${PROJECT_SOURCE_DIR}" source_dir)
if(NOT git_toplevel STREQUAL source_dir)
  return()
endif()
set(NETADMIT_GIT_COMMIT ${git_commit})

# Configure again when HEAD moves, so that the commit stays true: HEAD itself (a checkout) and
# the branch it points to (a commit).
execute_process(
  COMMAND ${GIT_EXECUTABLE} rev-parse --git-path HEAD --symbolic-full-name HEAD
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE git_refs
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
string(REPLACE "\n" ";" git_refs "${git_refs}")
list(GET git_refs 0 head_file)
set(watched ${head_file})
list(LENGTH git_refs count)
if(count GREATER 1)
  list(GET git_refs 1 branch_ref)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} rev-parse --git-path ${branch_ref}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE branch_file
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET)
  list(APPEND watched ${branch_file})
endif()
foreach(file IN LISTS watched)
  cmake_path(ABSOLUTE_PATH file BASE_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(EXISTS ${file})
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  endif()
endforeach()
