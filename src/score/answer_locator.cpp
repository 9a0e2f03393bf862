#include "rewardkit/answer_locator.hpp"

#include <fmt/format.h>

#include <memory>
#include <utility>
#include <vector>

#include "rewardkit/error.hpp"
#include "tokenize/onig_regex.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit {

namespace {

constexpr std::string_view kBoxOpen = "\\boxed{";

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_trailing_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// One left-to-right pass with a stack of open braces. For a box opened at p, the brace that
// pops its entry is the first '}' after p at which the braces counted from p balance: the same
// brace a scan started at p would find, so this equals "scan each box", in linear time.
std::optional<AnswerSpan> locate_boxed(std::string_view text) {
  constexpr size_t kNotBox = static_cast<size_t>(-1);
  std::vector<size_t> open;  // content begin of each open box, kNotBox for a plain brace
  std::optional<AnswerSpan> last;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') {
      const bool box = i + 1 >= kBoxOpen.size() && text.substr(i + 1 - kBoxOpen.size(), kBoxOpen.size()) == kBoxOpen;
      open.push_back(box ? i + 1 : kNotBox);
    } else if (c == '}' && !open.empty()) {
      const size_t begin = open.back();
      open.pop_back();
      // Boxes close in the reverse order of their opening, so keep the one that opened last.
      if (begin != kNotBox && (!last || begin > last->begin)) last = AnswerSpan{begin, i};
    }
  }
  if (last && last->begin == last->end) return std::nullopt;
  return last;
}

std::optional<AnswerSpan> locate_after_phrase(std::string_view text, const std::string& phrase) {
  const size_t at = text.rfind(phrase);
  if (at == std::string_view::npos) return std::nullopt;
  size_t begin = at + phrase.size();
  while (begin < text.size() && is_blank(text[begin])) ++begin;
  if (begin < text.size() && text[begin] == ':') ++begin;
  while (begin < text.size() && is_blank(text[begin])) ++begin;
  size_t end = text.find('\n', begin);
  if (end == std::string_view::npos) end = text.size();
  while (end > begin && is_trailing_space(text[end - 1])) --end;
  if (end > begin && text[end - 1] == '.') --end;
  while (end > begin && is_trailing_space(text[end - 1])) --end;
  if (end == begin) return std::nullopt;
  return AnswerSpan{begin, end};
}

}  // namespace

AnswerLocator boxed_answer() { return [](std::string_view text) { return locate_boxed(text); }; }

AnswerLocator answer_is_answer(std::string phrase) {
  if (phrase.empty()) throw Error("answer_is_answer: the phrase must not be empty");
  return [phrase = std::move(phrase)](std::string_view text) { return locate_after_phrase(text, phrase); };
}

AnswerLocator regex_answer(const std::string& pattern) {
  std::shared_ptr<const tokenize::OnigRegex> regex;
  try {
    regex = std::make_shared<const tokenize::OnigRegex>(pattern);
  } catch (const Error& e) {
    throw Error(fmt::format("regex_answer: {}", e.what()));
  }
  const size_t group = regex->capture_count() > 0 ? 1 : 0;
  return [regex, group](std::string_view text) -> std::optional<AnswerSpan> {
    if (const size_t bad = tokenize::first_invalid_utf8(text); bad != std::string_view::npos) {
      throw Error(fmt::format("regex_answer {:?}: the text is not valid UTF-8 (byte {} of {})", regex->pattern(),
                              bad, text.size()));
    }
    const auto matches = regex->find_all_groups(text);
    for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
      if ((*it)[0].first == (*it)[0].second) continue;  // empty matches are no location
      const auto [b, e] = (*it)[group];
      if (b == std::string_view::npos || b == e) return std::nullopt;
      return AnswerSpan{b, e};
    }
    return std::nullopt;
  };
}

}  // namespace rewardkit
