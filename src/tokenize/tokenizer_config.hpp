#pragma once
// The settings a Hugging Face checkpoint keeps beside its vocabulary: tokenizer_config.json and
// special_tokens_map.json, read the way transformers 5.x reads them. Shared by every tokenizer
// implementation (sentencepiece now, tokenizer.json later), so it knows nothing about either.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rewardkit::tokenize {

// HF's AddedToken: a string matched in the raw text before the model sees it.
struct AddedTokenSpec {
  std::string content;
  bool special = true;      // skipped by decode(skip_special_tokens = true)
  bool lstrip = false;      // swallows the whitespace on its left
  bool rstrip = false;      // swallows the whitespace on its right
  bool single_word = false; // only matches when not touching a word character
  bool normalized = false;  // matched after normalization (second pass) instead of on raw text
};

struct TokenizerConfig {
  std::string model_dir;
  std::string config_path;            // tokenizer_config.json; empty when the file is absent
  std::string special_tokens_map_path; // special_tokens_map.json when it was read, else empty
  nlohmann::json raw = nlohmann::json::object();  // tokenizer_config.json as it is (chat_template, ...)

  std::optional<std::string> tokenizer_class;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  std::optional<bool> legacy;
  std::optional<bool> add_prefix_space;
  std::optional<bool> clean_up_tokenization_spaces;
  // transformers 5 ignores clean_up_tokenization_spaces for BPE models unless this is set too.
  bool clean_up_tokenization_spaces_for_bpe = false;
  std::optional<int64_t> model_max_length;

  // Named special tokens by HF attribute ("bos_token", "eos_token", "unk_token", "sep_token",
  // "pad_token", "cls_token", "mask_token"). A key that is present with nullopt was JSON null
  // (the checkpoint says there is none); an absent key means the class default applies.
  std::map<std::string, std::optional<AddedTokenSpec>> special_tokens;
  // `added_tokens_decoder`, sorted by id (the ids are what the file claims; HF re-derives them).
  std::vector<std::pair<int64_t, AddedTokenSpec>> added_tokens_decoder;
  // `extra_special_tokens` (transformers 5; list, or the values of a name -> token map).
  std::vector<AddedTokenSpec> extra_special_tokens;
  // `additional_special_tokens` (transformers 4 name). Kept for implementations that honour it;
  // transformers 5.24's sentencepiece LlamaTokenizer does not (see sentencepiece_tokenizer.hpp).
  std::vector<AddedTokenSpec> additional_special_tokens;

  // The named token, or nullptr when absent or null.
  const AddedTokenSpec* special_token(const std::string& name) const;
  // True when the key is present (possibly null).
  bool has_special_token_key(const std::string& name) const { return special_tokens.count(name) != 0; }
};

// The attributes HF treats as named special tokens, in its order (which is also the order in
// which tokens missing from the vocabulary get new ids).
const std::vector<std::string>& special_token_attributes();

// Reads <model_dir>/tokenizer_config.json (optional) and, as transformers 5 does when that file
// has no `added_tokens_decoder`, <model_dir>/special_tokens_map.json (its values win). Throws
// rewardkit::Error naming the file for malformed JSON or a field of the wrong type.
TokenizerConfig read_tokenizer_config(const std::string& model_dir);

}  // namespace rewardkit::tokenize
