# cmake -P script: seeds a bundle fuzzer's corpus with a ustar bundle made from
# tests/fuzz/bundle_seed/ (GNU tar) and its manifest, then runs libFuzzer for SECONDS.
file(MAKE_DIRECTORY "${CORPUS}")
execute_process(
  COMMAND tar --format=ustar --owner=0 --group=0 --mtime=@0 -cf "${CORPUS}/seed.edgb"
          manifest manifest.sig model.edgm edgert.toml
  WORKING_DIRECTORY "${SEED_DIR}" RESULT_VARIABLE tar_rc)
if(NOT tar_rc EQUAL 0)
  message(FATAL_ERROR "tar could not make the seed bundle")
endif()
configure_file("${SEED_DIR}/manifest" "${CORPUS}/seed-manifest" COPYONLY)
message(STATUS "fuzzing ${FUZZER} for ${SECONDS} s")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -rss_limit_mb=2048 -max_len=65536
          -print_final_stats=1 "${CORPUS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}); the crashing input is in the working directory")
endif()
