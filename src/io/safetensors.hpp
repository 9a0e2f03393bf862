#pragma once
// Memory-mapped safetensors checkpoints, single file or sharded through
// model.safetensors.index.json. Everything in a header is validated before any byte of tensor
// data is trusted; every error names the file and, where there is one, the tensor.
#include <ATen/ATen.h>

#include "io/safetensors_header.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rewardkit::io {

class MappedFile;

// One .safetensors file.
class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderBytes = kMaxSafetensorsHeaderBytes;

  explicit SafetensorsFile(const std::string& path);
  const std::string& path() const { return path_; }
  const std::map<std::string, TensorEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const TensorEntry& entry(const std::string& name) const;
  // A CPU tensor viewing the mapped bytes (copied only when the data is misaligned). It keeps
  // the mapping alive; never write to it.
  at::Tensor tensor(const std::string& name) const;

 private:
  std::string path_;
  std::shared_ptr<MappedFile> map_;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::map<std::string, TensorEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// The tensors of a checkpoint directory: model.safetensors, or the shards that
// model.safetensors.index.json names.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir);
  const std::string& dir() const { return dir_; }
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  std::vector<std::string> names() const;
  const TensorEntry& entry(const std::string& name) const;
  // The file holding `name`, for error messages.
  const std::string& file_of(const std::string& name) const;
  at::Tensor tensor(const std::string& name) const;
  // Total bytes of tensor data, for reporting.
  uint64_t data_bytes() const;

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

// The ATen type for a dtype name rewardkit loads (F32, F16, BF16, and the integer types).
at::ScalarType safetensors_scalar_type(const std::string& dtype);

}  // namespace rewardkit::io
