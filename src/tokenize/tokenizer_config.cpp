#include "tokenize/tokenizer_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rewardkit/error.hpp"

namespace rewardkit::tokenize {

namespace fs = std::filesystem;
using nlohmann::json;

const AddedTokenSpec* TokenizerConfig::special_token(const std::string& name) const {
  auto it = special_tokens.find(name);
  if (it == special_tokens.end() || !it->second) return nullptr;
  return &*it->second;
}

const std::vector<std::string>& special_token_attributes() {
  static const std::vector<std::string> names = {"bos_token", "eos_token", "unk_token", "sep_token",
                                                 "pad_token", "cls_token", "mask_token"};
  return names;
}

namespace {

// nullopt when the file does not exist.
std::optional<json> read_json_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::exception& e) {
    throw Error(fmt::format("malformed JSON in {}: {}", path.string(), e.what()));
  }
}

std::optional<bool> optional_bool(const json& j, const char* key, const std::string& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw Error(fmt::format("{}: \"{}\" must be true or false, got {}", file, key, it->dump()));
  return it->get<bool>();
}

// A token as HF serializes one: a string, or {"content": ..., "lstrip": ..., ...} (optionally
// with "__type": "AddedToken"). `special_default` is what a dict without "special" gets.
AddedTokenSpec parse_token(const json& j, bool special_default, const std::string& file, const std::string& where) {
  AddedTokenSpec t;
  if (j.is_string()) {
    t.content = j.get<std::string>();
    t.special = special_default;
    t.normalized = !t.special;
    return t;
  }
  if (!j.is_object()) throw Error(fmt::format("{}: {} must be a string or an object, got {}", file, where, j.dump()));
  auto content = j.find("content");
  if (content == j.end() || !content->is_string()) {
    throw Error(fmt::format("{}: {} has no string \"content\"", file, where));
  }
  t.content = content->get<std::string>();
  auto flag = [&](const char* key, bool fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw Error(fmt::format("{}: {}.{} must be true or false", file, where, key));
    return it->get<bool>();
  };
  t.special = flag("special", special_default);
  t.lstrip = flag("lstrip", false);
  t.rstrip = flag("rstrip", false);
  t.single_word = flag("single_word", false);
  t.normalized = flag("normalized", !t.special);
  return t;
}

std::vector<AddedTokenSpec> parse_token_list(const json& j, const std::string& file, const std::string& key) {
  std::vector<AddedTokenSpec> out;
  if (j.is_null()) return out;
  if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) out.push_back(parse_token(j[i], true, file, fmt::format("{}[{}]", key, i)));
  } else if (j.is_object()) {  // model-specific named tokens: {"image_token": "<image>", ...}
    for (auto it = j.begin(); it != j.end(); ++it) {
      out.push_back(parse_token(it.value(), true, file, fmt::format("{}.{}", key, it.key())));
    }
  } else {
    throw Error(fmt::format("{}: \"{}\" must be a list or an object", file, key));
  }
  for (auto& t : out) t.special = true;
  return out;
}

void read_named_tokens(const json& j, const std::string& file, TokenizerConfig& config) {
  for (const std::string& name : special_token_attributes()) {
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (it->is_null()) {
      config.special_tokens[name] = std::nullopt;
      continue;
    }
    AddedTokenSpec t = parse_token(*it, true, file, "\"" + name + "\"");
    t.special = true;  // named tokens are special whatever the dict says
    config.special_tokens[name] = t;
  }
}

}  // namespace

TokenizerConfig read_tokenizer_config(const std::string& model_dir) {
  TokenizerConfig config;
  config.model_dir = model_dir;
  const fs::path dir(model_dir);

  const fs::path config_path = dir / "tokenizer_config.json";
  if (std::optional<json> j = read_json_file(config_path)) {
    const std::string file = config_path.string();
    if (!j->is_object()) throw Error(fmt::format("{}: expected a JSON object at the top level", file));
    config.config_path = file;
    config.raw = *j;
    if (auto it = j->find("tokenizer_class"); it != j->end() && it->is_string()) {
      config.tokenizer_class = it->get<std::string>();
    }
    config.add_bos_token = optional_bool(*j, "add_bos_token", file);
    config.add_eos_token = optional_bool(*j, "add_eos_token", file);
    config.legacy = optional_bool(*j, "legacy", file);
    config.add_prefix_space = optional_bool(*j, "add_prefix_space", file);
    config.clean_up_tokenization_spaces = optional_bool(*j, "clean_up_tokenization_spaces", file);
    config.clean_up_tokenization_spaces_for_bpe =
        optional_bool(*j, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", file)
            .value_or(false);
    if (auto it = j->find("model_max_length"); it != j->end() && it->is_number()) {
      // HF writes 1e30 for "no limit"; clamp instead of overflowing.
      double v = it->get<double>();
      config.model_max_length = v >= 9.0e18 ? INT64_MAX : static_cast<int64_t>(v);
    }
    read_named_tokens(*j, file, config);
    if (auto it = j->find("added_tokens_decoder"); it != j->end() && !it->is_null()) {
      if (!it->is_object()) throw Error(fmt::format("{}: \"added_tokens_decoder\" must be an object", file));
      for (auto e = it->begin(); e != it->end(); ++e) {
        int64_t id = 0;
        try {
          size_t used = 0;
          id = std::stoll(e.key(), &used);
          if (used != e.key().size() || id < 0) throw std::invalid_argument("bad id");
        } catch (const std::exception&) {
          throw Error(fmt::format("{}: added_tokens_decoder key \"{}\" is not a token id", file, e.key()));
        }
        config.added_tokens_decoder.emplace_back(
            id, parse_token(e.value(), false, file, fmt::format("added_tokens_decoder[\"{}\"]", e.key())));
      }
      std::stable_sort(config.added_tokens_decoder.begin(), config.added_tokens_decoder.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    if (auto it = j->find("extra_special_tokens"); it != j->end()) {
      config.extra_special_tokens = parse_token_list(*it, file, "extra_special_tokens");
    }
    if (auto it = j->find("additional_special_tokens"); it != j->end()) {
      config.additional_special_tokens = parse_token_list(*it, file, "additional_special_tokens");
    }
  }

  // transformers 5 (tokenization_utils_base.from_pretrained) reads special_tokens_map.json only
  // when tokenizer_config.json has no added_tokens_decoder, and then its values override.
  if (!config.raw.contains("added_tokens_decoder")) {
    const fs::path map_path = dir / "special_tokens_map.json";
    if (std::optional<json> j = read_json_file(map_path)) {
      const std::string file = map_path.string();
      if (!j->is_object()) throw Error(fmt::format("{}: expected a JSON object at the top level", file));
      config.special_tokens_map_path = file;
      read_named_tokens(*j, file, config);
      if (auto it = j->find("extra_special_tokens"); it != j->end()) {
        for (auto& t : parse_token_list(*it, file, "extra_special_tokens")) {
          bool seen = std::any_of(config.extra_special_tokens.begin(), config.extra_special_tokens.end(),
                                  [&](const AddedTokenSpec& e) { return e.content == t.content; });
          if (!seen) config.extra_special_tokens.push_back(t);
        }
      }
      if (auto it = j->find("additional_special_tokens"); it != j->end()) {
        config.additional_special_tokens = parse_token_list(*it, file, "additional_special_tokens");
      }
    }
  }

  // A named token given as a plain string takes its flags from added_tokens_decoder (HF maps
  // it through added_tokens_map).
  for (auto& [name, token] : config.special_tokens) {
    if (!token) continue;
    for (const auto& [id, added] : config.added_tokens_decoder) {
      if (added.content == token->content) {
        AddedTokenSpec copy = added;
        copy.special = true;
        token = copy;
        break;
      }
    }
  }
  return config;
}

}  // namespace rewardkit::tokenize
