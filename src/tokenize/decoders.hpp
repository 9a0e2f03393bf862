#pragma once
// tokenizer.json "decoder": how tokens become text again (tokenizers' decoders, each a step of
// decode_chain over the token strings), plus the text rules transformers applies after it.
#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rewardkit::tokenize {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// nullptr for null (tokens are then joined with spaces, as tokenizers does).
std::unique_ptr<Decoder> parse_decoder(const nlohmann::json& spec, const std::string& where);

// tokenizers' ByteFallback test: exactly "<0x" + two characters + ">" that Rust's
// u8::from_str_radix(_, 16) accepts (it also takes a leading '+'). The byte, or nullopt.
std::optional<unsigned char> byte_fallback_byte(std::string_view token);

// transformers' clean_up_tokenization: " ." -> "." and the like, for clean_up_tokenization_spaces.
void clean_up_tokenization(std::string& text);

}  // namespace rewardkit::tokenize
