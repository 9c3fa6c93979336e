# The names of the built-in targets (targets/registry.c), for the build
# steps that need one artifact per target (fuzz/). A test checks that this
# list and `stackrace list` agree.
set(STACKRACE_TARGETS
  "go-stkbar@87f97c7"
  "go-stkbar@f90b48e~1"
  "go-stkbar@f90b48e"
  "go-stkbar@3f22ade")
# The fixed ones: a fuzz smoke must find nothing there (and something in
# every other target).
set(STACKRACE_CLEAN_TARGETS
  "go-stkbar@3f22ade")
