# train-demo-model --export-images for every format and transform: the files
# named <index>_<label>.<ext>, and no model or training needed.
# -DTOOL=... -DWORK_DIR=...
file(REMOVE_RECURSE ${WORK_DIR})
foreach(format jpeg png)
  if(format STREQUAL "jpeg")
    set(ext jpg)
  else()
    set(ext png)
  endif()
  foreach(transform none noise rotate invert)
    set(dir ${WORK_DIR}/${format}_${transform})
    execute_process(
      COMMAND ${TOOL} --export-images 5 --export-format ${format} --export-dir ${dir}
        --export-transform ${transform} --out ${WORK_DIR}/no_model_here
      OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "export ${format}/${transform} failed (${rc}): ${out}${err}")
    endif()
    file(GLOB files RELATIVE ${dir} ${dir}/*)
    list(SORT files)
    # The first five Fashion-MNIST test labels are 9 2 1 1 6.
    set(expected 0_9.${ext} 1_2.${ext} 2_1.${ext} 3_1.${ext} 4_6.${ext})
    if(NOT files STREQUAL expected)
      message(FATAL_ERROR "${format}/${transform}: got '${files}', expected '${expected}'")
    endif()
  endforeach()
endforeach()
if(EXISTS ${WORK_DIR}/no_model_here)
  message(FATAL_ERROR "export mode touched the model directory")
endif()
message(STATUS "exported 5 images for each of jpeg/png x none/noise/rotate/invert")
