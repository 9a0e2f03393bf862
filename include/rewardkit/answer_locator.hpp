#pragma once
// Answer locators: where the final answer sits in a response text. Confidence-as-reward (CRew,
// DESIGN 2) scores the probabilities of the answer's tokens only, so a scorer needs the answer
// as a byte range of the text it tokenized.
//
// Every locator works on bytes and returns offsets into the text it was given. The delimiters
// it looks for are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character, so
// spans never split a character of valid UTF-8 text. A locator returns std::nullopt when the
// text has no answer, and never an empty span.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rewardkit {

// Byte offsets into the text, [begin, end).
struct AnswerSpan {
  size_t begin = 0;
  size_t end = 0;

  size_t size() const { return end - begin; }
  std::string_view in(std::string_view text) const { return text.substr(begin, end - begin); }
  bool operator==(const AnswerSpan&) const = default;
};

using AnswerLocator = std::function<std::optional<AnswerSpan>(std::string_view text)>;

// The content between the braces of the last complete `\boxed{...}`, the convention of math
// answers (MATH, GSM8K with boxed prompts, the CRew paper).
//   - Braces nest: `\boxed{\frac{1}{2}}` gives `\frac{1}{2}`. Every `{` and `}` counts,
//     including LaTeX's escaped `\{` and `\}` (as the Python reference counts them; escaped
//     braces come in pairs in practice, so this rarely matters).
//   - "Last" means the box whose `\boxed{` starts last. A box is complete when its opening
//     brace is closed; an unclosed box (a truncated response: `\boxed{1} ... \boxed{2`) is
//     skipped, so the last complete box before it counts, and nullopt comes only when no box
//     is complete. In `\boxed{\boxed{x}}` the inner box starts last: the answer is `x`.
//   - Only the exact bytes `\boxed{` open a box. `\boxed {x}` (LaTeX ignores that space) is not
//     recognized, matching the reference, which searches for the literal `\boxed{`.
//   - The content is returned verbatim (spaces included). An empty last box `\boxed{}` gives
//     nullopt: the model's last word was no answer, and an earlier box is not used instead.
AnswerLocator boxed_answer();

// The text after the last occurrence of `phrase` (case-sensitive, matched anywhere, no word
// boundaries): spaces and tabs are skipped, then one optional ':', then spaces and tabs again;
// the answer runs to the end of the line ('\n', or the end of the text). Trailing whitespace
// (a '\r' of CRLF included) is dropped, then one trailing '.', then trailing whitespace again.
// "The answer is: 42." gives "42". An empty remainder after the last occurrence gives nullopt
// (an earlier occurrence is not used instead). An empty phrase is a rewardkit::Error.
AnswerLocator answer_is_answer(std::string phrase = "The answer is");

// The last match of an Oniguruma regular expression (Hugging Face tokenizers' engine, default
// syntax: `\d`, `\p{L}`, lookahead, `(?i:...)`). When the pattern has capture groups the answer
// is group 1 of the last match (with named groups, Oniguruma numbers only the named ones), else
// the whole match. Matches are found left to right without overlap; empty matches are not
// locations and are ignored (so `\d*` finds the last run of digits). When group 1 of the last
// non-empty match is empty or took no part in it, the result is nullopt (an earlier match is
// not used instead). An invalid pattern throws rewardkit::Error when the locator is made; text
// that is not valid UTF-8 throws rewardkit::Error naming the offending byte when it runs.
AnswerLocator regex_answer(const std::string& pattern);

}  // namespace rewardkit
