#include "tokenize/tokenizer_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <unordered_map>

#include "rewardkit/error.hpp"
#include "tokenize/added_tokens.hpp"
#include "tokenize/bpe_model.hpp"
#include "tokenize/decoders.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/normalizers.hpp"
#include "tokenize/post_processors.hpp"
#include "tokenize/pre_tokenizers.hpp"
#include "tokenize/transformers_classes.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;

namespace {

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    json j = json::parse(buffer.str());
    if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object at the top level", path));
    return j;
  } catch (const json::exception& e) {
    throw Error(fmt::format("malformed JSON in {}: {}", path, e.what()));
  }
}

class TokenizerJson final : public Tokenizer {
 public:
  // `config` is null for the raw variant (no transformers rules). With `built_by` the JSON is
  // already a class's own pipeline (no class rules applied) and the post-processor is rebuilt.
  TokenizerJson(json tj, const std::string& path, const TokenizerConfig* config,
                const TransformersClassRules* built_by = nullptr);

  std::vector<int32_t> encode(const std::string& text, bool add_special_tokens) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  std::string id_to_token(int32_t id) const override;
  std::optional<int32_t> token_to_id(const std::string& token) const override;
  std::optional<int32_t> bos_id() const override { return bos_id_; }
  std::optional<int32_t> eos_id() const override { return eos_id_; }
  std::optional<int32_t> pad_id() const override { return pad_id_; }

 private:
  struct AddedToken {
    AddedTokenSpec spec;
    int32_t id;
  };
  // The added token with this content (adding it, special or not, when it is new); its id.
  int32_t add_token(const AddedTokenSpec& spec, std::optional<int32_t> declared_id, bool mark_special_only);
  std::optional<int32_t> named_token(const TokenizerConfig& config, const TransformersClassRules& rules,
                                     const std::string& name);
  const std::string* token_of(int32_t id) const;

  std::string path_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  SpecialTokenTemplate template_;

  std::vector<AddedToken> added_;
  std::unordered_map<std::string, size_t> added_by_content_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  AddedTokenMatcher raw_matcher_, normalized_matcher_;  // index = slot in added_

  int64_t vocab_size_ = 0;
  std::optional<int32_t> bos_id_, eos_id_, pad_id_;
  bool clean_up_ = false;
};

int32_t TokenizerJson::add_token(const AddedTokenSpec& spec, std::optional<int32_t> declared_id, bool mark_special_only) {
  if (auto it = added_by_content_.find(spec.content); it != added_by_content_.end()) {
    AddedToken& existing = added_[it->second];
    if (mark_special_only) {
      existing.spec.special = existing.spec.special || spec.special;
    } else {
      existing.spec = spec;
    }
    return existing.id;
  }
  // tokenizers' AddedVocabulary::add_tokens: the model's id when it has the token, else the
  // declared one (tokenizer.json), else the next free id.
  int32_t id;
  if (declared_id) {
    id = *declared_id;
  } else if (auto model_id = model_->token_to_id(spec.content)) {
    id = *model_id;
  } else {
    id = static_cast<int32_t>(vocab_size_);
  }
  added_by_content_[spec.content] = added_.size();
  added_by_id_[id] = added_.size();
  added_.push_back({spec, id});
  vocab_size_ = std::max<int64_t>(vocab_size_, static_cast<int64_t>(id) + 1);
  return id;
}

std::optional<int32_t> TokenizerJson::named_token(const TokenizerConfig& config, const TransformersClassRules& rules,
                                                  const std::string& name) {
  AddedTokenSpec spec;
  if (config.has_special_token_key(name)) {
    const AddedTokenSpec* given = config.special_token(name);
    if (given == nullptr) return std::nullopt;
    spec = *given;
  } else if (auto d = rules.default_special_tokens.find(name); d != rules.default_special_tokens.end() && d->second) {
    spec.content = *d->second;
  } else {
    return std::nullopt;
  }
  spec.special = true;
  return add_token(spec, std::nullopt, true);
}

TokenizerJson::TokenizerJson(json tj, const std::string& path, const TokenizerConfig* config,
                             const TransformersClassRules* built_by)
    : path_(path) {
  TransformersClassRules rules;
  if (built_by != nullptr) {
    if (config == nullptr) throw Error(fmt::format("{}: a class-built pipeline needs the tokenizer_config settings", path));
    rules = *built_by;
  } else if (config != nullptr) {
    rules = apply_transformers_class(tj, *config, path);
  }

  static const json kNone;
  const json& model = tj.contains("model") ? tj["model"] : kNone;  // both lvalues: no copy of the vocabulary
  const std::string model_type = json_fields::type_of(model, path + ": model");
  if (model_type != "BPE") {
    throw Error(fmt::format("{}: model: type \"{}\" is not supported by rewardkit (only BPE)", path, model_type));
  }
  model_ = std::make_unique<BpeModel>(model, path + ": model");
  vocab_size_ = model_->id_limit();
  normalizer_ = parse_normalizer(tj.value("normalizer", json()), path + ": normalizer");
  pre_tokenizer_ = parse_pre_tokenizer(tj.value("pre_tokenizer", json()), path + ": pre_tokenizer");
  decoder_ = parse_decoder(tj.value("decoder", json()), path + ": decoder");
  const json post = tj.value("post_processor", json());
  template_ = parse_post_processor(post, path + ": post_processor");

  // Added tokens: the file's, then (transformers) tokenizer_config.json's and the named ones.
  if (auto a = tj.find("added_tokens"); a != tj.end() && !a->is_null()) {
    if (!a->is_array()) throw Error(fmt::format("{}: added_tokens: expected an array", path));
    for (size_t i = 0; i < a->size(); ++i) {
      const json& t = (*a)[i];
      const std::string where = fmt::format("{}: added_tokens[{}]", path, i);
      if (!t.is_object()) throw Error(fmt::format("{}: expected an object", where));
      AddedTokenSpec spec;
      spec.content = json_fields::string_field(t, "content", where);
      spec.special = json_fields::bool_field(t, "special", false, where);
      spec.lstrip = json_fields::bool_field(t, "lstrip", false, where);
      spec.rstrip = json_fields::bool_field(t, "rstrip", false, where);
      spec.single_word = json_fields::bool_field(t, "single_word", false, where);
      spec.normalized = json_fields::bool_field(t, "normalized", !spec.special, where);
      const int32_t id = json_fields::token_id(json_fields::required(t, "id", where), where + ".id");
      if (spec.content.empty()) throw Error(fmt::format("{}.content: an added token cannot be empty", where));
      add_token(spec, id, false);
    }
  }
  if (config != nullptr) {
    for (const auto& [declared_id, spec] : config->added_tokens_decoder) add_token(spec, std::nullopt, true);
    bos_id_ = named_token(*config, rules, "bos_token");
    eos_id_ = named_token(*config, rules, "eos_token");
    for (const char* name : {"unk_token", "sep_token", "cls_token", "mask_token"}) named_token(*config, rules, name);
    pad_id_ = named_token(*config, rules, "pad_token");
    for (const AddedTokenSpec& spec : config->extra_special_tokens) {
      AddedTokenSpec s = spec;
      s.special = true;
      add_token(s, std::nullopt, true);
    }
    // No update_post_processor for a tokenizer.json: transformers 5.24 keeps the file's
    // post-processor whatever add_bos_token / add_eos_token say (measured for TokenizersBackend,
    // LlamaTokenizer, GemmaTokenizer and Qwen2Tokenizer, with and without a post-processor).
    // A class-built pipeline has none, so TokenizersBackend.update_post_processor makes
    // "[bos] $A [eos]" from add_bos_token / add_eos_token (each dropped when its token is null).
    if (built_by != nullptr) {
      template_ = SpecialTokenTemplate{};
      if (config->add_bos_token.value_or(false) && bos_id_) template_.prefix.push_back(*bos_id_);
      if (config->add_eos_token.value_or(false) && eos_id_) template_.suffix.push_back(*eos_id_);
    }
    clean_up_ = config->clean_up_tokenization_spaces.value_or(false) && config->clean_up_tokenization_spaces_for_bpe;
  }
  for (int32_t id : template_.prefix) {
    if (id >= vocab_size_) throw Error(fmt::format("{}: post_processor: id {} is beyond the vocabulary", path, id));
  }
  for (int32_t id : template_.suffix) {
    if (id >= vocab_size_) throw Error(fmt::format("{}: post_processor: id {} is beyond the vocabulary", path, id));
  }

  // Normalized added tokens are matched in normalized text, so their content is normalized too.
  for (size_t i = 0; i < added_.size(); ++i) {
    AddedTokenSpec spec = added_[i].spec;
    if (spec.normalized) {
      if (normalizer_) normalizer_->normalize(spec.content);
      normalized_matcher_.add(spec, static_cast<int>(i));
    } else {
      raw_matcher_.add(spec, static_cast<int>(i));
    }
  }
}

std::vector<int32_t> TokenizerJson::encode(const std::string& input, bool add_special_tokens) const {
  const std::string text = sanitize_utf8(input);
  std::vector<Piece> pieces;
  std::vector<TextSpan> raw_spans, spans;
  raw_matcher_.split(text, 0, raw_spans);
  for (const TextSpan& r : raw_spans) {
    if (r.index >= 0) {
      pieces.push_back({std::string(), r.index, r.begin == 0});
      continue;
    }
    std::string chunk = text.substr(r.begin, r.end - r.begin);
    if (normalizer_) normalizer_->normalize(chunk);
    spans.clear();
    normalized_matcher_.split(chunk, 0, spans);
    for (const TextSpan& s : spans) {
      pieces.push_back({s.index >= 0 ? std::string() : chunk.substr(s.begin, s.end - s.begin), s.index,
                        r.begin == 0 && s.begin == 0});
    }
  }
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids.insert(ids.end(), template_.prefix.begin(), template_.prefix.end());
  for (const Piece& p : pieces) {
    if (p.added >= 0) {
      ids.push_back(added_[static_cast<size_t>(p.added)].id);
    } else {
      model_->tokenize(p.text, ids);
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), template_.suffix.begin(), template_.suffix.end());
  return ids;
}

const std::string* TokenizerJson::token_of(int32_t id) const {
  if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return &added_[it->second].spec.content;
  return model_->id_to_token(id);
}

std::string TokenizerJson::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0) throw Error(fmt::format("decode: token id {} at position {} is negative", id, i));
    const std::string* token = token_of(id);
    if (token == nullptr) continue;  // HF drops ids it has no token for
    if (skip_special_tokens) {
      auto it = added_by_id_.find(id);
      if (it != added_by_id_.end() && added_[it->second].spec.special) continue;
    }
    tokens.push_back(*token);
  }
  std::string out;
  if (decoder_) {
    decoder_->decode_chain(tokens);
    for (const std::string& t : tokens) out += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
  }
  if (clean_up_) clean_up_tokenization(out);
  return out;
}

std::string TokenizerJson::id_to_token(int32_t id) const {
  if (const std::string* t = token_of(id)) return *t;
  throw Error(fmt::format("token id {} is not in the vocabulary of {} (size {})", id, path_, vocab_size_));
}

std::optional<int32_t> TokenizerJson::token_to_id(const std::string& token) const {
  if (auto it = added_by_content_.find(token); it != added_by_content_.end()) return added_[it->second].id;
  return model_->token_to_id(token);
}

}  // namespace

std::unique_ptr<Tokenizer> make_tokenizer_json_tokenizer(const std::string& path, const TokenizerConfig& config) {
  return make_tokenizer_from_json(read_json_file(path), path, config);
}

std::unique_ptr<Tokenizer> make_tokenizer_from_json(json tokenizer_json, const std::string& path_for_errors,
                                                    const TokenizerConfig& config) {
  if (!tokenizer_json.is_object()) {
    throw Error(fmt::format("{}: expected a JSON object at the top level", path_for_errors));
  }
  return std::make_unique<TokenizerJson>(std::move(tokenizer_json), path_for_errors, &config);
}

std::unique_ptr<Tokenizer> make_tokenizer_from_class_built_json(json tokenizer_json, const std::string& path_for_errors,
                                                                const TokenizerConfig& config,
                                                                const TransformersClassRules& rules) {
  if (!tokenizer_json.is_object()) {
    throw Error(fmt::format("{}: expected a JSON object at the top level", path_for_errors));
  }
  return std::make_unique<TokenizerJson>(std::move(tokenizer_json), path_for_errors, &config, &rules);
}

std::unique_ptr<Tokenizer> make_raw_tokenizer_json_tokenizer(const std::string& path) {
  return std::make_unique<TokenizerJson>(read_json_file(path), path, nullptr);
}

}  // namespace rewardkit::tokenize
