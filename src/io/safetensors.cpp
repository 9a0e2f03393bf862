#include "io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::io {

namespace fs = std::filesystem;

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

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  map_ = std::make_shared<MappedFile>(path);
  SafetensorsHeader header = parse_safetensors_header(map_->data(), map_->size(), path);
  data_ = map_->data() + header.data_offset;
  entries_ = std::move(header.entries);
  metadata_ = std::move(header.metadata);
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
    std::ifstream in(index, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open", index.string()));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::map<std::string, const SafetensorsFile*> opened;
    for (auto& [name, shard] : parse_safetensors_index(text, index.string())) {
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
