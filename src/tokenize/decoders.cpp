#include "tokenize/decoders.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <utility>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/pattern_split.hpp"
#include "tokenize/pre_tokenizers.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;
using namespace json_fields;

std::optional<unsigned char> byte_fallback_byte(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (t[3] == '+') {
    int lo = hex(t[4]);
    if (lo < 0) return std::nullopt;
    return static_cast<unsigned char>(lo);
  }
  int hi = hex(t[3]), lo = hex(t[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<unsigned char>(hi * 16 + lo);
}

void clean_up_tokenization(std::string& text) {
  for (auto [from, to] : {std::pair{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                          {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}}) {
    text = replace_all(text, SplitPattern::literal(from), to);
  }
}

namespace {

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

// All tokens to bytes through GPT-2's table (a token with a character outside it stays as its own
// UTF-8), then one lossy UTF-8 string.
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      std::string mapped;
      bool all = true;
      char32_t cp = 0;
      for (size_t i = 0; i < t.size();) {
        size_t n = utf8_sequence(t, i, &cp);
        const int b = n == 0 ? -1 : byte_level_byte(cp);
        if (b < 0) {
          all = false;
          break;
        }
        mapped.push_back(static_cast<char>(b));
        i += n;
      }
      bytes += all ? mapped : t;
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(SplitPattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = replace_all(t, pattern_, content_);
  }

 private:
  SplitPattern pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become their bytes when those are valid UTF-8, else one U+FFFD per byte.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (valid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back(kReplacementChar);
      }
      pending.clear();
    };
    for (std::string& t : tokens) {
      if (std::optional<unsigned char> b = byte_fallback_byte(t)) {
        pending.push_back(static_cast<char>(*b));
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& t : tokens) joined += t;
    tokens.assign(1, std::move(joined));
  }
};

// Up to `start` leading and `stop` trailing occurrences of one character, off every token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t k = 0; k < start_ && b < e && t.compare(b, content_.size(), content_) == 0; ++k) b += content_.size();
      for (size_t k = 0; k < stop_ && e >= b + content_.size() && t.compare(e - content_.size(), content_.size(), content_) == 0; ++k) {
        e -= content_.size();
      }
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

// The replacement character becomes a space; in the first token it is dropped instead, unless the
// prepend scheme is "never" (tokenizers' Metaspace::decode_chain).
class MetaspaceDecoder final : public Decoder {
 public:
  explicit MetaspaceDecoder(MetaspaceSettings s) : s_(std::move(s)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const bool drop = i == 0 && s_.prepend_scheme != PrependScheme::never;
      tokens[i] = replace_all(tokens[i], SplitPattern::literal(s_.replacement), drop ? "" : " ");
    }
  }

 private:
  MetaspaceSettings s_;
};

size_t count_field(const json& spec, const char* key, const std::string& where) {
  const json& v = required(spec, key, where);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    throw Error(fmt::format("{}.{}: expected a non-negative integer, got {}", where, key, v.dump()));
  }
  return v.get<size_t>();
}

}  // namespace

std::unique_ptr<Decoder> parse_decoder(const json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_of(spec, where);
  if (type == "Sequence") {
    const json& list = array_field(spec, "decoders", where);
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto d = parse_decoder(list[i], fmt::format("{}.decoders[{}]", where, i))) parts.push_back(std::move(d));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(SplitPattern::parse(required(spec, "pattern", where), where + ".pattern"),
                                            string_field(spec, "content", where));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(string_field(spec, "content", where), count_field(spec, "start", where),
                                          count_field(spec, "stop", where));
  }
  if (type == "Metaspace") return std::make_unique<MetaspaceDecoder>(parse_metaspace(spec, where));
  throw Error(fmt::format("{}: decoder type \"{}\" is not supported by rewardkit (supported: Sequence, ByteLevel, "
                          "Replace, ByteFallback, Fuse, Strip, Metaspace)",
                          where, type));
}

}  // namespace rewardkit::tokenize
