# run_install_test.cmake - install the build into a temporary prefix, then build an out-of-tree
# plugin and an out-of-tree host against it, once with find_package(hrm) and once with pkg-config,
# and run the host against the installed plugins. Finally move the prefix and run again: libhrm
# finds its plugins relative to itself.
#
#   cmake -DBUILD_DIR=<build> -DWORK_DIR=<scratch> -DSOURCE_DIR=<tests/install> -DEXAMPLE=<reverse_task.c>
#         -DGENERATOR=<generator> -DC_COMPILER=<cc> -P run_install_test.cmake
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/run_checked.cmake)

# The hosts below must find the libhrm and plugins this test installs, not another install the
# caller's shell points at.
unset(ENV{LD_LIBRARY_PATH})
unset(ENV{HRM_PLUGIN_PATH})

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

message(STATUS "installing ${BUILD_DIR} into ${prefix}")
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(GLOB libdir_candidates ${prefix}/lib*/libhrm.so)
list(GET libdir_candidates 0 libhrm)
get_filename_component(libdir ${libhrm} DIRECTORY)

# A third party's copy of the example, under its own ids.
file(READ ${EXAMPLE} source)
string(REPLACE "org.hrm-sdk.examples." "org.example.oot." source "${source}")
file(WRITE ${WORK_DIR}/oot_reverse.c "${source}")

# ---- find_package(hrm) ----
set(cmake_args -G ${GENERATOR} -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_PREFIX_PATH=${prefix}
               -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/plugin -B ${WORK_DIR}/plugin-build ${cmake_args}
    -DPLUGIN_SOURCE=${WORK_DIR}/oot_reverse.c -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/oot)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/plugin-build)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/plugin-build)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/host -B ${WORK_DIR}/host-build ${cmake_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/host-build)

file(GLOB oot_plugin_dir LIST_DIRECTORIES true ${WORK_DIR}/oot/lib*/hrm/plugins)
if(NOT EXISTS ${oot_plugin_dir}/oot_reverse.so)
  message(FATAL_ERROR "hrm_add_plugin did not install oot_reverse.so under ${WORK_DIR}/oot")
endif()
run(nm -D --defined-only ${oot_plugin_dir}/oot_reverse.so)
if(NOT last_output MATCHES " T hrm_plugin_negotiate\n$")
  message(FATAL_ERROR "oot_reverse.so exports more than hrm_plugin_negotiate:\n${last_output}")
endif()

# The installed plugins are found next to the installed libhrm (the SDK's example is not among
# them: it is never installed); the out-of-tree plugin through HRM_PLUGIN_PATH.
run(${CMAKE_COMMAND} -E env HRM_PLUGIN_PATH=${oot_plugin_dir}
    ${WORK_DIR}/host-build/list_plugins org.hrm-sdk.task.sudoku org.example.oot.reverse)
message(STATUS "find_package host:\n${last_output}")
if(NOT last_output MATCHES "plugin org.hrm-sdk.task.sudoku [^ ]+ ${prefix}/")
  message(FATAL_ERROR "the sudoku plugin was not loaded from the install prefix")
endif()
if(last_output MATCHES "org.hrm-sdk.examples")
  message(FATAL_ERROR "the example plugin was installed into the production plugin folder:\n${last_output}")
endif()

# ---- pkg-config ----
find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
  run(${PKG_CONFIG} --cflags hrm)
  string(STRIP "${last_output}" cflags)
  run(${PKG_CONFIG} --libs hrm)
  string(STRIP "${last_output}" libs)
  run(${PKG_CONFIG} --variable=plugin_version_script hrm)
  string(STRIP "${last_output}" version_script)
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  file(MAKE_DIRECTORY ${WORK_DIR}/pc-plugins)
  # Plugins take only the cflags: they never link libhrm.
  run(${C_COMPILER} -std=c11 -shared -fPIC -fvisibility=hidden ${cflags} ${WORK_DIR}/oot_reverse.c
      -Wl,-z,defs -Wl,--version-script=${version_script} -o ${WORK_DIR}/pc-plugins/oot_reverse.so)
  run(${C_COMPILER} -std=c11 ${cflags} ${SOURCE_DIR}/host/list_plugins.c ${libs} -o ${WORK_DIR}/list_plugins_pc)
  run(${CMAKE_COMMAND} -E env HRM_PLUGIN_PATH=${WORK_DIR}/pc-plugins LD_LIBRARY_PATH=${libdir}
      ${WORK_DIR}/list_plugins_pc org.hrm-sdk.task.sudoku org.example.oot.reverse)
  message(STATUS "pkg-config host:\n${last_output}")
else()
  message(WARNING "pkg-config not found: the pkg-config half of the test was skipped")
endif()

# ---- relocation: move the whole prefix; nothing inside may depend on where it was installed ----
file(RENAME ${prefix} ${WORK_DIR}/moved)
string(REPLACE ${prefix} ${WORK_DIR}/moved moved_libdir ${libdir})
run(${CMAKE_COMMAND} -E env --unset=HRM_PLUGIN_PATH LD_LIBRARY_PATH=${moved_libdir}
    ${WORK_DIR}/host-build/list_plugins org.hrm-sdk.task.sudoku)
if(NOT last_output MATCHES "plugin org.hrm-sdk.task.sudoku [^ ]+ ${WORK_DIR}/moved/")
  message(FATAL_ERROR "after moving the prefix the sudoku plugin was not found inside it:\n${last_output}")
endif()
message(STATUS "relocated host:\n${last_output}")
file(REMOVE_RECURSE ${WORK_DIR})
