#include "tokenize/vocab_merges.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/tokenizer_json.hpp"
#include "tokenize/transformers_classes.hpp"

namespace rewardkit::tokenize {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// vocab.json: an object token -> id.
json read_vocab(const std::string& path) {
  json vocab;
  try {
    vocab = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error(fmt::format("malformed JSON in {}: {}", path, e.what()));
  }
  if (!vocab.is_object()) {
    throw Error(fmt::format("{}: expected a JSON object of token -> id, got {}", path, vocab.type_name()));
  }
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    json_fields::token_id(it.value(), fmt::format("{}: token {:?}", path, it.key()));
  return vocab;
}

// merges.txt as tokenizers' BPE::from_file reads it (see vocab_merges.hpp), checked against the
// vocabulary; [[a, b], ...] in rank order.
json read_merges(const std::string& path, const json& vocab, const std::string& vocab_path) {
  const std::string text = read_file(path);
  struct Line {
    std::string_view text;
    size_t number;
  };
  std::vector<Line> lines;
  size_t start = 0, number = 0;
  while (start < text.size()) {
    ++number;
    size_t end = text.find('\n', start);
    std::string_view line;
    if (end == std::string::npos) {
      line = std::string_view(text).substr(start);  // last line without a newline: kept as it is
      start = text.size();
    } else {
      line = std::string_view(text).substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
      start = end + 1;
    }
    lines.push_back({line, number});
  }
  while (!lines.empty() && lines.back().text.empty()) lines.pop_back();  // trailing blank lines

  json merges = json::array();
  for (const Line& l : lines) {
    if (l.text.substr(0, 8) == "#version") continue;
    const size_t space = l.text.find(' ');
    if (l.text.empty() || space == std::string_view::npos || l.text.find(' ', space + 1) != std::string_view::npos) {
      throw Error(fmt::format("{}:{}: expected two tokens separated by one space, got {:?}", path, l.number,
                              std::string(l.text)));
    }
    const std::string a(l.text.substr(0, space)), b(l.text.substr(space + 1));
    for (const std::string* part : {&a, &b}) {
      if (!vocab.contains(*part)) {
        throw Error(fmt::format("{}:{}: token {:?} of the merge {:?} is not in {}", path, l.number, *part,
                                std::string(l.text), vocab_path));
      }
    }
    if (!vocab.contains(a + b)) {
      throw Error(fmt::format("{}:{}: the merged token {:?} of {:?} is not in {}", path, l.number, a + b,
                              std::string(l.text), vocab_path));
    }
    merges.push_back(json::array({a, b}));
  }
  return merges;
}

// transformers' legacy added_tokens.json ({token: index}), read when tokenizer_config.json has no
// added_tokens_decoder: AddedToken(token, special = token is a named or extra special token of
// the config files, normalized = not special), added in index order (a repeated index keeps the
// last token, as the dict keyed by index does).
void add_legacy_added_tokens(const fs::path& file, TokenizerConfig& config) {
  std::error_code ec;
  if (config.raw.contains("added_tokens_decoder") || !fs::is_regular_file(file, ec)) return;
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(read_file(file.string()));
  } catch (const json::exception& e) {
    throw Error(fmt::format("malformed JSON in {}: {}", file.string(), e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object of token -> id", file.string()));
  std::vector<std::string> specials;
  for (const auto& [name, spec] : config.special_tokens) {
    if (spec) specials.push_back(spec->content);
  }
  for (const AddedTokenSpec& t : config.extra_special_tokens) specials.push_back(t.content);
  std::map<int64_t, AddedTokenSpec> by_index;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer()) {
      throw Error(fmt::format("{}: token {:?}: expected an integer id, got {}", file.string(), it.key(), it.value().dump()));
    }
    if (it.key().empty()) throw Error(fmt::format("{}: an added token cannot be empty", file.string()));
    AddedTokenSpec spec;
    spec.content = it.key();
    spec.special = std::find(specials.begin(), specials.end(), spec.content) != specials.end();
    spec.normalized = !spec.special;
    by_index[it.value().get<int64_t>()] = spec;
  }
  for (auto& [index, spec] : by_index) config.added_tokens_decoder.emplace_back(index, std::move(spec));
}

void check_class(const TokenizerConfig& config) {
  if (!config.tokenizer_class || is_gpt2_tokenizer_class(*config.tokenizer_class)) return;
  throw Error(fmt::format(
      "{}: tokenizer_class \"{}\" is not supported with vocab.json + merges.txt (and no tokenizer.json): rewardkit "
      "builds those files the way transformers' GPT2Tokenizer does, which other classes do differently, and only "
      "for GPT2Tokenizer/GPT2TokenizerFast checkpoints",
      config.config_path, *config.tokenizer_class));
}

}  // namespace

bool is_gpt2_tokenizer_class(const std::string& tokenizer_class) {
  return tokenizer_class == "GPT2Tokenizer" || tokenizer_class == "GPT2TokenizerFast";
}

json gpt2_tokenizer_json(const std::string& vocab_path, const std::string& merges_path, const TokenizerConfig& config) {
  check_class(config);
  json vocab = read_vocab(vocab_path);
  json merges = read_merges(merges_path, vocab, vocab_path);
  const bool add_prefix_space = config.add_prefix_space.value_or(false);
  // Key for key what tokenizers serializes for GPT2Tokenizer's backend (post_processor aside).
  return json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", std::move(vocab)},
        {"merges", std::move(merges)}}},
  };
}

std::unique_ptr<Tokenizer> make_vocab_merges_tokenizer(const std::string& vocab_path, const std::string& merges_path,
                                                       const TokenizerConfig& config) {
  json tj = gpt2_tokenizer_json(vocab_path, merges_path, config);
  TokenizerConfig settings = config;
  // transformers 5 turns additional_special_tokens into extra_special_tokens when there are none.
  if (settings.extra_special_tokens.empty()) settings.extra_special_tokens = settings.additional_special_tokens;
  add_legacy_added_tokens(fs::path(vocab_path).parent_path() / "added_tokens.json", settings);

  TransformersClassRules rules;
  rules.class_name = "GPT2Tokenizer";
  rules.default_special_tokens = {{"bos_token", kEndOfText}, {"eos_token", kEndOfText}, {"unk_token", kEndOfText},
                                  {"pad_token", std::nullopt}};
  const std::string where = fmt::format("{} + {}", vocab_path, fs::path(merges_path).filename().string());
  return make_tokenizer_from_class_built_json(std::move(tj), where, settings, rules);
}

}  // namespace rewardkit::tokenize
