# Build information compiled into the device binary: version, git revision, target
# architecture, build type. The git revision is read at build time (not configure time),
# and the generated file is only rewritten when it changes, so rebuilds stay incremental.
set(EDGERT_BUILD_INFO_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/GenBuildInfo.cmake)

function(edgert_add_build_info target)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/build_info.cpp)
  set(type "${CMAKE_BUILD_TYPE}")
  if(EDGERT_SANITIZE)
    set(type "${type}+${EDGERT_SANITIZE}")
  endif()
  add_custom_target(${target}_gen
    COMMAND ${CMAKE_COMMAND}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUT=${out}
      -DVERSION=${PROJECT_VERSION} -DBUILD_TYPE=${type}
      -DSYSTEM_PROCESSOR=${CMAKE_SYSTEM_PROCESSOR}
      -P ${EDGERT_BUILD_INFO_SCRIPT}
    BYPRODUCTS ${out}
    COMMENT "Reading git revision"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
  add_dependencies(${target} ${target}_gen)
endfunction()

# Embeds a text file as a NUL-terminated char array:
#   edgert_embed_text(TARGET t INPUT file SYMBOL name NAMESPACE ns)
# defines `extern const char ns::name[];` in a generated source of target t.
function(edgert_embed_text)
  cmake_parse_arguments(E "" "TARGET;INPUT;SYMBOL;NAMESPACE" "" ${ARGN})
  get_filename_component(base ${E_INPUT} NAME_WE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${E_SYMBOL}.cpp)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${E_INPUT} -DOUT=${out}
      -DSYMBOL=${E_SYMBOL} -DNAMESPACE=${E_NAMESPACE}
      -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedText.cmake
    DEPENDS ${E_INPUT} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedText.cmake
    COMMENT "Embedding ${base}"
    VERBATIM)
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
