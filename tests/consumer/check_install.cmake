# ctest driver: install the built rewardkit into a scratch prefix, then configure, build and
# run projects outside rewardkit against it, as users' projects would: the consumer project
# (tests/consumer), then the embedding examples (examples/embedding: a training loop and an
# evaluation harness, both built in one configure).
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, MODEL_DIR (causal LM), RM_DIR (reward model),
# SANITIZE_FLAGS (the sanitizer build's flags, a ;-list, which the outside projects need too).
string(REPLACE ";" " " sanitize "${SANITIZE_FLAGS}")
set(flags -DCMAKE_CXX_FLAGS=${sanitize} -DCMAKE_EXE_LINKER_FLAGS=${sanitize})
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${flags})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer ${MODEL_DIR})

# The embedding examples, exactly as the README tells users to build and run them.
set(examples ${SOURCE_DIR}/examples/embedding)
run(${CMAKE_COMMAND} -S ${examples} -B ${WORK_DIR}/embedding -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${flags})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/embedding)
run(${WORK_DIR}/embedding/training_loop ${RM_DIR} cpu)
run(${WORK_DIR}/embedding/eval_harness ${RM_DIR} ${examples}/pairs.jsonl)
# A bad line stops the harness with "file:line: message" and a non-zero exit.
file(WRITE ${WORK_DIR}/bad.jsonl "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"p\", \"chosen\": 3}\n")
execute_process(COMMAND ${WORK_DIR}/embedding/eval_harness ${RM_DIR} ${WORK_DIR}/bad.jsonl
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "bad\\.jsonl:2: \"chosen\" must be a string")
  message(FATAL_ERROR "eval_harness on a bad line: exit ${rc}, expected non-zero and bad.jsonl:2: ...\n${out}\n${err}")
endif()
message(STATUS "bad line reported: ${err}")
