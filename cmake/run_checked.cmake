# run(<command> <args>...): execute_process that stops the calling -P script on failure, printing
# the command and its output; the command's standard output is left in `last_output`.
# Shared by the scripts that install the build and build against it (tests/install, hosts/examples).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
