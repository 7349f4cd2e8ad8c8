# cmake -P script: seeds the corpus with every exported model image, then runs libFuzzer
# for SECONDS. Fails if there are no seeds (the host build's tests export them) or if the
# fuzzer finds a crash, a leak or undefined behaviour.
file(GLOB_RECURSE seeds "${SEEDS}/*.edgm")
list(LENGTH seeds count)
if(count EQUAL 0)
  message(FATAL_ERROR "no seed images under ${SEEDS}: run the host tests first (ctest --preset host)")
endif()
file(MAKE_DIRECTORY "${CORPUS}")
foreach(seed ${seeds})
  get_filename_component(dir "${seed}" DIRECTORY)
  get_filename_component(name "${dir}" NAME)
  configure_file("${seed}" "${CORPUS}/seed-${name}.edgm" COPYONLY)
endforeach()
message(STATUS "fuzzing the model loader for ${SECONDS} s from ${count} seed images")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -rss_limit_mb=2048 -max_len=1048576
          -print_final_stats=1 "${CORPUS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}); the crashing input is in the working directory")
endif()
