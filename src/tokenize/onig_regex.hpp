#pragma once
// The regular expressions of tokenizer.json files (Split patterns, Replace normalizers), run by
// Oniguruma as Hugging Face tokenizers runs them: UTF-8, Oniguruma's default syntax, no
// options. `\p{L}`, lookahead and `(?i:...)` groups work as in the reference.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rewardkit::tokenize {

class OnigRegex {
 public:
  // Throws rewardkit::Error with Oniguruma's message for a pattern it rejects.
  explicit OnigRegex(const std::string& pattern);
  ~OnigRegex();
  OnigRegex(const OnigRegex&) = delete;
  OnigRegex& operator=(const OnigRegex&) = delete;

  const std::string& pattern() const { return pattern_; }
  // Non-overlapping matches, left to right, as byte ranges [begin, end): the onig crate's
  // find_iter (an empty match right after a match is skipped; after an empty match the search
  // moves on one character). `text` must be valid UTF-8.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

  // Number of capture groups in the pattern (0 when it has none; named groups count too).
  int capture_count() const;
  // The same matches as find_all, each with its groups: element 0 is the whole match, element
  // g (1..capture_count()) capture group g; a group that took no part in the match is
  // {npos, npos}. `text` must be valid UTF-8.
  std::vector<std::vector<std::pair<size_t, size_t>>> find_all_groups(std::string_view text) const;

 private:
  std::string pattern_;
  void* regex_ = nullptr;  // OnigRegex (regex_t*), kept out of this header
};

}  // namespace rewardkit::tokenize
