# Writes the shell completions and the man page by running the built executable:
#   cmake -DPROGRAM=path/to/netadmit -DOUTPUT_DIR=dir -P cli_docs.cmake
# Each file is written whole or not at all, so that a failed run leaves no half file behind.

cmake_minimum_required(VERSION 3.25)

foreach(spec "completion;bash;netadmit.bash" "completion;zsh;_netadmit" "man;;netadmit.1")
  list(GET spec 0 command)
  list(GET spec 1 argument)
  list(GET spec 2 file)
  execute_process(
    COMMAND ${PROGRAM} ${command} ${argument}
    OUTPUT_FILE ${OUTPUT_DIR}/${file}.tmp
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    file(REMOVE ${OUTPUT_DIR}/${file}.tmp)
    message(FATAL_ERROR "${PROGRAM} ${command} ${argument} failed: ${result}")
  endif()
  file(RENAME ${OUTPUT_DIR}/${file}.tmp ${OUTPUT_DIR}/${file})
endforeach()
