# Run at every build (target vsq_commit): writes OUT with
#   #define VSQ_GIT_COMMIT "<git describe --always --dirty>"  (or "" outside git)
# only when the text changes, so vsq --version names the commit it was
# built from without rebuilding anything when nothing changed.
execute_process(COMMAND git -C ${SRC} describe --always --dirty
                OUTPUT_VARIABLE c OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  set(c "")
endif()
set(text "#define VSQ_GIT_COMMIT \"${c}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
