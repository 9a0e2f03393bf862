#include "tokenize/pattern_split.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "rewardkit/error.hpp"
#include "tokenize/onig_regex.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;

SplitBehavior parse_split_behavior(const json& value, const std::string& where) {
  const std::string name = value.is_string() ? value.get<std::string>() : value.dump();
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  throw Error(fmt::format("{}: unknown split behavior {}", where, name));
}

SplitPattern SplitPattern::parse(const json& pattern, const std::string& where) {
  if (pattern.is_object() && pattern.size() == 1) {
    if (auto s = pattern.find("String"); s != pattern.end() && s->is_string()) return literal(s->get<std::string>());
    if (auto r = pattern.find("Regex"); r != pattern.end() && r->is_string()) {
      SplitPattern p;
      try {
        p.regex_ = std::make_shared<const OnigRegex>(r->get<std::string>());
      } catch (const Error& e) {
        throw Error(fmt::format("{}.Regex: {}", where, e.what()));
      }
      return p;
    }
  }
  throw Error(fmt::format("{}: expected {{\"String\": ...}} or {{\"Regex\": ...}}, got {}", where, pattern.dump()));
}

SplitPattern SplitPattern::literal(std::string text) {
  SplitPattern p;
  p.literal_ = std::move(text);
  return p;
}

SplitPattern SplitPattern::chars(std::function<bool(char32_t)> predicate) {
  SplitPattern p;
  p.predicate_ = std::move(predicate);
  return p;
}

std::vector<std::pair<size_t, size_t>> SplitPattern::find(std::string_view text) const {
  if (regex_) return regex_->find_all(text);
  std::vector<std::pair<size_t, size_t>> out;
  if (predicate_) {
    char32_t cp = 0;
    for (size_t i = 0; i < text.size();) {
      size_t n = utf8_sequence(text, i, &cp);
      if (n == 0) n = 1, cp = 0xFFFD;
      if (predicate_(cp)) out.emplace_back(i, i + n);
      i += n;
    }
    return out;
  }
  if (literal_.empty()) return out;  // tokenizers: an empty string matches nothing
  for (size_t pos = text.find(literal_); pos != std::string_view::npos; pos = text.find(literal_, pos)) {
    out.emplace_back(pos, pos + literal_.size());
    pos += literal_.size();
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> split_ranges(std::string_view text, const SplitPattern& pattern,
                                                    SplitBehavior behavior, bool invert) {
  // Pattern::find_matches: the whole text as (range, is_match) segments.
  struct Segment {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Segment> segments;
  if (text.empty()) return {};
  size_t prev = 0;
  for (auto [b, e] : pattern.find(text)) {
    if (prev != b) segments.push_back({prev, b, false});
    segments.push_back({b, e, true});
    prev = e;
  }
  if (prev != text.size()) segments.push_back({prev, text.size(), false});
  if (invert) {
    for (Segment& s : segments) s.is_match = !s.is_match;
  }

  std::vector<std::pair<size_t, size_t>> out;
  switch (behavior) {
    case SplitBehavior::isolated:
      for (const Segment& s : segments) out.emplace_back(s.begin, s.end);
      break;
    case SplitBehavior::removed:
      for (const Segment& s : segments) {
        if (!s.is_match) out.emplace_back(s.begin, s.end);
      }
      break;
    case SplitBehavior::merged_with_previous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !out.empty()) {
          out.back().second = s.end;
        } else {
          out.emplace_back(s.begin, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::merged_with_next: {
      bool previous_match = false;
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) {
          out.back().first = it->begin;
        } else {
          out.emplace_back(it->begin, it->end);
        }
        previous_match = it->is_match;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
    case SplitBehavior::contiguous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match == previous_match && !out.empty()) {
          out.back().second = s.end;
        } else {
          out.emplace_back(s.begin, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    }
  }
  std::erase_if(out, [](const auto& r) { return r.first == r.second; });
  return out;
}

std::string replace_all(std::string_view text, const SplitPattern& pattern, std::string_view content) {
  std::string out;
  out.reserve(text.size());
  size_t prev = 0;
  for (auto [b, e] : pattern.find(text)) {
    out.append(text.substr(prev, b - prev));
    out.append(content);
    prev = e;
  }
  out.append(text.substr(prev));
  return out;
}

}  // namespace rewardkit::tokenize
