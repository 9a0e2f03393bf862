#include "tokenize/pre_tokenizers.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include <array>
#include <unordered_map>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/pattern_split.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;
using namespace json_fields;

namespace {

// Applies split_ranges to every text piece; only the first sub-piece keeps at_input_start.
void split_text_pieces(std::vector<Piece>& pieces, const SplitPattern& pattern, SplitBehavior behavior,
                       bool invert = false) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (Piece& p : pieces) {
    if (p.added >= 0) {
      out.push_back(std::move(p));
      continue;
    }
    for (auto [b, e] : split_ranges(p.text, pattern, behavior, invert)) {
      out.push_back({p.text.substr(b, e - b), -1, p.at_input_start && b == 0});
    }
  }
  pieces = std::move(out);
}

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(SplitPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_text_pieces(pieces, pattern_, behavior_, invert_);
  }

 private:
  SplitPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// GPT-2's pre-tokenization regex, which ByteLevel uses when use_regex is on.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct ByteLevelTable {
  std::array<std::string, 256> chars;
  std::unordered_map<char32_t, int> bytes;
  ByteLevelTable() {
    // bytes_to_unicode(): printable Latin-1 bytes map to themselves, the others to U+0100 + n.
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      append_utf8(chars[static_cast<size_t>(b)], cp);
      bytes[cp] = b;
    }
  }
};

const ByteLevelTable& byte_level_table() {
  static const ByteLevelTable table;
  return table;
}

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), regex_(use_regex ? SplitPattern::parse(json{{"Regex", kGpt2Pattern}}, "ByteLevel") : SplitPattern()), use_regex_(use_regex) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_) {
      for (Piece& p : pieces) {
        if (p.added < 0 && p.text.front() != ' ') p.text.insert(0, " ");
      }
    }
    if (use_regex_) split_text_pieces(pieces, regex_, SplitBehavior::isolated);
    const ByteLevelTable& table = byte_level_table();
    for (Piece& p : pieces) {
      if (p.added >= 0) continue;
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char b : p.text) mapped += table.chars[b];
      p.text = std::move(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  SplitPattern regex_;
  bool use_regex_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceSettings s)
      : replacement_(std::move(s.replacement)), scheme_(s.prepend_scheme), split_(s.split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (Piece& p : pieces) {
      if (p.added >= 0) continue;
      p.text = replace_all(p.text, SplitPattern::literal(" "), replacement_);
      const bool starts = p.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::always || (scheme_ == PrependScheme::first && p.at_input_start))) {
        p.text.insert(0, replacement_);
      }
    }
    if (split_) split_text_pieces(pieces, SplitPattern::literal(replacement_), SplitBehavior::merged_with_next);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

PrependScheme parse_prepend_scheme(const json& spec, const std::string& where) {
  if (auto s = optional_string(spec, "prepend_scheme", where)) {
    if (*s == "always") return PrependScheme::always;
    if (*s == "first") return PrependScheme::first;
    if (*s == "never") return PrependScheme::never;
    throw Error(fmt::format("{}.prepend_scheme: unknown value {:?}", where, *s));
  }
  // Files older than prepend_scheme say add_prefix_space.
  return bool_field(spec, "add_prefix_space", true, where) ? PrependScheme::always : PrependScheme::never;
}

}  // namespace

const std::string& byte_level_char(unsigned char b) { return byte_level_table().chars[b]; }

int byte_level_byte(char32_t c) {
  const auto& bytes = byte_level_table().bytes;
  auto it = bytes.find(c);
  return it == bytes.end() ? -1 : it->second;
}

MetaspaceSettings parse_metaspace(const json& spec, const std::string& where) {
  MetaspaceSettings m;
  m.replacement = string_field(spec, "replacement", where);
  char32_t cp;
  if (m.replacement.empty() || utf8_sequence(m.replacement, 0, &cp) != m.replacement.size()) {
    throw Error(fmt::format("{}.replacement: expected one character, got {:?}", where, m.replacement));
  }
  m.prepend_scheme = parse_prepend_scheme(spec, where);
  m.split = bool_field(spec, "split", true, where);
  return m;
}

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_of(spec, where);
  if (type == "Sequence") {
    const json& list = array_field(spec, "pretokenizers", where);
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto p = parse_pre_tokenizer(list[i], fmt::format("{}.pretokenizers[{}]", where, i))) parts.push_back(std::move(p));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(SplitPattern::parse(required(spec, "pattern", where), where + ".pattern"),
                                               parse_split_behavior(required(spec, "behavior", where), where + ".behavior"),
                                               bool_field(spec, "invert", false, where));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(bool_field(spec, "add_prefix_space", true, where),
                                                   bool_field(spec, "use_regex", true, where));
  }
  if (type == "Metaspace") {
    return std::make_unique<MetaspacePreTokenizer>(parse_metaspace(spec, where));
  }
  if (type == "Digits") {
    const bool individual = bool_field(spec, "individual_digits", false, where);
    return std::make_unique<SplitPreTokenizer>(SplitPattern::chars(is_numeric_char),
                                               individual ? SplitBehavior::isolated : SplitBehavior::contiguous, false);
  }
  if (type == "Punctuation") {
    auto it = spec.find("behavior");
    const SplitBehavior behavior = it == spec.end() ? SplitBehavior::isolated : parse_split_behavior(*it, where + ".behavior");
    return std::make_unique<SplitPreTokenizer>(SplitPattern::chars(is_punctuation), behavior, false);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<SplitPreTokenizer>(SplitPattern::chars(is_unicode_whitespace), SplitBehavior::removed, false);
  }
  if (type == "Whitespace") {
    // \w+|[^\w\s]+, the matches kept.
    return std::make_unique<SplitPreTokenizer>(SplitPattern::parse(json{{"Regex", R"(\w+|[^\w\s]+)"}}, where),
                                               SplitBehavior::removed, true);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    parts.push_back(std::make_unique<SplitPreTokenizer>(SplitPattern::chars(is_unicode_whitespace), SplitBehavior::removed, false));
    parts.push_back(std::make_unique<SplitPreTokenizer>(SplitPattern::chars(is_punctuation), SplitBehavior::isolated, false));
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  throw Error(fmt::format("{}: pre-tokenizer type \"{}\" is not supported by rewardkit (supported: Sequence, Split, "
                          "ByteLevel, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit, BertPreTokenizer)",
                          where, type));
}

}  // namespace rewardkit::tokenize
