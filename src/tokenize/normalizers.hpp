#pragma once
// tokenizer.json "normalizer": what runs over each stretch of text between added tokens before it
// is pre-tokenized (tokenizers' normalizers, on the text only: rewardkit keeps no offsets).
#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>

namespace rewardkit::tokenize {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Builds the normalizer a tokenizer.json describes; nullptr for null. `where` names the object in
// errors ("tokenizer.json: normalizer"). A type rewardkit does not implement is an error naming it.
std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& spec, const std::string& where);

}  // namespace rewardkit::tokenize
