#pragma once
// What a sentencepiece checkpoint's tokenizer.json changes about its tokenization in
// transformers 5.24, read without implementing tokenizer.json itself (a later issue does that).
//
// When tokenizer.json is present, transformers' LlamaTokenizer takes from it the vocabulary, the
// merges (whose order is the merge priority: the hub's Llama 2 / Mistral files rank by piece
// score, unlike the id order transformers derives from tokenizer.model alone), the
// post-processor (which decides BOS/EOS; add_bos_token/add_eos_token in tokenizer_config.json
// are then ignored), and, when tokenizer_config.json has no added_tokens_decoder, the added
// tokens. Normalizer, pre-tokenizer and decoder still come from the LlamaTokenizer class.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenize/tokenizer_config.hpp"

namespace rewardkit::tokenize {

struct TokenizerJsonHints {
  std::string path;
  std::string model_type;  // "BPE", "Unigram", ...
  std::unordered_map<std::string, int64_t> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // in priority order
  std::vector<std::pair<int64_t, AddedTokenSpec>> added_tokens;
  // The post-processor's single-sequence template: ids before and after the text. Both empty
  // for a null post-processor.
  std::vector<int32_t> prefix_ids, suffix_ids;
};

// Throws rewardkit::Error naming the file for malformed JSON, or a post-processor that is not
// TemplateProcessing (or a Sequence holding one).
TokenizerJsonHints read_tokenizer_json_hints(const std::string& path);

}  // namespace rewardkit::tokenize
