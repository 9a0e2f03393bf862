#pragma once
// Recursive-descent parser for the jinja2 subset chat templates use, with jinja2's operator
// precedence (or < and < not < comparisons < + - < ~ < * / // % < ** < unary < postfix/filters).
// Nesting is bounded, so hostile templates fail with an error instead of exhausting the stack.
#include <memory>
#include <string>

#include "chat/jinja_ast.hpp"

namespace rewardkit::chat {

// Tokenizes (tokenize_template) and parses; throws rewardkit::Error naming the line.
std::shared_ptr<Template> parse_template(const std::string& source);

}  // namespace rewardkit::chat
