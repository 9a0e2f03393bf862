# The fuzz targets, and the torch-free sources they exercise (shared by tests/fuzz/CMakeLists.txt
# and the replay programs of tests/CMakeLists.txt). Expects ROOT, the repository root.
set(REWARDKIT_FUZZ_TARGETS
  fuzz_safetensors fuzz_config_json fuzz_tokenizer_json fuzz_tokenize_text fuzz_sentencepiece_model
  fuzz_chat_template fuzz_records)
file(GLOB REWARDKIT_FUZZ_SOURCES ${ROOT}/src/chat/*.cpp ${ROOT}/src/tokenize/*.cpp)
list(FILTER REWARDKIT_FUZZ_SOURCES EXCLUDE REGEX "sentencepiece_shim\\.cpp$")
list(APPEND REWARDKIT_FUZZ_SOURCES
  ${ROOT}/src/io/safetensors_header.cpp ${ROOT}/src/nn/arch_config.cpp ${ROOT}/src/score/sample.cpp
  ${ROOT}/examples/cli/record_reader.cpp ${ROOT}/examples/cli/sample_records.cpp
  ${ROOT}/examples/cli/eval_records.cpp)
