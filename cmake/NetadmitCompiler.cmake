# Compiler settings for the whole tree: warnings (errors only with NETADMIT_WERROR), sanitizers,
# ccache, and the precompiled Boost.Beast/Asio headers (netadmit_beast_pch below).

# Third-party headers are included as SYSTEM, so the warnings are about the project's own code.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(NETADMIT_WERROR)
  add_compile_options(-Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 with optimization warns -Wrestrict inside libstdc++ when a string literal is
  # prepended to a std::string temporary ("{" + std::string(name) + "}"): a false positive of its
  # inliner (GCC bug 105651), which plain, correct concatenation cannot avoid. Optimized builds
  # of GCC 12 only; -O0 inlines nothing and keeps the warning.
  add_compile_options($<$<NOT:$<CONFIG:Debug>>:-Wno-restrict>)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # RapidJSON 1.1's member iterators predate C++20's reversed comparison operators; clang flags
  # every comparison of them, in our code, although the call is unambiguous.
  add_compile_options(-Wno-ambiguous-reversed-operator)
endif()

if(NETADMIT_FUZZ)
  # Coverage for libFuzzer in every object, sanitizers to turn silent corruption into crashes.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fsanitize-recover=pointer-overflow)
  add_link_options(-fsanitize=address,undefined)
endif()
if(NETADMIT_SANITIZE)
  # pointer-overflow stays recoverable only so that tests/sanitizers/ubsan.supp can silence it in
  # one third-party header; UBSAN_OPTIONS=halt_on_error=1 keeps it fatal everywhere else.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fsanitize-recover=pointer-overflow -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# ccache, unless a launcher was chosen already (CMAKE_CXX_COMPILER_LAUNCHER, also from the
# environment). ccache(1), "Precompiled headers": their compilations are cached only with
# pch_defines,time_macros; the include_file_* pair lets ccache cache the files compiled right
# after the precompiled header was (re)made, instead of refusing a header "too new".
if(NETADMIT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(NETADMIT_CCACHE_PROGRAM ccache)
  if(NETADMIT_CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
        ${NETADMIT_CCACHE_PROGRAM})
    if(NETADMIT_PRECOMPILED_HEADERS AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      # clang stamps a precompiled header with its build time unless told not to, and ccache
      # would then never find the compilations that use it.
      add_compile_options("SHELL:-Xclang -fno-pch-timestamp")
    endif()
  endif()
endif()

# netadmit_beast_pch(TARGET [WITHOUT source...]): precompiles the Boost.Beast/Asio headers for
# TARGET; most of the compile time of the server's, its tests' and the test API server's files
# goes to them. The first target to ask builds the header, the others reuse it (REUSE_FROM),
# which works because they are all compiled with the same flags and Asio definitions
# (BOOST_ASIO_NO_DEPRECATED). Sources that include neither Beast nor Asio are listed after
# WITHOUT and compile without it.
function(netadmit_beast_pch target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "WITHOUT")
  if(NOT NETADMIT_PRECOMPILED_HEADERS)
    return()
  endif()
  get_property(builder GLOBAL PROPERTY NETADMIT_BEAST_PCH_TARGET)
  if(builder)
    target_precompile_headers(${target} REUSE_FROM ${builder})
  else()
    set_property(GLOBAL PROPERTY NETADMIT_BEAST_PCH_TARGET ${target})
    target_precompile_headers(${target} PRIVATE
      <boost/asio/io_context.hpp>
      <boost/asio/ip/tcp.hpp>
      <boost/asio/signal_set.hpp>
      <boost/asio/ssl/context.hpp>
      <boost/asio/steady_timer.hpp>
      <boost/asio/strand.hpp>
      <boost/asio/thread_pool.hpp>
      <boost/beast/core/flat_buffer.hpp>
      <boost/beast/core/tcp_stream.hpp>
      <boost/beast/http/empty_body.hpp>
      <boost/beast/http/message.hpp>
      <boost/beast/http/parser.hpp>
      <boost/beast/http/read.hpp>
      <boost/beast/http/string_body.hpp>
      <boost/beast/http/write.hpp>
      <boost/beast/ssl/ssl_stream.hpp>)
  endif()
  if(arg_WITHOUT)
    set_source_files_properties(${arg_WITHOUT} TARGET_DIRECTORY ${target}
                                PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endif()
endfunction()
