#pragma once
// The safetensors header and the sharded index, parsed and validated from bytes. Nothing here
// touches tensors (or libtorch), so the fuzz targets can drive it directly; SafetensorsFile and
// Checkpoint (safetensors.hpp) build on it.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rewardkit::io {

// A tensor's entry in a safetensors header, after validation.
struct TensorEntry {
  std::string name;
  std::string dtype;             // the file's own name: "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;   // byte range within the data section
};

// Largest header accepted (the format's own reference implementation uses the same limit).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsHeader {
  std::map<std::string, TensorEntry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // where the data section starts in the file
};

// Parses the first `file_size` bytes of a safetensors file named `path` (for messages). Every
// claim is checked against the file size before it is trusted: header length, dtype names,
// shapes against byte ranges, ranges in bounds and not overlapping. Throws rewardkit::Error.
SafetensorsHeader parse_safetensors_header(const uint8_t* file, uint64_t file_size, const std::string& path);

// Bytes per element of a safetensors dtype name; throws for a name the format does not define.
size_t safetensors_dtype_size(const std::string& dtype);

// model.safetensors.index.json: tensor name -> shard file name. Each shard must be a plain
// file name inside the checkpoint directory. `path` names the index in messages.
std::map<std::string, std::string> parse_safetensors_index(std::string_view text, const std::string& path);

}  // namespace rewardkit::io
