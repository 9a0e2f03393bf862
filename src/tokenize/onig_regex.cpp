#include "tokenize/onig_regex.hpp"

#include <fmt/format.h>
#include <oniguruma.h>

#include <mutex>

#include "rewardkit/error.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

namespace {

void initialize_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar buf[ONIG_MAX_ERROR_MESSAGE_LEN];
  int n = info != nullptr ? onig_error_code_to_str(buf, code, info) : onig_error_code_to_str(buf, code);
  return std::string(reinterpret_cast<const char*>(buf), n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace

OnigRegex::OnigRegex(const std::string& pattern) : pattern_(pattern) {
  initialize_oniguruma();
  regex_t* reg = nullptr;
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  int r = onig_new(&reg, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
  if (r != ONIG_NORMAL) {
    throw Error(fmt::format("invalid regular expression {:?}: {}", pattern, onig_message(r, &info)));
  }
  regex_ = reg;
}

OnigRegex::~OnigRegex() {
  if (regex_ != nullptr) onig_free(static_cast<regex_t*>(regex_));
}

namespace {

// Calls on_match(region) for each match find_all reports, left to right.
template <class OnMatch>
void for_each_match(regex_t* reg, const std::string& pattern, std::string_view text, OnMatch&& on_match) {
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const OnigUChar* end = begin + text.size();
  std::unique_ptr<OnigRegion, void (*)(OnigRegion*)> region(onig_region_new(),
                                                             [](OnigRegion* r) { onig_region_free(r, 1); });
  size_t pos = 0;
  size_t last_match_end = std::string_view::npos;
  while (pos <= text.size()) {
    int r = onig_search(reg, begin, end, begin + pos, end, region.get(), ONIG_OPTION_NONE);
    if (r == ONIG_MISMATCH) break;
    if (r < 0) throw Error(fmt::format("regular expression {:?} failed: {}", pattern, onig_message(r, nullptr)));
    const size_t b = static_cast<size_t>(region->beg[0]);
    const size_t e = static_cast<size_t>(region->end[0]);
    if (b == e) {
      // Step over one character after an empty match (or past the end).
      const size_t next = e < text.size() ? e + char_length(text, e) : text.size() + 1;
      if (last_match_end != e) on_match(*region);
      pos = next;
    } else {
      on_match(*region);
      pos = e;
    }
    last_match_end = e;
  }
}

}  // namespace

std::vector<std::pair<size_t, size_t>> OnigRegex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  for_each_match(static_cast<regex_t*>(regex_), pattern_, text, [&](const OnigRegion& region) {
    out.emplace_back(static_cast<size_t>(region.beg[0]), static_cast<size_t>(region.end[0]));
  });
  return out;
}

int OnigRegex::capture_count() const { return onig_number_of_captures(static_cast<regex_t*>(regex_)); }

std::vector<std::vector<std::pair<size_t, size_t>>> OnigRegex::find_all_groups(std::string_view text) const {
  std::vector<std::vector<std::pair<size_t, size_t>>> out;
  const int groups = capture_count();
  for_each_match(static_cast<regex_t*>(regex_), pattern_, text, [&](const OnigRegion& region) {
    std::vector<std::pair<size_t, size_t>> spans;
    spans.reserve(static_cast<size_t>(groups) + 1);
    for (int g = 0; g <= groups; ++g) {
      if (g < region.num_regs && region.beg[g] != ONIG_REGION_NOTPOS) {
        spans.emplace_back(static_cast<size_t>(region.beg[g]), static_cast<size_t>(region.end[g]));
      } else {
        spans.emplace_back(std::string_view::npos, std::string_view::npos);
      }
    }
    out.push_back(std::move(spans));
  });
  return out;
}

}  // namespace rewardkit::tokenize
