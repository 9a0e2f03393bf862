// config.json -> the architecture switches, on arbitrary text: a rewardkit::Error or a config
// whose sizes the decoder can build from.
#include "fuzz_common.hpp"
#include "nn/arch_config.hpp"
#include "rewardkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  try {
    const nn::ArchConfig c = nn::parse_arch_config(std::string(fuzz::as_text(data, size)), "fuzz/config.json");
    RK_FUZZ_CHECK(c.hidden_size > 0 && c.intermediate_size > 0 && c.num_layers > 0 && c.vocab_size > 0, "positive sizes");
    RK_FUZZ_CHECK(c.num_heads > 0 && c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0,
                  "query heads a multiple of key/value heads");
    RK_FUZZ_CHECK(c.head_dim > 0, "positive head size");
    RK_FUZZ_CHECK(static_cast<int64_t>(c.layer_window.size()) == c.num_layers, "one window per layer");
  } catch (const Error&) {
  }
  return 0;
}
