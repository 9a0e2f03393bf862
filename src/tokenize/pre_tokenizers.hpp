#pragma once
// tokenizer.json "pre_tokenizer": how normalized text is cut into the words the model tokenizes
// one by one (tokenizers' pre-tokenizers, on text only).
#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace rewardkit::tokenize {

// One piece of the text on its way to the model: an added token already resolved (added >= 0,
// text untouched by anything) or text still to tokenize.
struct Piece {
  std::string text;
  int added = -1;
  // The piece begins at the first byte of the input (tokenizers' offsets_original().0 == 0), which
  // Metaspace's prepend_scheme "first" asks for.
  bool at_input_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Rewrites/splits the text pieces of `pieces` in place; added pieces pass through. Never leaves
  // an empty text piece.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// nullptr for null. A type or setting rewardkit does not implement is an error naming it.
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& spec, const std::string& where);

// Metaspace's settings, shared by the pre-tokenizer and the decoder of that name.
enum class PrependScheme { always, first, never };
struct MetaspaceSettings {
  std::string replacement;  // one character, U+2581 in practice
  PrependScheme prepend_scheme = PrependScheme::always;
  bool split = true;
};
MetaspaceSettings parse_metaspace(const nlohmann::json& spec, const std::string& where);

// GPT-2's byte-to-character table (bytes_to_unicode), shared with the ByteLevel decoder.
const std::string& byte_level_char(unsigned char b);
// The byte a ByteLevel character stands for, or -1.
int byte_level_byte(char32_t c);

}  // namespace rewardkit::tokenize
