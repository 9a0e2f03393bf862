#pragma once
// Reading typed fields of tokenizer.json objects with errors that say where: "<file>: pre_tokenizer
// .pretokenizers[1].behavior: ...". Header-only; for the tokenizer.json component parsers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "rewardkit/error.hpp"

namespace rewardkit::tokenize::json_fields {

inline const nlohmann::json& required(const nlohmann::json& spec, const char* key, const std::string& where) {
  auto it = spec.find(key);
  if (it == spec.end()) throw Error(fmt::format("{}: missing field \"{}\"", where, key));
  return *it;
}

inline std::string string_field(const nlohmann::json& spec, const char* key, const std::string& where) {
  const nlohmann::json& v = required(spec, key, where);
  if (!v.is_string()) throw Error(fmt::format("{}.{}: expected a string, got {}", where, key, v.dump()));
  return v.get<std::string>();
}

// Absent or null: nullopt.
inline std::optional<std::string> optional_string(const nlohmann::json& spec, const char* key, const std::string& where) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(fmt::format("{}.{}: expected a string or null, got {}", where, key, it->dump()));
  return it->get<std::string>();
}

// Absent or null: fallback.
inline bool bool_field(const nlohmann::json& spec, const char* key, bool fallback, const std::string& where) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(fmt::format("{}.{}: expected true or false, got {}", where, key, it->dump()));
  return it->get<bool>();
}

inline const nlohmann::json& array_field(const nlohmann::json& spec, const char* key, const std::string& where) {
  const nlohmann::json& v = required(spec, key, where);
  if (!v.is_array()) throw Error(fmt::format("{}.{}: expected an array, got {}", where, key, v.dump().substr(0, 200)));
  return v;
}

// Vocabulary, added-token and post-processor ids index dense tables (id -> token), so an id sizes
// them: 2^24 ids is 64x the largest released vocabularies (about 256k), and a larger id is a broken
// file, not a reason to allocate gigabytes (fuzzing found a 1.5e9 id asking for 47 GB).
inline constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

// A token id: an integer from 0 to kMaxTokenId. `where` names the field.
inline int32_t token_id(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    throw Error(fmt::format("{}: expected a non-negative integer id, got {}", where, v.dump().substr(0, 200)));
  }
  if (v.get<int64_t>() > kMaxTokenId) {
    throw Error(fmt::format("{}: id {} is beyond the largest supported id {}", where, v.get<int64_t>(), kMaxTokenId));
  }
  return static_cast<int32_t>(v.get<int64_t>());
}

// The "type" of a component object.
inline std::string type_of(const nlohmann::json& spec, const std::string& where) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    throw Error(fmt::format("{}: expected an object with a \"type\", got {}", where, spec.dump().substr(0, 200)));
  }
  return spec["type"].get<std::string>();
}

}  // namespace rewardkit::tokenize::json_fields
