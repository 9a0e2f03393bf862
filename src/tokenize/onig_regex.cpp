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

std::vector<std::pair<size_t, size_t>> OnigRegex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  auto* reg = static_cast<regex_t*>(regex_);
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const OnigUChar* end = begin + text.size();
  std::unique_ptr<OnigRegion, void (*)(OnigRegion*)> region(onig_region_new(),
                                                             [](OnigRegion* r) { onig_region_free(r, 1); });
  size_t pos = 0;
  size_t last_match_end = std::string_view::npos;
  while (pos <= text.size()) {
    int r = onig_search(reg, begin, end, begin + pos, end, region.get(), ONIG_OPTION_NONE);
    if (r == ONIG_MISMATCH) break;
    if (r < 0) throw Error(fmt::format("regular expression {:?} failed: {}", pattern_, onig_message(r, nullptr)));
    const size_t b = static_cast<size_t>(region->beg[0]);
    const size_t e = static_cast<size_t>(region->end[0]);
    if (b == e) {
      // Step over one character after an empty match (or past the end).
      const size_t next = e < text.size() ? e + char_length(text, e) : text.size() + 1;
      if (last_match_end != e) out.emplace_back(b, e);
      pos = next;
    } else {
      out.emplace_back(b, e);
      pos = e;
    }
    last_match_end = e;
  }
  return out;
}

}  // namespace rewardkit::tokenize
