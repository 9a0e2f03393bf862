#pragma once
// Sentencepiece `tokenizer.model` checkpoints, tokenized exactly as Hugging Face transformers
// 5.24 tokenizes them with `LlamaTokenizer` (AutoTokenizer for tokenizer_class LlamaTokenizer).
//
// What transformers 5.24 does (measured; tools/make_tokenizer_fixtures.py records it):
// - LlamaTokenizer is no longer a sentencepiece wrapper. It is a `tokenizers` BPE built from the
//   pieces of tokenizer.model: merges are generated from the vocabulary and ranked by the id of
//   the merged piece (not by its score), byte_fallback on, no normalizer (the model's own
//   normalizer_spec, add_dummy_prefix and remove_extra_whitespaces are ignored), a Metaspace
//   pre-tokenizer (' ' -> U+2581, no splitting) that prepends U+2581 to a chunk that does not
//   already start with one: only the chunk at the start of the text when `legacy` is false (the
//   default), every chunk between added tokens when `legacy` is true, never when
//   `add_prefix_space` is false.
// - Consequences where this differs from sentencepiece itself: " Hello" encodes like "Hello"
//   (sentencepiece: extra "▁"), " " is [29871] for Llama 2 (sentencepiece: [259]), "a  b"
//   merges "▁▁" first (Llama 2: [263, 259, 29890] vs sentencepiece [263, 29871, 289]);
//   control and user-defined pieces (<s>, </s>, Mistral v3's [INST] ...) and the named special
//   tokens are added tokens, matched in the raw text first (leftmost-longest), so "<s>" in a
//   text becomes id 1 and the text after it gets no "▁" prefix (non-legacy).
// - add_bos_token / add_eos_token come from tokenizer_config.json and default to FALSE when
//   the key is absent (TokenizersBackend's default; the LlamaTokenizer docstring's "True" is
//   stale). The empty text encodes to [] (plus BOS/EOS when enabled).
// - decode: every token, special ones included, goes through the decoder chain Replace("▁",
//   " "), ByteFallback (a run of <0xXX> tokens becomes its bytes when they are valid UTF-8, else
//   one U+FFFD per byte), Fuse, then Strip one leading space when add_prefix_space. Ids beyond
//   the vocabulary are dropped silently, as HF does; negative ids are an error.
//   clean_up_tokenization_spaces is ignored for BPE (transformers 5 refuses it) unless
//   clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output is also set.
// - `additional_special_tokens` in the config files is ignored (HF overwrites it with the
//   model's control/user-defined pieces); `added_tokens_decoder`, `extra_special_tokens` and
//   the named tokens are honoured. Tokens missing from the vocabulary get new ids from
//   piece_size on, in HF's order.
// - With a tokenizer.json beside the model (real Llama 2 / Mistral checkpoints have one), HF
//   uses the tokenizer.json; so does rewardkit (tokenizer_json.hpp). The factory refuses other
//   tokenizer classes (GemmaTokenizer, T5Tokenizer, ...) for a lone tokenizer.model: they run
//   the same pieces differently.
//
// How: the pieces run through real sentencepiece (in the dlopen'd shim) after a rewrite of the
// model proto that makes sentencepiece's BPE the same function as HF's (RK_SPM_MODE_HF_BPE:
// identity normalizer, score = -id); added-token splitting, Metaspace and decoding are done
// here. Parity was checked on the 1,257 LLMBar texts for all four models in shared/assets.
//
// Beyond HF (which only sees valid Unicode): invalid UTF-8 input is not an error; each byte
// that is not part of a valid UTF-8 sequence is replaced by U+FFFD before tokenizing (like
// Python's bytes.decode("utf-8", "replace") for most inputs).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rewardkit/tokenizer.hpp"
#include "tokenize/added_tokens.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/utf8.hpp"

struct rk_spm_model;

namespace rewardkit::tokenize {

// ---- the shim module ------------------------------------------------------------------------

// Where the module is looked for, in order: $REWARDKIT_SENTENCEPIECE_MODULE alone when set;
// otherwise next to the library holding this code (found with dladdr), then the install libdir.
std::vector<std::string> sentencepiece_module_candidates();
// The path of the module in use, loading it on first call. Throws rewardkit::Error naming every
// path tried and why each failed.
std::string sentencepiece_module_path();
// Tries to dlopen a module from `candidates` without touching the process-wide one (tests,
// diagnostics). Returns the path that worked (left loaded); throws like
// sentencepiece_module_path().
std::string probe_sentencepiece_module(const std::vector<std::string>& candidates);

// ---- one model through the shim -------------------------------------------------------------

struct ShimApi;  // the module's function table (sentencepiece_tokenizer.cpp)

class SentencepieceModel {
 public:
  // native, hf_bpe: see RK_SPM_MODE_* in sentencepiece_shim.h.
  enum class Mode { native, hf_bpe };

  SentencepieceModel(const std::string& path, Mode mode);
  ~SentencepieceModel();
  SentencepieceModel(const SentencepieceModel&) = delete;
  SentencepieceModel& operator=(const SentencepieceModel&) = delete;

  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }
  std::vector<int32_t> encode(std::string_view text) const;  // no BOS/EOS
  void encode_into(std::string_view text, std::vector<int32_t>& out) const;  // appends
  std::string decode(const std::vector<int32_t>& ids) const;  // sentencepiece's own decoder
  int32_t piece_size() const { return piece_size_; }
  std::string_view id_to_piece(int32_t id) const;  // throws for an id out of range
  std::optional<int32_t> piece_to_id(std::string_view piece) const;
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  std::optional<int32_t> unk_id() const;
  int piece_type(int32_t id) const;  // RK_SPM_PIECE_*, 0 out of range
  bool is_control(int32_t id) const;
  bool is_unknown(int32_t id) const;
  bool is_byte(int32_t id) const;
  bool is_user_defined(int32_t id) const;
  int model_type() const;  // 1 unigram, 2 BPE, ...
  bool byte_fallback() const;

 private:
  std::string path_;
  Mode mode_;
  const ShimApi* api_ = nullptr;
  rk_spm_model* handle_ = nullptr;
  int32_t piece_size_ = 0;
};

// ---- the Tokenizer ----------------------------------------------------------------------------

class SentencepieceTokenizer final : public Tokenizer {
 public:
  enum class PrependScheme { always, first, never };

  // `model_file` is the tokenizer.model; `config` what read_tokenizer_config found beside it.
  SentencepieceTokenizer(const std::string& model_file, const TokenizerConfig& config);

  std::vector<int32_t> encode(const std::string& text, bool add_special_tokens = true) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const override;
  // Pieces plus added tokens that are not pieces (HF's len(tokenizer)).
  int64_t vocab_size() const override;
  std::string id_to_token(int32_t id) const override;
  std::optional<int32_t> token_to_id(const std::string& token) const override;
  std::optional<int32_t> bos_id() const override { return bos_id_; }
  std::optional<int32_t> eos_id() const override { return eos_id_; }
  std::optional<int32_t> pad_id() const override { return pad_id_; }

  std::optional<int32_t> unk_id() const { return unk_id_; }
  // The ids encode(text, true) puts around the text (BOS / EOS).
  const std::vector<int32_t>& special_prefix() const { return prefix_; }
  const std::vector<int32_t>& special_suffix() const { return suffix_; }
  bool add_bos() const { return bos_id_ && prefix_ == std::vector<int32_t>{*bos_id_}; }
  bool add_eos() const { return eos_id_ && suffix_ == std::vector<int32_t>{*eos_id_}; }
  PrependScheme prepend_scheme() const { return prepend_scheme_; }
  bool is_special(int32_t id) const;
  const SentencepieceModel& model() const { return *model_; }

  struct AddedToken {
    AddedTokenSpec spec;
    int32_t id = -1;
  };
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  void add_token(const AddedTokenSpec& spec, bool override_flags);
  int32_t new_token_id(const std::string& content);
  std::optional<int32_t> named_token_id(const TokenizerConfig& config, const std::string& name,
                                        const char* hf_default, std::optional<int32_t> model_id);
  void encode_chunk(std::string_view chunk, bool at_text_start, std::vector<int32_t>& out) const;

  std::shared_ptr<SentencepieceModel> model_;
  std::vector<AddedToken> added_;                       // in the order HF adds them
  std::unordered_map<std::string, int> added_index_;    // content -> index into added_
  std::vector<std::string> extra_tokens_;               // content of ids piece_size.. (new ones)
  std::vector<bool> special_;                           // by id, over vocab_size()
  AddedTokenMatcher raw_matcher_, normalized_matcher_;  // index = slot in added_
  std::optional<int32_t> bos_id_, eos_id_, pad_id_, unk_id_;
  std::vector<int32_t> prefix_, suffix_;
  PrependScheme prepend_scheme_ = PrependScheme::first;
  bool strip_leading_space_ = true;
  bool clean_up_ = false;
};

// The factory's entry point for a tokenizer.model without a tokenizer.json.
std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const std::string& model_file, const TokenizerConfig& config);

// tokenizer_config.json's tokenizer_class values this implementation reproduces (absent counts
// as LlamaTokenizer: it is what LlamaTokenizer.from_pretrained gives).
bool is_llama_tokenizer_class(const std::string& tokenizer_class);

}  // namespace rewardkit::tokenize
