#include "tokenize/transformers_classes.hpp"

#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;

namespace {

constexpr const char* kMetaspace = "\xE2\x96\x81";  // U+2581

// transformers' Qwen2Tokenizer PRETOKENIZE_REGEX.
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

bool mentions_byte_level(const json& j) {
  // transformers searches the file's text for "ByteLevel"; a component of that type is where it
  // can appear in a well-formed file.
  if (j.is_object()) {
    if (auto t = j.find("type"); t != j.end() && t->is_string() && *t == "ByteLevel") return true;
    for (const auto& [key, value] : j.items()) {
      if (key != "model" && key != "added_tokens" && mentions_byte_level(value)) return true;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (mentions_byte_level(v)) return true;
    }
  }
  return false;
}

// The file's BPE model with the class's flags (the vocabulary and merges stay).
void set_bpe_flags(json& tj, const std::string& path, json unk_token, bool fuse_unk, bool byte_fallback,
                   json continuing_subword_prefix, json end_of_word_suffix) {
  json& model = tj["model"];
  if (!model.is_object() || model.value("type", "") != "BPE") {
    throw Error(fmt::format("{}: model: the tokenizer class expects a BPE model, got type {}", path,
                            model.is_object() ? model.value("type", json("none")).dump() : model.dump()));
  }
  model["unk_token"] = std::move(unk_token);
  model["fuse_unk"] = fuse_unk;
  model["byte_fallback"] = byte_fallback;
  model["continuing_subword_prefix"] = std::move(continuing_subword_prefix);
  model["end_of_word_suffix"] = std::move(end_of_word_suffix);
  model["ignore_merges"] = false;
  model["dropout"] = nullptr;
}

json replace_spec(const std::string& from, const std::string& to) {
  return {{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
}

json named_token_string(const TokenizerConfig& config, const char* name, const char* fallback) {
  if (const AddedTokenSpec* t = config.special_token(name)) return t->content;
  if (config.has_special_token_key(name)) return nullptr;
  return fallback;
}

}  // namespace

TransformersClassRules apply_transformers_class(json& tj, const TokenizerConfig& config, const std::string& path) {
  TransformersClassRules rules;
  std::string cls = config.tokenizer_class.value_or("");
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);

  if (cls.empty() || cls == "TokenizersBackend" || cls == "PreTrainedTokenizer" ||
      (cls == "LlamaTokenizer" && mentions_byte_level(tj))) {
    rules.class_name = "TokenizersBackend";
    return rules;
  }

  if (cls == "LlamaTokenizer") {
    // LlamaTokenizer.__init__: add_prefix_space defaults to True, legacy to False;
    // _get_prepend_scheme: "always" when legacy, else "first"; "never" without add_prefix_space.
    const bool add_prefix_space = config.add_prefix_space.value_or(true);
    const char* scheme = !add_prefix_space ? "never" : config.legacy.value_or(false) ? "always" : "first";
    set_bpe_flags(tj, path, nullptr, true, true, nullptr, nullptr);
    tj["normalizer"] = nullptr;
    tj["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMetaspace}, {"prepend_scheme", scheme}, {"split", false}};
    json decoders = json::array({replace_spec(kMetaspace, " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}});
    if (add_prefix_space) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    tj["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
    rules.class_name = "LlamaTokenizer";
    rules.default_special_tokens = {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}};
    return rules;
  }

  if (cls == "GemmaTokenizer") {
    set_bpe_flags(tj, path, named_token_string(config, "unk_token", "<unk>"), true, true, nullptr, nullptr);
    tj["normalizer"] = replace_spec(" ", kMetaspace);
    tj["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}};
    tj["decoder"] = {{"type", "Sequence"},
                     {"decoders", json::array({replace_spec(kMetaspace, " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}})}};
    rules.class_name = "GemmaTokenizer";
    rules.default_special_tokens = {{"bos_token", "<bos>"}, {"eos_token", "<eos>"}, {"unk_token", "<unk>"},
                                    {"pad_token", "<pad>"}, {"mask_token", "<mask>"}};
    return rules;
  }

  if (cls == "Qwen2Tokenizer") {
    set_bpe_flags(tj, path, nullptr, false, false, "", "");
    tj["normalizer"] = {{"type", "NFC"}};
    tj["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         json::array({{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", config.add_prefix_space.value_or(false)}, {"use_regex", false}}})}};
    tj["decoder"] = {{"type", "ByteLevel"}};
    rules.class_name = "Qwen2Tokenizer";
    rules.default_special_tokens = {{"unk_token", "<|endoftext|>"}, {"bos_token", std::nullopt},
                                    {"eos_token", "<|endoftext|>"}, {"pad_token", "<|endoftext|>"}};
    return rules;
  }

  throw Error(fmt::format(
      "{}: tokenizer_class \"{}\" is not supported with a tokenizer.json: transformers rebuilds that class's "
      "pipeline in its own way, which rewardkit does not reproduce (supported: TokenizersBackend / "
      "PreTrainedTokenizerFast, LlamaTokenizer, GemmaTokenizer, Qwen2Tokenizer, and their Fast names)",
      config.config_path.empty() ? path : config.config_path, *config.tokenizer_class));
}

}  // namespace rewardkit::tokenize
