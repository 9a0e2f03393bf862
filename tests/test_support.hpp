#pragma once
// Shared helpers for the test suites: where fixtures live, temporary directories, and a
// minimal safetensors writer for building broken checkpoints on purpose.
#include <ATen/ATen.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace rewardkit::testing {

namespace fs = std::filesystem;

inline fs::path fixtures_dir() {
  if (const char* env = std::getenv("REWARDKIT_TEST_FIXTURES")) return env;
  return REWARDKIT_TEST_FIXTURES;
}

// ../shared/assets beside the checkout, or REWARDKIT_SHARED_ASSETS; empty when absent.
inline fs::path shared_assets_dir() {
  fs::path p = std::getenv("REWARDKIT_SHARED_ASSETS") ? std::getenv("REWARDKIT_SHARED_ASSETS")
                                                       : REWARDKIT_SHARED_ASSETS;
  return fs::is_directory(p) ? fs::canonical(p) : fs::path();
}

// A fresh directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("rewardkit-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes a safetensors file: 8-byte little-endian header length, header text, data bytes.
inline void write_safetensors_raw(const fs::path& p, const std::string& header, const std::string& data,
                                  uint64_t declared_header_len = UINT64_MAX) {
  uint64_t n = declared_header_len == UINT64_MAX ? header.size() : declared_header_len;
  std::ofstream out(p, std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

// A valid file holding float32 tensors, for tests that start from something correct.
inline void write_safetensors(const fs::path& p, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (auto& [name, t] : tensors) {
    at::Tensor c = t.to(at::kFloat).contiguous();
    const size_t begin = data.size();
    data.append(static_cast<const char*>(c.data_ptr()), c.numel() * sizeof(float));
    header[name] = {{"dtype", "F32"}, {"shape", c.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  write_safetensors_raw(p, header.dump(), data);
}

}  // namespace rewardkit::testing
