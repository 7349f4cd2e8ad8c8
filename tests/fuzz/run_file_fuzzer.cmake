# cmake -P script: copies SEEDS (files separated by |; those missing are skipped) into the
# fuzzer's corpus, then runs libFuzzer for SECONDS with inputs up to MAX_LEN bytes.
file(MAKE_DIRECTORY "${CORPUS}")
set(count 0)
string(REPLACE "|" ";" SEEDS "${SEEDS}")  # the list, passed with | between the files
foreach(seed IN LISTS SEEDS)
  if(EXISTS "${seed}" AND NOT IS_DIRECTORY "${seed}")
    get_filename_component(name "${seed}" NAME)
    configure_file("${seed}" "${CORPUS}/seed-${count}-${name}" COPYONLY)
    math(EXPR count "${count} + 1")
  endif()
endforeach()
message(STATUS "fuzzing ${FUZZER} for ${SECONDS} s from ${count} seed files")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -rss_limit_mb=2048 -max_len=${MAX_LEN} -timeout=10
          -print_final_stats=1 "${CORPUS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}); the crashing input is in the working directory")
endif()
