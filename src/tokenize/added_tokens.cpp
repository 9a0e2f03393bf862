#include "tokenize/added_tokens.hpp"

#include <algorithm>

#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

void AddedTokenMatcher::add(const AddedTokenSpec& spec, int index) {
  if (spec.content.empty()) return;
  int node = 0;
  for (unsigned char c : spec.content) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      it = edges_.emplace(key, static_cast<int>(terminal_.size())).first;
      terminal_.push_back(-1);
    }
    node = it->second;
  }
  if (terminal_[static_cast<size_t>(node)] >= 0) {
    specs_[static_cast<size_t>(terminal_[static_cast<size_t>(node)])] = {spec, index};  // the later one wins
    return;
  }
  terminal_[static_cast<size_t>(node)] = static_cast<int>(specs_.size());
  specs_.push_back({spec, index});
}

int AddedTokenMatcher::longest_at(std::string_view s, size_t pos, size_t* len) const {
  int node = 0, best = -1;
  for (size_t i = pos; i < s.size(); ++i) {
    auto it = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]));
    if (it == edges_.end()) break;
    node = it->second;
    if (terminal_[static_cast<size_t>(node)] >= 0) {
      best = terminal_[static_cast<size_t>(node)];
      *len = i + 1 - pos;
    }
  }
  return best;
}

// tokenizers' AddedVocabulary::find_matches.
void AddedTokenMatcher::split(std::string_view s, size_t base, std::vector<TextSpan>& out) const {
  if (s.empty()) return;
  if (specs_.empty()) {
    out.push_back({base, base + s.size(), -1});
    return;
  }
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t len = 0;
    const int slot = longest_at(s, pos, &len);
    if (slot < 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + len;
    pos = stop;
    const AddedTokenSpec& tok = specs_[static_cast<size_t>(slot)].spec;
    if (tok.single_word) {
      const bool start_space = start == 0 || !is_word_char(last_code_point(s.substr(0, start)));
      char32_t next = 0;
      const bool stop_space = stop == s.size() || (utf8_sequence(s, stop, &next), !is_word_char(next));
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) {
      size_t new_start = start;
      while (new_start > 0) {
        if (!is_unicode_whitespace(last_code_point(s.substr(0, new_start)))) break;
        size_t i = new_start;
        do {
          --i;
        } while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80);
        new_start = i;
      }
      start = std::max(new_start, start_offset);
    }
    if (tok.rstrip) {
      while (stop < s.size()) {
        char32_t cp = 0;
        size_t n = utf8_sequence(s, stop, &cp);
        if (n == 0 || !is_unicode_whitespace(cp)) break;
        stop += n;
      }
      pos = stop;
    }
    if (start_offset < start) out.push_back({base + start_offset, base + start, -1});
    out.push_back({base + start, base + stop, specs_[static_cast<size_t>(slot)].index});
    start_offset = stop;
  }
  if (start_offset != s.size()) out.push_back({base + start_offset, base + s.size(), -1});
}

}  // namespace rewardkit::tokenize
