#pragma once
// Reading typed fields of tokenizer.json objects with errors that say where: "<file>: pre_tokenizer
// .pretokenizers[1].behavior: ...". Header-only; for the tokenizer.json component parsers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

// The "type" of a component object.
inline std::string type_of(const nlohmann::json& spec, const std::string& where) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    throw Error(fmt::format("{}: expected an object with a \"type\", got {}", where, spec.dump().substr(0, 200)));
  }
  return spec["type"].get<std::string>();
}

}  // namespace rewardkit::tokenize::json_fields
