#include "tokenize/normalizers.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include <cstdlib>
#include <vector>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/pattern_split.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;
using namespace json_fields;

namespace {

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_) p->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

// NFC / NFD / NFKC / NFKD through utf8proc.
class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(int options) : options_(options) {}
  void normalize(std::string& text) const override {
    if (text.empty()) return;
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                     &out, static_cast<utf8proc_option_t>(options_));
    if (n < 0) throw Error(fmt::format("Unicode normalization failed: {}", utf8proc_errmsg(n)));
    text.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
  }

 private:
  int options_;
};

// Rewrites text one code point at a time: emit(out, code point, its bytes).
template <class Emit>
void map_code_points(std::string& text, Emit emit) {
  std::string out;
  out.reserve(text.size());
  char32_t cp = 0;
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i, &cp);
    if (n == 0) n = 1, cp = 0xFFFD;
    emit(out, cp, std::string_view(text).substr(i, n));
    i += n;
  }
  text = std::move(out);
}

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    map_code_points(text, [](std::string& out, char32_t cp, std::string_view) {
      if (cp == 0x130) {
        out.append("i\xCC\x87");  // Rust's to_lowercase: U+0130 -> "i" + U+0307
      } else {
        append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
      }
    });
  }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t b = 0, e = text.size();
    char32_t cp = 0;
    while (left_ && b < e) {
      size_t n = utf8_sequence(text, b, &cp);
      if (n == 0 || !is_unicode_whitespace(cp)) break;
      b += n;
    }
    while (right_ && e > b) {
      cp = last_code_point(std::string_view(text).substr(0, e));
      if (!is_unicode_whitespace(cp)) break;
      do {
        --e;
      } while (e > b && (static_cast<unsigned char>(text[e]) & 0xC0) == 0x80);
    }
    text = text.substr(b, e - b);
  }

 private:
  bool left_, right_;
};

// Removes combining marks (general category Mn), as tokenizers' StripAccents does.
class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    map_code_points(text, [](std::string& out, char32_t cp, std::string_view bytes) {
      if (utf8proc_category(static_cast<utf8proc_int32_t>(cp)) != UTF8PROC_CATEGORY_MN) out.append(bytes);
    });
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(SplitPattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = replace_all(text, pattern_, content_); }

 private:
  SplitPattern pattern_;
  std::string content_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend) : prepend_(std::move(prepend)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

}  // namespace

std::unique_ptr<Normalizer> parse_normalizer(const json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_of(spec, where);
  if (type == "Sequence") {
    const json& list = array_field(spec, "normalizers", where);
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto n = parse_normalizer(list[i], fmt::format("{}.normalizers[{}]", where, i))) parts.push_back(std::move(n));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(bool_field(spec, "strip_left", true, where),
                                             bool_field(spec, "strip_right", true, where));
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(SplitPattern::parse(required(spec, "pattern", where), where + ".pattern"),
                                               string_field(spec, "content", where));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(string_field(spec, "prepend", where));
  throw Error(fmt::format("{}: normalizer type \"{}\" is not supported by rewardkit (supported: Sequence, NFC, NFD, "
                          "NFKC, NFKD, Lowercase, StripAccents, Strip, Replace, Prepend)",
                          where, type));
}

}  // namespace rewardkit::tokenize
