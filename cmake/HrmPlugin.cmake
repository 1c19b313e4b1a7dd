# hrm_add_plugin(<target> OUTPUT_NAME <file name without .so> SOURCES <src>... [LIBS <lib>...] [NO_INSTALL])
#
# Builds a plugin the way third parties should: a MODULE library that links nothing from libhrm
# (only the header-only target hrm::headers), hidden visibility, every symbol resolved at link time
# (-z defs) and only hrm_plugin_negotiate exported (version script). It lands in the build tree's
# plugins/ folder, which the tests and the runner search, and installs to lib/hrm/plugins.
function(hrm_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_NAME" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE hrm_headers ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${ARG_OUTPUT_NAME}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${HRM_PLUGIN_BUILD_DIR})
  target_link_options(${target} PRIVATE
    ${HRM_NO_UNDEFINED_LINK_FLAG}
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/hrm_plugin.map)
  set_property(GLOBAL APPEND PROPERTY HRM_PLUGIN_TARGETS ${target})
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${HRM_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
