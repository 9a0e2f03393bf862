#pragma once
// The BPE model of a tokenizer.json ("model": {"type": "BPE"}), tokenizing one pre-tokenized word
// exactly as tokenizers' BPE::tokenize does: characters (with continuing_subword_prefix /
// end_of_word_suffix) looked up in the vocabulary, byte_fallback to <0xXX> pieces, then unk
// (fused when fuse_unk), then merges applied lowest rank first (leftmost on ties);
// ignore_merges takes a whole word that is in the vocabulary as it is.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rewardkit::tokenize {

struct BpeSettings {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; `where` names it in errors ("<file>: model").
  // Throws rewardkit::Error for anything malformed: a merge whose parts or result are not in the
  // vocabulary, an unk_token missing from it, dropout (not deterministic), an unknown field type.
  BpeModel(const nlohmann::json& model, const std::string& where);

  // The same vocabulary and merges with other settings (how transformers' tokenizer classes
  // rebuild a file's model).
  void set_settings(const BpeSettings& settings, const std::string& where);
  const BpeSettings& settings() const { return settings_; }

  // Appends the ids of one word (a pre-tokenized piece, not empty).
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // nullptr when the model has no token with that id.
  const std::string* id_to_token(int32_t id) const;
  // One more than the largest id in the vocabulary.
  int64_t id_limit() const { return static_cast<int64_t>(tokens_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_;  // by id ("" where the vocabulary has a gap)
  std::vector<bool> has_id_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::vector<std::pair<std::string, std::string>> merge_parts_;  // to re-derive after set_settings
  BpeSettings settings_;
  std::optional<int32_t> unk_id_;
  int32_t byte_ids_[256];  // id of "<0xXX>", or -1
};

}  // namespace rewardkit::tokenize
