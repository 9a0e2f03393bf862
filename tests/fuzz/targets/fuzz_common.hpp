#pragma once
// Helpers shared by the fuzz targets. Each target is a libFuzzer entry point
// (LLVMFuzzerTestOneInput); the same sources also build against replay_main.cpp into plain
// programs that run committed inputs as regression tests in the normal test suite.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace rewardkit::fuzz {

// A property the code under test must keep; breaking it is a finding, like a crash.
#define RK_FUZZ_CHECK(cond, what)                                                   \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "fuzz property broken: %s (%s:%d)\n", what, __FILE__, __LINE__); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

// The input as a file that path-taking readers can open: an anonymous in-memory file.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("fuzz-input", MFD_CLOEXEC);
    RK_FUZZ_CHECK(fd_ >= 0, "memfd_create");
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      RK_FUZZ_CHECK(n > 0, "write to memfd");
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// The repository root: the targets load fixed tokenizers from its committed fixtures.
inline std::string fixtures_dir() { return REWARDKIT_FUZZ_SOURCE_DIR; }

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace rewardkit::fuzz
