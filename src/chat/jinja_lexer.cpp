#include "chat/jinja_lexer.hpp"

#include "chat/jinja_value.hpp"
#include "rewardkit/error.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstring>

namespace rewardkit::chat {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

[[noreturn]] void fail(int line, const std::string& what) {
  throw Error(fmt::format("chat template line {}: {}", line, what));
}

class Lexer {
 public:
  explicit Lexer(std::string src) : s_(std::move(src)) {}

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < s_.size()) {
      size_t tag = find_tag(pos);
      std::string text = s_.substr(pos, (tag == std::string::npos ? s_.size() : tag) - pos);
      if (tag == std::string::npos) {
        emit_text(text, pos);
        break;
      }
      char kind = s_[tag + 1];  // '{', '%' or '#'
      char sign = tag + 2 < s_.size() ? s_[tag + 2] : '\0';
      if (sign != '-' && sign != '+') sign = '\0';
      if (sign == '-') {
        size_t e = text.size();
        while (e > 0 && is_ws(text[e - 1])) --e;
        text.resize(e);
      } else if (sign != '+' && kind != '{') {  // lstrip_blocks
        size_t nl = text.rfind('\n');
        size_t lpos = nl == std::string::npos ? 0 : nl + 1;
        if (lpos > 0 || line_starting) {
          bool all_ws = true;
          for (size_t i = lpos; i < text.size(); ++i) all_ws = all_ws && is_ws(text[i]);
          if (all_ws) text.resize(lpos);
        }
      }
      emit_text(text, pos);
      advance_lines(pos, tag);
      size_t p = tag + 2 + (sign ? 1 : 0);
      if (kind == '#') {
        size_t end = s_.find("#}", p);
        if (end == std::string::npos) fail(line_, "unclosed comment");
        bool strip = end > p && s_[end - 1] == '-';
        p = end + 2;
        p = after_tag(p, strip, true);
      } else if (kind == '%' && try_raw(p)) {
        p = raw_pos_;
      } else {
        out_.push_back({kind == '{' ? Token::Kind::VarBegin : Token::Kind::BlockBegin, "", line_});
        p = lex_expr(p, kind == '{' ? '}' : '%');
      }
      advance_lines(tag, p);
      line_starting = p > 0 && s_[p - 1] == '\n';
      pos = p;
    }
    out_.push_back({Token::Kind::End, "", line_});
    return std::move(out_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string::npos; i = s_.find('{', i + 1))
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    return std::string::npos;
  }
  void emit_text(const std::string& text, size_t) {
    if (!text.empty()) out_.push_back({Token::Kind::Text, text, line_});
  }
  void advance_lines(size_t from, size_t to) {
    for (size_t i = from; i < to && i < s_.size(); ++i)
      if (s_[i] == '\n') ++line_;
  }
  // Whitespace control after a closing `}}`, `%}` or `#}`.
  size_t after_tag(size_t p, bool strip, bool block) {
    if (strip) {
      while (p < s_.size() && is_ws(s_[p])) ++p;
    } else if (block && p < s_.size() && s_[p] == '\n') {
      ++p;  // trim_blocks
    }
    return p;
  }
  // `{% raw %}...{% endraw %}`: p is just after `{%` (and its sign).
  bool try_raw(size_t p) {
    size_t q = p;
    while (q < s_.size() && is_ws(s_[q])) ++q;
    if (s_.compare(q, 3, "raw") != 0 || (q + 3 < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[q + 3])) || s_[q + 3] == '_')))
      return false;
    q += 3;
    while (q < s_.size() && is_ws(s_[q])) ++q;
    bool strip_open = false;
    if (q < s_.size() && s_[q] == '-') { strip_open = true; ++q; }
    if (s_.compare(q, 2, "%}") != 0) fail(line_, "malformed raw tag");
    q += 2;
    size_t body_start = after_tag(q, strip_open, true);
    // find {% endraw %} (with optional signs/whitespace)
    for (size_t t = s_.find("{%", body_start); t != std::string::npos; t = s_.find("{%", t + 1)) {
      size_t r = t + 2;
      bool lstrip = false;
      if (r < s_.size() && (s_[r] == '-' || s_[r] == '+')) { lstrip = s_[r] == '-'; ++r; }
      while (r < s_.size() && is_ws(s_[r])) ++r;
      if (s_.compare(r, 6, "endraw") != 0) continue;
      r += 6;
      while (r < s_.size() && is_ws(s_[r])) ++r;
      bool strip_close = false;
      if (r < s_.size() && s_[r] == '-') { strip_close = true; ++r; }
      if (s_.compare(r, 2, "%}") != 0) continue;
      std::string body = s_.substr(body_start, t - body_start);
      if (lstrip) {
        size_t e = body.size();
        while (e > 0 && is_ws(body[e - 1])) --e;
        body.resize(e);
      } else {
        size_t nl = body.rfind('\n');
        size_t lpos = nl == std::string::npos ? 0 : nl + 1;
        bool all_ws = true;
        for (size_t i = lpos; i < body.size(); ++i) all_ws = all_ws && is_ws(body[i]);
        if (all_ws && (lpos > 0 || (body_start > 0 && s_[body_start - 1] == '\n'))) body.resize(lpos);
      }
      emit_text(body, 0);
      raw_pos_ = after_tag(r + 2, strip_close, true);
      return true;
    }
    fail(line_, "unclosed raw block (missing endraw)");
  }

  size_t lex_expr(size_t p, char close) {
    int line = line_;
    while (true) {
      while (p < s_.size() && is_ws(s_[p])) {
        if (s_[p] == '\n') ++line;
        ++p;
      }
      if (p >= s_.size()) fail(line_, close == '}' ? "unclosed '{{' (missing '}}')" : "unclosed '{%' (missing '%}')");
      char c = s_[p];
      // end of tag, possibly with '-' strip sign
      if (c == '-' && p + 2 < s_.size() + 0 && s_[p + 1] == close && s_[p + 2] == '}') {
        out_.push_back({close == '}' ? Token::Kind::VarEnd : Token::Kind::BlockEnd, "", line});
        return after_tag(p + 3, true, close == '%');
      }
      if (c == '+' && close == '%' && p + 2 < s_.size() && s_[p + 1] == '%' && s_[p + 2] == '}') {
        out_.push_back({Token::Kind::BlockEnd, "", line});
        return p + 3;  // `+%}` keeps the newline
      }
      if (c == close && p + 1 < s_.size() && s_[p + 1] == '}') {
        out_.push_back({close == '}' ? Token::Kind::VarEnd : Token::Kind::BlockEnd, "", line});
        return after_tag(p + 2, false, close == '%');
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t q = p;
        while (q < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[q])) || s_[q] == '_')) ++q;
        out_.push_back({Token::Kind::Name, s_.substr(p, q - p), line});
        p = q;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t q = p;
        bool is_float = false;
        while (q < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[q])) || s_[q] == '_')) ++q;
        if (q + 1 < s_.size() && s_[q] == '.' && std::isdigit(static_cast<unsigned char>(s_[q + 1]))) {
          is_float = true;
          ++q;
          while (q < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[q])) || s_[q] == '_')) ++q;
        }
        if (q < s_.size() && (s_[q] == 'e' || s_[q] == 'E')) {
          size_t r = q + 1;
          if (r < s_.size() && (s_[r] == '+' || s_[r] == '-')) ++r;
          if (r < s_.size() && std::isdigit(static_cast<unsigned char>(s_[r]))) {
            is_float = true;
            q = r;
            while (q < s_.size() && std::isdigit(static_cast<unsigned char>(s_[q]))) ++q;
          }
        }
        std::string num;
        for (size_t i = p; i < q; ++i)
          if (s_[i] != '_') num += s_[i];
        out_.push_back({is_float ? Token::Kind::Float : Token::Kind::Int, num, line});
        p = q;
      } else if (c == '\'' || c == '"') {
        p = lex_string(p, line);
      } else {
        static const char* ops2[] = {"//", "**", "==", "!=", "<=", ">="};
        bool matched = false;
        for (const char* op : ops2)
          if (s_.compare(p, 2, op) == 0) {
            out_.push_back({Token::Kind::Op, op, line});
            p += 2;
            matched = true;
            break;
          }
        if (!matched) {
          if (std::strchr("+-*/%~<>=()[]{},.:|", c) == nullptr || c == '\0')
            fail(line, fmt::format("unexpected character '{}'", c));
          out_.push_back({Token::Kind::Op, std::string(1, c), line});
          ++p;
        }
      }
    }
  }

  size_t lex_string(size_t p, int& line) {
    char q = s_[p++];
    std::string out;
    while (true) {
      if (p >= s_.size()) fail(line, "unterminated string literal");
      char c = s_[p];
      if (c == q) return ++p, out_.push_back({Token::Kind::String, out, line}), p;
      if (c == '\n') ++line;
      if (c != '\\') {
        out += c;
        ++p;
        continue;
      }
      if (p + 1 >= s_.size()) fail(line, "unterminated string literal");
      char e = s_[p + 1];
      p += 2;
      auto hex = [&](size_t n) {
        // Python: exactly n hex digits, a code point up to U+10FFFF (else a syntax error).
        if (p + n > s_.size()) fail(line, "bad escape in string literal");
        uint32_t value = 0;
        for (size_t k = p; k < p + n; ++k) {
          const char c = s_[k];
          if (!std::isxdigit(static_cast<unsigned char>(c))) fail(line, "bad escape in string literal");
          value = value * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        if (value > 0x10FFFF) fail(line, "bad escape in string literal: code point out of range");
        char32_t cp = static_cast<char32_t>(value);
        p += n;
        out += utf8_encode(std::u32string(1, cp));
      };
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': ++line; break;
        case 'x': hex(2); break;
        case 'u': hex(4); break;
        case 'U': hex(8); break;
        default: out += '\\'; out += e; break;
      }
    }
  }

  std::string s_;
  std::vector<Token> out_;
  int line_ = 1;
  size_t raw_pos_ = 0;
};

}  // namespace

std::vector<Token> tokenize_template(const std::string& source) {
  // jinja2 normalizes newlines and, without keep_trailing_newline, drops one trailing newline.
  std::string s;
  s.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      s += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      s += source[i];
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return Lexer(std::move(s)).run();
}

}  // namespace rewardkit::chat
