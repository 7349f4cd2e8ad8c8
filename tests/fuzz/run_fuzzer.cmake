# cmake -P script: seeds the model loader's corpus with every exported model image, then
# runs it (run_file_fuzzer.cmake) for SECONDS. Fails if there are no seeds (the host
# build's tests export them).
set(export_dir "${SEEDS}")
file(GLOB_RECURSE SEEDS "${export_dir}/*.edgm")
if(NOT SEEDS)
  message(FATAL_ERROR "no seed images under ${export_dir}: run the host tests first (ctest --preset host)")
endif()
list(APPEND SEEDS ${EXTRA_SEEDS})  # files made by make_fuzz_seeds (a portable image)
set(MAX_LEN 1048576)
include(${CMAKE_CURRENT_LIST_DIR}/run_file_fuzzer.cmake)
