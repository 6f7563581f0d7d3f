# ctest fixture `demo_model`: trains the demo model into OUT_DIR unless a
# model newer than the tool binary, trained with the same epochs, is there
# (then it says so and re-checks the recorded accuracy).
# -DTOOL=... -DOUT_DIR=... -DEPOCHS=N -DMIN_ACCURACY_PERMILLE=880
foreach(var TOOL OUT_DIR EPOCHS MIN_ACCURACY_PERMILLE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "train_demo_model.cmake needs -D${var}=...")
  endif()
endforeach()

set(model ${OUT_DIR}/fashion_cnn.pt)
set(config ${OUT_DIR}/fashion_cnn.json)
set(log ${OUT_DIR}/fashion_cnn.train.log)
set(settings "${EPOCHS} epochs, seed 0,")

set(cached FALSE)
# IS_NEWER_THAN is also true on equal times, so NOT means strictly newer.
if(EXISTS "${model}" AND EXISTS "${config}" AND EXISTS "${log}"
   AND NOT "${TOOL}" IS_NEWER_THAN "${model}")
  file(READ ${log} output)
  string(FIND "${output}" "${settings}" settings_at)
  if(NOT settings_at EQUAL -1)
    set(cached TRUE)
  endif()
endif()

if(cached)
  message(STATUS "demo model cached: ${model} is newer than ${TOOL}; not retraining")
else()
  file(MAKE_DIRECTORY ${OUT_DIR})
  string(TIMESTAMP start "%s")
  execute_process(
    COMMAND ${TOOL} --out ${OUT_DIR} --epochs ${EPOCHS} --seed 0
    OUTPUT_VARIABLE output ECHO_OUTPUT_VARIABLE
    ERROR_VARIABLE errors ECHO_ERROR_VARIABLE
    RESULT_VARIABLE rc)
  string(TIMESTAMP end "%s")
  math(EXPR wall "${end} - ${start}")
  message(STATUS "train-demo-model took ${wall} s wall")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "train-demo-model failed (${rc})")
  endif()
  file(WRITE ${log} "${output}")
endif()

string(REGEX MATCH "test accuracy: ([0-9.]+) \\(([0-9]+)/([0-9]+)\\)" line "${output}")
if(NOT line)
  message(FATAL_ERROR "no 'test accuracy' line in the output:\n${output}")
endif()
set(accuracy ${CMAKE_MATCH_1})
math(EXPR got "${CMAKE_MATCH_2} * 1000")
math(EXPR needed "${CMAKE_MATCH_3} * ${MIN_ACCURACY_PERMILLE}")
if(got LESS needed)
  message(FATAL_ERROR "test accuracy ${accuracy} is below 0.${MIN_ACCURACY_PERMILLE}")
endif()
message(STATUS "demo model test accuracy ${accuracy} (>= 0.${MIN_ACCURACY_PERMILLE})")
