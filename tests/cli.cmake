# cli.cmake — the command-line test and the schedule-file fuzz test.
# include()d from tests/CMakeLists.txt, where the targets `stackrace` and
# `stackrace_engine` exist.

option(STACKRACE_LIBFUZZER "Also build fuzz_schedfile_libfuzzer (clang -fsanitize=fuzzer)" OFF)

# Under -fsanitize=undefined a report must fail the test, not just print.
set(_stackrace_sanitizer_env "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# End-to-end checks of the CLI: help, list, bad input, determinism, minimize,
# svg, hunts, raw inputs. Needs bash and python3.
add_test(NAME cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh
          $<TARGET_FILE:stackrace> ${CMAKE_CURRENT_BINARY_DIR}/cli-scratch)
set_tests_properties(cli PROPERTIES TIMEOUT 900 ENVIRONMENT "${_stackrace_sanitizer_env}")

# The schedule-file parser under a deterministic mutation loop.
add_executable(fuzz_schedfile ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_schedfile.c)
target_compile_definitions(fuzz_schedfile PRIVATE STACKRACE_FUZZ_MAIN=1)
target_link_libraries(fuzz_schedfile PRIVATE stackrace_engine)
add_test(NAME schedfile_fuzz COMMAND fuzz_schedfile 200000)
set_tests_properties(schedfile_fuzz PROPERTIES TIMEOUT 600
  ENVIRONMENT "${_stackrace_sanitizer_env}")

# The same entry point as a libFuzzer target. schedfile.c is compiled into
# it (rather than taken from stackrace_engine) so that the parser carries
# the coverage instrumentation. Not a test: run it by hand, e.g.
#   build/.../tests/fuzz_schedfile_libfuzzer -max_total_time=60
if(STACKRACE_LIBFUZZER AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_schedfile_libfuzzer
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_schedfile.c
    ${PROJECT_SOURCE_DIR}/src/schedfile.c)
  target_include_directories(fuzz_schedfile_libfuzzer PRIVATE
    $<TARGET_PROPERTY:stackrace_engine,INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(fuzz_schedfile_libfuzzer PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_schedfile_libfuzzer PRIVATE -fsanitize=fuzzer)
elseif(STACKRACE_LIBFUZZER)
  message(WARNING "STACKRACE_LIBFUZZER needs clang (the C compiler is ${CMAKE_C_COMPILER_ID}); "
                  "fuzz_schedfile_libfuzzer is not built")
endif()
