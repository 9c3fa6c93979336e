# The native engine (stress/) and the walkers it checks (targets/walkers/).
#
# The frame shapes are compiled with fixed flags whatever the build type:
# optimized (the shapes are what real optimized code looks like, and the
# tail call must be a jump), frame pointers kept or omitted per file, stack
# probes on, and no instrumentation of any kind: a sanitizer's or a
# fuzzer's calls would be frames the shadow stack does not record. gcc is
# also kept from splitting a shape into parts (.part, .cold): a part would
# be a frame, or code outside the shapes' section; and from running code
# before a prologue's `push %rbp` (shrink-wrapping, and its second
# scheduling pass, which hoisted a constant load there): at such an
# instruction no frame-pointer walker can tell the caller's rbp from the
# frame's, and the frame-pointer shapes promise the usual prologue.
add_library(stackrace_native STATIC
  stress/aim.c stress/barrier.c stress/barrier_x86_64.S stress/bench.c stress/findings.c stress/guard.c stress/mutator.c
  stress/oracle.c stress/verdict.c stress/unwind_info.c stress/sampler.c stress/scanner.c stress/shapes.c stress/shapes_fp.c
  stress/shapes_nofp.c stress/shapes_packed.c stress/shape_leave_x86_64.S stress/stress.c stress/sweep.c stress/view.c
  targets/walkers/dl.c targets/walkers/fp.c targets/walkers/glibc.c targets/walkers/libgcc.c
  targets/walkers/libunwind.c targets/walkers/llvm.c targets/walkers/walkers.c)
target_include_directories(stackrace_native PUBLIC stress targets/walkers include src)
target_link_libraries(stackrace_native PUBLIC Threads::Threads rt ${CMAKE_DL_LIBS})

# nongnu libunwind's header gives its walkers their types (they dlopen the
# library itself); without libunwind-dev they say they are unavailable.
include(CheckIncludeFile)
check_include_file(libunwind.h STACKRACE_HAVE_LIBUNWIND)
if(STACKRACE_HAVE_LIBUNWIND)
  target_compile_definitions(stackrace_native PRIVATE STACKRACE_HAVE_LIBUNWIND=1)
endif()

set(_no_coverage "")
if(STACKRACE_FUZZ AND STACKRACE_FUZZ_ENGINE STREQUAL "libfuzzer")
  set(_no_coverage -fno-sanitize-coverage=trace-pc-guard,trace-cmp,indirect-calls,8bit-counters,pc-table,inline-8bit-counters)
endif()
set(_shape_flags -O2 -fno-sanitize=all -fstack-clash-protection -fno-stack-protector ${_no_coverage}
  $<$<C_COMPILER_ID:GNU>:-fno-partial-inlining -fno-reorder-blocks-and-partition -foptimize-sibling-calls -fno-shrink-wrap -fno-schedule-insns2>)
set_source_files_properties(stress/shapes_fp.c PROPERTIES
  COMPILE_OPTIONS "${_shape_flags};-fno-omit-frame-pointer")
set_source_files_properties(stress/shapes_nofp.c PROPERTIES
  COMPILE_OPTIONS "${_shape_flags};-fomit-frame-pointer")
# Packed: optimized for size, as much shipped code is, and so without
# padding between functions (clang keeps x86's preferred 16 bytes despite
# -falign-functions=1 except under -Os), emitted in source order (gcc otherwise orders them as its call graph is
# finished), so that a noreturn
# call's return address is the next function's first byte.
set_source_files_properties(stress/shapes_packed.c PROPERTIES
  COMPILE_OPTIONS "${_shape_flags};-fno-omit-frame-pointer;-Os;-falign-functions=1;$<$<C_COMPILER_ID:GNU>:-fno-toplevel-reorder>")
# Code a shape's body calls: mutator_foreign saves its caller's context from
# its own frame, and calls nothing before it has published FOREIGN (a
# coverage callback there would be a second frame the shadow does not know);
# the trap handler calls shape_of_pc; the barrier trampoline calls
# barrier_pop. All keep frame pointers, or the frame-pointer walker, which is
# promised stacks of frame-pointer code, would meet a frame that uses rbp for
# something else (or none: barrier_pop's caller skipped).
set_source_files_properties(stress/mutator.c stress/shapes.c stress/barrier.c PROPERTIES
  COMPILE_OPTIONS "-fno-omit-frame-pointer;${_no_coverage};$<$<C_COMPILER_ID:GNU>:-fno-shrink-wrap>")

# The async-signal-safety check interposes malloc and friends in the
# executables that run walks (stress/signal_safety.c); sanitizer runtimes
# define them too, so sanitizer builds go without it (and say so).
function(stackrace_signal_safety exe)
  if(NOT STACKRACE_SANITIZE)
    target_sources(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/stress/signal_safety.c)
  endif()
endfunction()
