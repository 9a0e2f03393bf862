#include "io/safetensors_header.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "rewardkit/error.hpp"

namespace rewardkit::io {

using nlohmann::json;

size_t safetensors_dtype_size(const std::string& d) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"I64", 8},  {"U64", 8}, {"F64", 8}};
  auto it = sizes.find(d);
  if (it == sizes.end()) throw Error(fmt::format("unknown dtype \"{}\"", d));
  return it->second;
}

namespace {

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Multiplies dimensions, refusing overflow so a lying header cannot wrap a size around.
bool checked_numel(const std::vector<int64_t>& shape, uint64_t elem, uint64_t& bytes) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    if (d < 0) return false;
    uint64_t u = static_cast<uint64_t>(d);
    if (u != 0 && n > UINT64_MAX / u) return false;
    n *= u;
  }
  bytes = n;
  return true;
}

TensorEntry parse_entry(const std::string& name, const json& value, uint64_t data_size, const std::string& path) {
  auto bad = [&](const std::string& what) {
    return Error(fmt::format("{}: tensor \"{}\": {}", path, name, what));
  };
  if (!value.is_object()) throw bad("entry is not an object");
  if (!value.contains("dtype") || !value["dtype"].is_string()) throw bad("missing or non-string \"dtype\"");
  if (!value.contains("shape") || !value["shape"].is_array()) throw bad("missing or non-array \"shape\"");
  if (!value.contains("data_offsets") || !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
    throw bad("\"data_offsets\" must be an array of two integers");
  TensorEntry e;
  e.name = name;
  e.dtype = value["dtype"].get<std::string>();
  size_t elem = 0;
  try {
    elem = safetensors_dtype_size(e.dtype);
  } catch (const Error& err) {
    throw bad(err.what());
  }
  for (auto& d : value["shape"]) {
    if (!d.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
    uint64_t u = d.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) throw bad("shape entry too large");
    e.shape.push_back(static_cast<int64_t>(u));
  }
  for (auto& o : value["data_offsets"])
    if (!o.is_number_unsigned()) throw bad("data_offsets must be non-negative integers");
  e.begin = value["data_offsets"][0].get<uint64_t>();
  e.end = value["data_offsets"][1].get<uint64_t>();
  if (e.end < e.begin) throw bad(fmt::format("data_offsets [{}, {}] end before they begin", e.begin, e.end));
  if (e.end > data_size)
    throw bad(fmt::format("data_offsets [{}, {}] run past the end of the data ({} bytes): truncated file?",
                          e.begin, e.end, data_size));
  uint64_t want = 0;
  if (!checked_numel(e.shape, elem, want)) throw bad("shape overflows");
  if (want != e.end - e.begin)
    throw bad(fmt::format("shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}",
                          fmt::join(e.shape, "x"), e.dtype, want, e.begin, e.end, e.end - e.begin));
  return e;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* file, uint64_t file_size, const std::string& path) {
  if (file_size < 8)
    throw Error(fmt::format("{}: not a safetensors file: {} bytes, shorter than the 8-byte header length",
                            path, file_size));
  const uint64_t header_len = read_u64_le(file);
  if (header_len > kMaxSafetensorsHeaderBytes)
    throw Error(fmt::format("{}: header length {} exceeds the limit of {} bytes", path, header_len,
                            kMaxSafetensorsHeaderBytes));
  if (header_len > file_size - 8)
    throw Error(fmt::format("{}: header length {} runs past the end of the file ({} bytes): truncated?",
                            path, header_len, file_size));
  const char* header_begin = reinterpret_cast<const char*>(file + 8);
  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: header is not valid JSON: {}", path, e.what()));
  }
  if (!header.is_object()) throw Error(fmt::format("{}: header is not a JSON object", path));

  SafetensorsHeader out;
  out.data_offset = 8 + header_len;
  const uint64_t data_size = file_size - out.data_offset;
  for (auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw Error(fmt::format("{}: __metadata__ is not an object", path));
      for (auto& [k, v] : value.items()) {
        if (!v.is_string()) throw Error(fmt::format("{}: __metadata__[\"{}\"] is not a string", path, k));
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    out.entries.emplace(name, parse_entry(name, value, data_size, path));
  }

  // Byte ranges must not overlap: sort by start and compare neighbours.
  std::vector<const TensorEntry*> by_start;
  for (auto& [_, e] : out.entries) by_start.push_back(&e);
  std::sort(by_start.begin(), by_start.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_start.size(); ++i) {
    const TensorEntry* prev = by_start[i - 1];
    const TensorEntry* cur = by_start[i];
    if (cur->begin < prev->end)
      throw Error(fmt::format("{}: tensors \"{}\" [{}, {}] and \"{}\" [{}, {}] overlap", path, prev->name,
                              prev->begin, prev->end, cur->name, cur->begin, cur->end));
  }
  return out;
}

std::map<std::string, std::string> parse_safetensors_index(std::string_view text, const std::string& path) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(fmt::format("{}: missing object \"weight_map\"", path));
  std::map<std::string, std::string> shard_of;
  for (auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw Error(fmt::format("{}: weight_map[\"{}\"] is not a file name", path, name));
    std::string shard = file.get<std::string>();
    if (shard.find('/') != std::string::npos || shard == "." || shard == ".." || shard.empty() ||
        shard.find('\0') != std::string::npos)
      throw Error(fmt::format("{}: weight_map[\"{}\"] = \"{}\" is not a file in the checkpoint directory",
                              path, name, shard));
    shard_of.emplace(name, std::move(shard));
  }
  return shard_of;
}

}  // namespace rewardkit::io
