#pragma once
// Splits a template into text and tag tokens, applying jinja2's whitespace control the way
// transformers configures it: trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
// plus the explicit `{%-` / `-%}` / `{{-` / `-}}` / `{#-` / `-#}` and the `{%+` opt-out.
#include <string>
#include <vector>

namespace rewardkit::chat {

struct Token {
  enum class Kind { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, End };
  Kind kind;
  std::string text;  // literal text, name, decoded string, number spelling, or operator
  int line = 1;
};

std::vector<Token> tokenize_template(const std::string& source);

}  // namespace rewardkit::chat
