// A tokenizer.json from arbitrary text: loading it is a rewardkit::Error or a tokenizer that
// encodes and decodes a few texts without crashing, every id inside its vocabulary.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "rewardkit/error.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/tokenizer_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  nlohmann::json j = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // not JSON: the JSON library's business, not ours
  std::unique_ptr<Tokenizer> tok;
  try {
    tok = tokenize::make_tokenizer_from_json(std::move(j), "fuzz/tokenizer.json", tokenize::TokenizerConfig{});
  } catch (const Error&) {
    return 0;
  }
  static const char* const kTexts[] = {"", "Hello world", " 12345 ", "<|im_start|>user\nhi<|im_end|>",
                                       "caf\xC3\xA9 \xF0\x9F\x98\x80", "\xFF\xFE bad utf-8", "a  b\t\n"};
  for (const char* text : kTexts) {
    try {
      for (bool special : {false, true}) {
        const std::vector<int32_t> ids = tok->encode(text, special);
        for (int32_t id : ids) RK_FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "ids inside the vocabulary");
        (void)tok->decode(ids, false);
        (void)tok->decode(ids, true);
      }
    } catch (const Error&) {
    }
  }
  return 0;
}
