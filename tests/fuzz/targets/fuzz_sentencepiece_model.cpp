// A tokenizer.model from arbitrary bytes, in both load modes: a rewardkit::Error or a model
// that encodes a few texts without crashing. (The protobuf parse itself is libsentencepiece's;
// what is ours is the shim's checks and its rewrite of the model for transformers' semantics.)
#include "fuzz_common.hpp"
#include "rewardkit/error.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  const fuzz::MemoryFile file(data, size);
  for (auto mode : {tokenize::SentencepieceModel::Mode::native, tokenize::SentencepieceModel::Mode::hf_bpe}) {
    try {
      const tokenize::SentencepieceModel m(file.path(), mode);
      for (const char* text : {"", "Hello world", "a  b\n", "caf\xC3\xA9 \xF0\x9F\x98\x80", "\xFF bad"}) {
        const std::vector<int32_t> ids = m.encode(text);
        for (int32_t id : ids) RK_FUZZ_CHECK(id >= 0 && id < m.piece_size(), "ids inside the vocabulary");
        (void)m.decode(ids);
      }
    } catch (const Error&) {
    }
  }
  return 0;
}
