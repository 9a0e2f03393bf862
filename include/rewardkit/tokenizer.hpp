#pragma once
// Tokenizer interface and the factory that picks an implementation from a checkpoint directory.
// No torch types here: tokenization is plain ids.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rewardkit {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Ids for `text`. With add_special_tokens, BOS/EOS are added the way Hugging Face `encode`
  // adds them for this checkpoint (from tokenizer_config.json `add_bos_token`/`add_eos_token`).
  virtual std::vector<int32_t> encode(const std::string& text, bool add_special_tokens = true) const = 0;
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const = 0;

  virtual int64_t vocab_size() const = 0;
  // The piece for an id, or an error for an id out of range.
  virtual std::string id_to_token(int32_t id) const = 0;
  // The id of a piece, or nullopt when the vocabulary does not have it.
  virtual std::optional<int32_t> token_to_id(const std::string& token) const = 0;

  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  virtual std::optional<int32_t> pad_id() const = 0;
};

// Loads the tokenizer of a checkpoint directory: a registered custom loader first (in order
// of registration), then `tokenizer.json` when present, else GPT-2 style `vocab.json` +
// `merges.txt`, else sentencepiece `tokenizer.model`; settings from tokenizer_config.json and
// special_tokens_map.json. Ids are those transformers 5.24's AutoTokenizer gives; a file or
// tokenizer class rewardkit cannot reproduce is an error, never an approximation.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir);

// A caller's own implementation: return nullptr to pass the directory on to the next loader.
using TokenizerLoader = std::function<std::unique_ptr<Tokenizer>(const std::string& model_dir)>;
void register_tokenizer_loader(TokenizerLoader loader);

}  // namespace rewardkit
