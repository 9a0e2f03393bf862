#pragma once
// tokenizers' NormalizedString::split: a pattern's matches cut a text into pieces, and a
// SplitDelimiterBehavior says what becomes of the matches. Shared by the Split, Digits,
// Metaspace, Punctuation and whitespace pre-tokenizers (and Replace, which only needs matches).
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rewardkit::tokenize {

class OnigRegex;

enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// "Removed", "Isolated", ... as tokenizer.json spells them.
SplitBehavior parse_split_behavior(const nlohmann::json& value, const std::string& where);

// What a tokenizer.json pattern matches: {"String": literal} or {"Regex": oniguruma pattern}, or
// a character class given in code.
class SplitPattern {
 public:
  static SplitPattern parse(const nlohmann::json& pattern, const std::string& where);
  static SplitPattern literal(std::string text);
  static SplitPattern chars(std::function<bool(char32_t)> predicate);

  // Matched byte ranges, left to right, not overlapping.
  std::vector<std::pair<size_t, size_t>> find(std::string_view text) const;

 private:
  std::string literal_;
  std::shared_ptr<const OnigRegex> regex_;
  std::function<bool(char32_t)> predicate_;
};

// The pieces of `text` (byte ranges, never empty) after splitting on `pattern`'s matches.
std::vector<std::pair<size_t, size_t>> split_ranges(std::string_view text, const SplitPattern& pattern,
                                                    SplitBehavior behavior, bool invert = false);

// text with every match of pattern replaced by `content`.
std::string replace_all(std::string_view text, const SplitPattern& pattern, std::string_view content);

}  // namespace rewardkit::tokenize
