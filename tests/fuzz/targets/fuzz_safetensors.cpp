// The safetensors header reader and the sharded index reader on arbitrary bytes: either a
// rewardkit::Error or a header whose every claim lies inside the file.
#include <algorithm>
#include <utility>
#include <vector>

#include "fuzz_common.hpp"
#include "io/safetensors_header.hpp"
#include "rewardkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  try {
    const io::SafetensorsHeader h = io::parse_safetensors_header(data, size, "fuzz.safetensors");
    RK_FUZZ_CHECK(h.data_offset >= 8 && h.data_offset <= size, "data section inside the file");
    uint64_t last_end = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& [name, e] : h.entries) {
      RK_FUZZ_CHECK(e.begin <= e.end && e.end <= size - h.data_offset, "tensor bytes inside the data section");
      uint64_t bytes = io::safetensors_dtype_size(e.dtype);
      for (int64_t d : e.shape) bytes *= static_cast<uint64_t>(d);
      RK_FUZZ_CHECK(bytes == e.end - e.begin, "shape agrees with the byte range");
      ranges.emplace_back(e.begin, e.end);
      last_end = std::max(last_end, e.end);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
      RK_FUZZ_CHECK(ranges[i].first >= ranges[i - 1].second, "tensors do not overlap");
  } catch (const Error&) {
  }
  try {
    for (const auto& [name, shard] : io::parse_safetensors_index(fuzz::as_text(data, size), "fuzz.index.json"))
      RK_FUZZ_CHECK(!shard.empty() && shard.find('/') == std::string::npos && shard != "..",
                    "shard names stay inside the checkpoint directory");
  } catch (const Error&) {
  }
  return 0;
}
