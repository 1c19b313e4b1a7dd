# out_of_tree.cmake - install the SDK build into a scratch prefix, build hosts/examples against it
# with find_package(hrm) as an application would, and run both programs on the installed plugins.
#   cmake -DBUILD_DIR=<build> -DWORK_DIR=<scratch> -DSOURCE_DIR=<hosts/examples> -DGENERATOR=<gen>
#         -DC_COMPILER=<cc> -DCXX_COMPILER=<c++> -P out_of_tree.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/run_checked.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# The installed sudoku4 task's exact solver (the example plugin is never installed).
file(READ ${SOURCE_DIR}/data/sudoku4.expected expected)
foreach(exe hrm_example_solve_c hrm_example_solve_cpp)
  # No --plugins and no HRM_PLUGIN_PATH: the installed libhrm finds the installed plugins itself.
  run(${CMAKE_COMMAND} -E env --unset=HRM_PLUGIN_PATH ${WORK_DIR}/build/${exe} sudoku4 ${SOURCE_DIR}/data/sudoku4.txt)
  if(NOT last_output STREQUAL expected)
    message(FATAL_ERROR "${exe} (out of tree) printed:\n${last_output}")
  endif()
endforeach()
message(STATUS "out-of-tree examples built against ${prefix} and ran")
file(REMOVE_RECURSE ${WORK_DIR})
