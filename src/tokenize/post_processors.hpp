#pragma once
// tokenizer.json "post_processor" for single sequences: the special-token ids that
// add_special_tokens puts before and after the text (TemplateProcessing, RobertaProcessing,
// BertProcessing, ByteLevel (ids untouched), Sequence of those).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rewardkit::tokenize {

struct SpecialTokenTemplate {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};

// Empty for null. Unsupported types, or a single template without exactly one $A, are errors.
SpecialTokenTemplate parse_post_processor(const nlohmann::json& spec, const std::string& where);

}  // namespace rewardkit::tokenize
