# cmake -P script: seeds a bundle fuzzer's corpus with a ustar bundle made from
# tests/fuzz/bundle_seed/ (GNU tar) and its manifest, then runs it (run_file_fuzzer.cmake)
# for SECONDS.
file(MAKE_DIRECTORY "${CORPUS}")
execute_process(
  COMMAND tar --format=ustar --owner=0 --group=0 --mtime=@0 -cf "${CORPUS}/seed.edgb"
          manifest manifest.sig model.edgm edgert.toml
  WORKING_DIRECTORY "${SEED_DIR}" RESULT_VARIABLE tar_rc)
if(NOT tar_rc EQUAL 0)
  message(FATAL_ERROR "tar could not make the seed bundle")
endif()
set(SEEDS "${SEED_DIR}/manifest")
set(MAX_LEN 65536)
include(${CMAKE_CURRENT_LIST_DIR}/run_file_fuzzer.cmake)
