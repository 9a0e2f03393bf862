#include "io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "rewardkit/error.hpp"

namespace rewardkit::io {

namespace fs = std::filesystem;
using nlohmann::json;

// A read-only view of a whole file. MAP_PRIVATE so that a stray write can never reach the
// checkpoint on disk.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      throw Error(fmt::format("{}: cannot stat: {}", path, std::strerror(err)));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        throw Error(fmt::format("{}: cannot map: {}", path, std::strerror(err)));
      }
      data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

size_t safetensors_dtype_size(const std::string& d) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"I64", 8},  {"U64", 8}, {"F64", 8}};
  auto it = sizes.find(d);
  if (it == sizes.end()) throw Error(fmt::format("unknown dtype \"{}\"", d));
  return it->second;
}

at::ScalarType safetensors_scalar_type(const std::string& d) {
  if (d == "F32") return at::kFloat;
  if (d == "F16") return at::kHalf;
  if (d == "BF16") return at::kBFloat16;
  if (d == "F64") return at::kDouble;
  if (d == "I64") return at::kLong;
  if (d == "I32") return at::kInt;
  if (d == "I16") return at::kShort;
  if (d == "I8") return at::kChar;
  if (d == "U8") return at::kByte;
  if (d == "BOOL") return at::kBool;
  throw Error(fmt::format("dtype \"{}\" is not supported by rewardkit", d));
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

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  map_ = std::make_shared<MappedFile>(path);
  const uint64_t file_size = map_->size();
  if (file_size < 8)
    throw Error(fmt::format("{}: not a safetensors file: {} bytes, shorter than the 8-byte header length",
                            path, file_size));
  const uint64_t header_len = read_u64_le(map_->data());
  if (header_len > kMaxHeaderBytes)
    throw Error(fmt::format("{}: header length {} exceeds the limit of {} bytes", path, header_len,
                            kMaxHeaderBytes));
  if (header_len > file_size - 8)
    throw Error(fmt::format("{}: header length {} runs past the end of the file ({} bytes): truncated?",
                            path, header_len, file_size));
  const char* header_begin = reinterpret_cast<const char*>(map_->data() + 8);
  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: header is not valid JSON: {}", path, e.what()));
  }
  if (!header.is_object()) throw Error(fmt::format("{}: header is not a JSON object", path));

  data_ = map_->data() + 8 + header_len;
  const uint64_t data_size = file_size - 8 - header_len;

  for (auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw Error(fmt::format("{}: __metadata__ is not an object", path));
      for (auto& [k, v] : value.items()) {
        if (!v.is_string()) throw Error(fmt::format("{}: __metadata__[\"{}\"] is not a string", path, k));
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
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
    entries_.emplace(name, std::move(e));
  }

  // Byte ranges must not overlap: sort by start and compare neighbours.
  std::vector<const TensorEntry*> by_start;
  for (auto& [_, e] : entries_) by_start.push_back(&e);
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
}

const TensorEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(fmt::format("{}: no tensor \"{}\"", path_, name));
  return it->second;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorEntry& e = entry(name);
  at::ScalarType type;
  try {
    type = safetensors_scalar_type(e.dtype);
  } catch (const Error& err) {
    throw Error(fmt::format("{}: tensor \"{}\": {}", path_, name, err.what()));
  }
  const uint8_t* p = data_ + e.begin;
  const size_t elem = safetensors_dtype_size(e.dtype);
  auto opts = at::TensorOptions().dtype(type).device(at::kCPU);
  if (e.end == e.begin) return at::empty(e.shape, opts);
  if (reinterpret_cast<uintptr_t>(p) % elem != 0) {
    // Misaligned data (legal in the format, rare in practice): copy into aligned memory.
    at::Tensor t = at::empty(e.shape, opts);
    std::memcpy(t.data_ptr(), p, e.end - e.begin);
    return t;
  }
  std::shared_ptr<MappedFile> keep = map_;
  return at::from_blob(const_cast<uint8_t*>(p), e.shape, [keep](void*) mutable { keep.reset(); }, opts);
}

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
  const fs::path root(dir);
  const fs::path index = root / "model.safetensors.index.json";
  const fs::path single = root / "model.safetensors";
  if (fs::exists(index)) {
    std::ifstream in(index);
    if (!in) throw Error(fmt::format("{}: cannot open", index.string()));
    json j;
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: not valid JSON: {}", index.string(), e.what()));
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw Error(fmt::format("{}: missing object \"weight_map\"", index.string()));
    std::map<std::string, const SafetensorsFile*> opened;
    for (auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string())
        throw Error(fmt::format("{}: weight_map[\"{}\"] is not a file name", index.string(), name));
      const std::string shard = file.get<std::string>();
      if (shard.find('/') != std::string::npos || shard == ".." || shard.empty())
        throw Error(fmt::format("{}: weight_map[\"{}\"] = \"{}\" is not a file in the checkpoint directory",
                                index.string(), name, shard));
      auto it = opened.find(shard);
      if (it == opened.end()) {
        files_.push_back(std::make_unique<SafetensorsFile>((root / shard).string()));
        it = opened.emplace(shard, files_.back().get()).first;
      }
      if (!it->second->contains(name))
        throw Error(fmt::format("{}: weight_map puts tensor \"{}\" in {}, which does not hold it",
                                index.string(), name, shard));
      where_[name] = it->second;
    }
  } else if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
    for (auto& [name, _] : files_.back()->entries()) where_[name] = files_.back().get();
  } else {
    throw Error(fmt::format("{}: no model.safetensors or model.safetensors.index.json "
                            "(only safetensors checkpoints are supported)", dir));
  }
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (auto& [name, _] : where_) out.push_back(name);
  return out;
}

const TensorEntry& Checkpoint::entry(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(fmt::format("{}: checkpoint has no tensor \"{}\"", dir_, name));
  return it->second->entry(name);
}

const std::string& Checkpoint::file_of(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(fmt::format("{}: checkpoint has no tensor \"{}\"", dir_, name));
  return it->second->path();
}

at::Tensor Checkpoint::tensor(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(fmt::format("{}: checkpoint has no tensor \"{}\"", dir_, name));
  return it->second->tensor(name);
}

uint64_t Checkpoint::data_bytes() const {
  uint64_t total = 0;
  for (auto& [name, f] : where_) {
    const TensorEntry& e = f->entry(name);
    total += e.end - e.begin;
  }
  return total;
}

}  // namespace rewardkit::io
