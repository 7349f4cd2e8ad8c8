# cmake -P script (also included by run_fuzzer.cmake and run_bundle_fuzzer.cmake after they
# made their seeds): copies SEEDS (files separated by | or ;, those missing are skipped)
# into the fuzzer's CORPUS (a seed with a * is a glob pattern), then runs libFuzzer for SECONDS with inputs up to MAX_LEN bytes
# (UNIT_TIMEOUT: seconds one input may take, libFuzzer's default when not given). Fails on
# a crash, a leak, undefined behaviour or a timeout, leaving the input in the working
# directory.
file(MAKE_DIRECTORY "${CORPUS}")
set(count 0)
string(REPLACE "|" ";" patterns "${SEEDS}")
set(SEEDS)
foreach(pattern IN LISTS patterns)
  if(pattern MATCHES "\\*")
    file(GLOB matches "${pattern}")
    list(APPEND SEEDS ${matches})
  else()
    list(APPEND SEEDS "${pattern}")
  endif()
endforeach()
foreach(seed IN LISTS SEEDS)
  if(EXISTS "${seed}" AND NOT IS_DIRECTORY "${seed}")
    get_filename_component(name "${seed}" NAME)
    configure_file("${seed}" "${CORPUS}/seed-${count}-${name}" COPYONLY)
    math(EXPR count "${count} + 1")
  endif()
endforeach()
set(unit_timeout)
if(UNIT_TIMEOUT)
  set(unit_timeout -timeout=${UNIT_TIMEOUT})
endif()
message(STATUS "fuzzing ${FUZZER} for ${SECONDS} s from ${count} seed files")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -rss_limit_mb=2048 -max_len=${MAX_LEN} ${unit_timeout}
          -print_final_stats=1 "${CORPUS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}); the crashing input is in the working directory")
endif()
