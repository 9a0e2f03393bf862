#include "chat/jinja_parser.hpp"

#include "chat/jinja_lexer.hpp"
#include "rewardkit/error.hpp"

#include <fmt/format.h>

namespace rewardkit::chat {
namespace {

constexpr int kMaxDepth = 400;  // nesting of expressions and blocks (bounds recursion when rendering)

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  std::shared_ptr<Template> run() {
    auto tpl = std::make_shared<Template>();
    std::string stop;
    tpl->body = parse_body({}, &stop);
    return tpl;
  }

 private:
  using K = Token::Kind;
  const Token& peek(size_t k = 0) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  const Token& next() { const Token& t = t_[i_]; if (i_ + 1 < t_.size()) ++i_; return t; }
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw Error(fmt::format("chat template line {}: {}", line, what));
  }
  bool is_op(const char* op, size_t k = 0) const { return peek(k).kind == K::Op && peek(k).text == op; }
  bool is_name(const char* n, size_t k = 0) const { return peek(k).kind == K::Name && peek(k).text == n; }
  void expect_op(const char* op) {
    if (!is_op(op)) fail(peek().line, fmt::format("expected '{}' but found '{}'", op, describe(peek())));
    next();
  }
  std::string expect_name() {
    if (peek().kind != K::Name) fail(peek().line, fmt::format("expected a name but found '{}'", describe(peek())));
    return next().text;
  }
  void expect_block_end() {
    if (peek().kind != K::BlockEnd) fail(peek().line, fmt::format("expected end of tag '%}}' but found '{}'", describe(peek())));
    next();
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case K::End: return "end of template";
      case K::BlockEnd: return "%}";
      case K::VarEnd: return "}}";
      case K::Text: return "text";
      default: return t.text;
    }
  }
  struct DepthGuard {
    Parser& p;
    DepthGuard(Parser& p_, int line) : p(p_) {
      if (++p.depth_ > kMaxDepth) p.fail(line, "template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };
  // Left-nested chains (a + b + c, x|f|g, a.b.c) deepen the tree one level per link.
  struct ChainGuard {
    Parser& p;
    int added = 0;
    explicit ChainGuard(Parser& p_) : p(p_) {}
    void link(int line) {
      ++added;
      if (++p.depth_ > kMaxDepth) p.fail(line, "template nested too deeply");
    }
    ~ChainGuard() { p.depth_ -= added; }
  };

  // Parses statements until a block tag whose keyword is in `stops` (left unconsumed after the
  // keyword: *stop holds it). With no stops, runs to the end of the template.
  Body parse_body(const std::vector<std::string>& stops, std::string* stop) {
    Body body;
    int open_line = open_line_ > 0 ? open_line_ : peek().line;
    open_line_ = 0;
    while (true) {
      const Token& t = peek();
      if (t.kind == K::End) {
        if (!stops.empty())
          fail(open_line, fmt::format("unclosed block: expected '{{% {} %}}' before the end of the template", stops.back()));
        return body;
      }
      if (t.kind == K::Text) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::Text;
        s->line = t.line;
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.kind == K::VarBegin) {
        int line = next().line;
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::Output;
        s->line = line;
        s->expr = parse_tuple_or_expr();
        if (peek().kind != K::VarEnd) fail(peek().line, fmt::format("expected '}}}}' but found '{}'", describe(peek())));
        next();
        body.push_back(std::move(s));
      } else if (t.kind == K::BlockBegin) {
        next();
        if (peek().kind != K::Name) fail(peek().line, "expected a statement keyword after '{%'");
        const std::string kw = peek().text;
        for (const auto& st : stops)
          if (kw == st) {
            next();
            *stop = kw;
            return body;
          }
        parse_statement(body);
      } else {
        fail(t.line, fmt::format("unexpected '{}'", describe(t)));
      }
    }
  }

  Body body_until(int line, const std::vector<std::string>& stops, std::string* stop) {
    open_line_ = line;
    return parse_body(stops, stop);
  }

  void parse_statement(Body& body) {
    int line = peek().line;
    DepthGuard g(*this, line);
    std::string kw = next().text;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    std::string stop;
    if (kw == "if") {
      s->kind = Stmt::Kind::If;
      ExprPtr cond = parse_expr();
      expect_block_end();
      while (true) {
        Body b = body_until(line, {"elif", "else", "endif"}, &stop);
        s->branches.emplace_back(std::move(cond), std::move(b));
        if (stop == "elif") {
          cond = parse_expr();
          expect_block_end();
        } else if (stop == "else") {
          expect_block_end();
          Body eb = body_until(line, {"endif"}, &stop);
          s->branches.emplace_back(nullptr, std::move(eb));
          expect_block_end();
          break;
        } else {
          expect_block_end();
          break;
        }
      }
    } else if (kw == "for") {
      s->kind = Stmt::Kind::For;
      bool paren = false;
      if (is_op("(")) { next(); paren = true; }
      s->targets.push_back(expect_name());
      while (is_op(",")) {
        next();
        if (peek().kind != K::Name) break;
        s->targets.push_back(expect_name());
      }
      if (paren) expect_op(")");
      if (!is_name("in")) fail(peek().line, "expected 'in' in for loop");
      next();
      s->expr = parse_expr(/*no_cond=*/true);
      if (is_name("if")) {
        next();
        s->cond = parse_expr();
      }
      if (is_name("recursive")) fail(peek().line, "unsupported: recursive for loops");
      expect_block_end();
      s->body = body_until(line, {"else", "endfor"}, &stop);
      expect_block_end();
      if (stop == "else") {
        s->else_body = body_until(line, {"endfor"}, &stop);
        expect_block_end();
      }
    } else if (kw == "set") {
      std::string first = expect_name();
      if (is_op(".")) {
        next();
        s->ns_attr = expect_name();
      }
      s->targets.push_back(first);
      while (is_op(",") && s->ns_attr.empty()) {
        next();
        s->targets.push_back(expect_name());
      }
      if (is_op("=")) {
        next();
        s->kind = Stmt::Kind::Set;
        s->expr = parse_tuple_or_expr();
        expect_block_end();
      } else {
        if (s->targets.size() != 1 || !s->ns_attr.empty()) fail(line, "block set takes a single name");
        s->kind = Stmt::Kind::SetBlock;
        if (is_op("|")) s->expr = parse_filters(nullptr);
        expect_block_end();
        s->body = body_until(line, {"endset"}, &stop);
        expect_block_end();
      }
    } else if (kw == "macro") {
      s->kind = Stmt::Kind::Macro;
      s->name = expect_name();
      expect_op("(");
      while (!is_op(")")) {
        std::string p = expect_name();
        ExprPtr def;
        if (is_op("=")) {
          next();
          def = parse_expr();
        }
        s->params.emplace_back(p, std::move(def));
        if (!is_op(",")) break;
        next();
      }
      expect_op(")");
      expect_block_end();
      s->body = body_until(line, {"endmacro"}, &stop);
      if (peek().kind == K::Name) next();  // {% endmacro name %}
      expect_block_end();
    } else if (kw == "break" || kw == "continue") {
      s->kind = kw == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue;
      expect_block_end();
    } else if (kw == "filter") {
      s->kind = Stmt::Kind::FilterBlock;
      s->expr = parse_filter_chain_for_block();
      expect_block_end();
      s->body = body_until(line, {"endfilter"}, &stop);
      expect_block_end();
    } else if (kw == "generation") {
      // transformers' AssistantTracker: renders its body unchanged.
      expect_block_end();
      Body inner = body_until(line, {"endgeneration"}, &stop);
      expect_block_end();
      for (auto& st : inner) body.push_back(std::move(st));
      return;
    } else {
      fail(line, fmt::format("unsupported statement '{}'", kw));
    }
    body.push_back(std::move(s));
  }

  ExprPtr parse_filter_chain_for_block() {
    // `{% filter name(args) | other %}`: a Filter chain applied to the block's text (items[0] null).
    auto placeholder = make(Expr::Kind::Literal, peek().line);
    placeholder->value = Value(std::string());
    std::string name = expect_name();
    auto f = make_filter(std::move(placeholder), name, peek().line);
    return parse_filters(std::move(f));
  }

  static ExprPtr make(Expr::Kind k, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = line;
    return e;
  }

  // `a, b` at the top of {{ }} or set builds a tuple.
  ExprPtr parse_tuple_or_expr() {
    int line = peek().line;
    ExprPtr first = parse_expr();
    if (!is_op(",")) return first;
    auto t = make(Expr::Kind::Tuple, line);
    t->items.push_back(std::move(first));
    while (is_op(",")) {
      next();
      if (peek().kind == K::BlockEnd || peek().kind == K::VarEnd) break;
      t->items.push_back(parse_expr());
    }
    return t;
  }

  ExprPtr parse_expr(bool no_cond = false) {
    DepthGuard g(*this, peek().line);
    ExprPtr e = parse_or();
    if (no_cond) return e;
    ChainGuard cg(*this);
    while (is_name("if")) {
      cg.link(peek().line);
      int line = next().line;
      auto c = make(Expr::Kind::CondExpr, line);
      ExprPtr test = parse_or();
      ExprPtr other;
      if (is_name("else")) {
        next();
        other = parse_expr();
      }
      c->items.push_back(std::move(e));
      c->items.push_back(std::move(test));
      c->items.push_back(std::move(other));
      e = std::move(c);
    }
    return e;
  }
  // `a or b or c` / `a and b`: left-associative chains of one keyword.
  ExprPtr logical_chain(const char* keyword, Expr::Kind kind, ExprPtr (Parser::*operand)()) {
    ExprPtr l = (this->*operand)();
    ChainGuard cg(*this);
    while (is_name(keyword)) {
      cg.link(peek().line);
      auto n = make(kind, next().line);
      n->items.push_back(std::move(l));
      n->items.push_back((this->*operand)());
      l = std::move(n);
    }
    return l;
  }
  ExprPtr parse_or() { return logical_chain("or", Expr::Kind::Or, &Parser::parse_and); }
  ExprPtr parse_and() { return logical_chain("and", Expr::Kind::And, &Parser::parse_not); }
  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard g(*this, peek().line);
      auto n = make(Expr::Kind::Unary, next().line);
      n->name = "not";
      n->items.push_back(parse_not());
      return n;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    ExprPtr l = parse_math1();
    ExprPtr chain;
    ChainGuard cg(*this);
    while (true) {
      cg.link(peek().line);
      std::string op;
      int line = peek().line;
      if (peek().kind == K::Op && (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
                                   peek().text == ">" || peek().text == "<=" || peek().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      if (!chain) {
        chain = make(Expr::Kind::Compare, line);
        chain->items.push_back(std::move(l));
      }
      chain->ops.push_back(op);
      chain->items.push_back(parse_math1());
    }
    if (!chain) return l;
    if (chain->ops.size() == 1) {
      chain->kind = Expr::Kind::Binary;
      chain->name = chain->ops[0];
    }
    return chain;
  }
  ExprPtr binary(ExprPtr l, std::string op, ExprPtr r, int line) {
    auto n = make(Expr::Kind::Binary, line);
    n->name = std::move(op);
    n->items.push_back(std::move(l));
    n->items.push_back(std::move(r));
    return n;
  }
  // One precedence level of left-associative binary operators, as jinja2 parses them.
  ExprPtr operator_chain(std::initializer_list<const char*> ops, ExprPtr (Parser::*operand)()) {
    auto at_op = [&] {
      for (const char* op : ops)
        if (is_op(op)) return true;
      return false;
    };
    ExprPtr l = (this->*operand)();
    ChainGuard cg(*this);
    while (at_op()) {
      cg.link(peek().line);
      const Token& t = next();
      l = binary(std::move(l), t.text, (this->*operand)(), t.line);
    }
    return l;
  }
  ExprPtr parse_math1() { return operator_chain({"+", "-"}, &Parser::parse_concat); }
  ExprPtr parse_concat() { return operator_chain({"~"}, &Parser::parse_math2); }
  ExprPtr parse_math2() { return operator_chain({"*", "/", "//", "%"}, &Parser::parse_pow); }
  ExprPtr parse_pow() { return operator_chain({"**"}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }
  ExprPtr parse_unary(bool with_filter) {
    DepthGuard g(*this, peek().line);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      node = make(Expr::Kind::Unary, t.line);
      node->name = t.text;
      node->items.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filters(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case K::Name: {
        next();
        auto e = make(Expr::Kind::Literal, t.line);
        if (t.text == "true" || t.text == "True") e->value = Value(true);
        else if (t.text == "false" || t.text == "False") e->value = Value(false);
        else if (t.text == "none" || t.text == "None") e->value = Value::none();
        else {
          e->kind = Expr::Kind::Name;
          e->name = t.text;
        }
        return e;
      }
      case K::String: {
        auto e = make(Expr::Kind::Literal, t.line);
        std::string s;
        while (peek().kind == K::String) s += next().text;  // adjacent literals concatenate
        e->value = Value(std::move(s));
        return e;
      }
      case K::Int: {
        next();
        auto e = make(Expr::Kind::Literal, t.line);
        try {
          e->value = Value(static_cast<int64_t>(std::stoll(t.text)));
        } catch (...) {
          fail(t.line, fmt::format("integer literal out of range: {}", t.text));
        }
        return e;
      }
      case K::Float: {
        next();
        auto e = make(Expr::Kind::Literal, t.line);
        e->value = Value(std::strtod(t.text.c_str(), nullptr));  // 1e999 is inf, as in Python
        return e;
      }
      case K::Op:
        if (t.text == "(") {
          next();
          if (is_op(")")) {
            next();
            return make(Expr::Kind::Tuple, t.line);
          }
          ExprPtr e = parse_expr();
          if (is_op(",")) {
            auto tup = make(Expr::Kind::Tuple, t.line);
            tup->items.push_back(std::move(e));
            while (is_op(",")) {
              next();
              if (is_op(")")) break;
              tup->items.push_back(parse_expr());
            }
            e = std::move(tup);
          }
          expect_op(")");
          return e;
        }
        if (t.text == "[") {
          next();
          auto e = make(Expr::Kind::List, t.line);
          while (!is_op("]")) {
            e->items.push_back(parse_expr());
            if (!is_op(",")) break;
            next();
          }
          expect_op("]");
          return e;
        }
        if (t.text == "{") {
          next();
          auto e = make(Expr::Kind::Dict, t.line);
          while (!is_op("}")) {
            e->items.push_back(parse_expr());
            expect_op(":");
            e->items.push_back(parse_expr());
            if (!is_op(",")) break;
            next();
          }
          expect_op("}");
          return e;
        }
        break;
      default: break;
    }
    fail(t.line, fmt::format("unexpected '{}' in expression", describe(t)));
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (peek().kind == K::Name && is_op("=", 1)) {
        std::string k = next().text;
        next();
        call.kwargs.emplace_back(k, parse_expr());
      } else {
        if (is_op("*")) fail(peek().line, "unsupported: *args in calls");
        call.items.push_back(parse_expr());
      }
      if (!is_op(",")) break;
      next();
    }
    expect_op(")");
  }

  ExprPtr parse_postfix(ExprPtr node) {
    ChainGuard cg(*this);
    while (true) {
      cg.link(peek().line);
      int line = peek().line;
      if (is_op(".")) {
        next();
        auto a = make(Expr::Kind::Attr, line);
        if (peek().kind == K::Int) {  // x.0 means x[0]
          a->kind = Expr::Kind::Index;
          auto idx = make(Expr::Kind::Literal, line);
          const Token digits = next();
          try {
            idx->value = Value(static_cast<int64_t>(std::stoll(digits.text)));
          } catch (const std::exception&) {
            fail(digits.line, fmt::format("integer literal out of range: {}", digits.text));
          }
          a->items.push_back(std::move(node));
          a->items.push_back(std::move(idx));
        } else {
          a->name = expect_name();
          a->items.push_back(std::move(node));
        }
        node = std::move(a);
      } else if (is_op("[")) {
        next();
        ExprPtr parts[3];
        bool is_slice = false;
        int part = 0;
        while (true) {
          if (is_op(":")) {
            next();
            is_slice = true;
            if (++part > 2) fail(line, "bad slice");
            continue;
          }
          if (is_op("]")) break;
          if (parts[part]) fail(line, "bad subscript");
          parts[part] = parse_expr();
        }
        expect_op("]");
        if (is_slice) {
          auto s = make(Expr::Kind::Slice, line);
          s->items.push_back(std::move(node));
          for (auto& p : parts) s->items.push_back(std::move(p));
          node = std::move(s);
        } else {
          if (!parts[0]) fail(line, "empty subscript");
          auto s = make(Expr::Kind::Index, line);
          s->items.push_back(std::move(node));
          s->items.push_back(std::move(parts[0]));
          node = std::move(s);
        }
      } else if (is_op("(")) {
        auto c = make(Expr::Kind::Call, line);
        c->items.push_back(std::move(node));
        parse_call_args(*c);
        node = std::move(c);
      } else {
        return node;
      }
    }
  }

  ExprPtr make_filter(ExprPtr obj, const std::string& name, int line) {
    auto f = make(Expr::Kind::Filter, line);
    f->name = name;
    f->items.push_back(std::move(obj));
    if (is_op("(")) parse_call_args(*f);
    return f;
  }

  ExprPtr parse_filters(ExprPtr node) {
    ChainGuard cg(*this);
    while (true) {
      cg.link(peek().line);
      int line = peek().line;
      if (is_op("|")) {
        next();
        std::string name = expect_name();
        while (is_op(".")) {
          next();
          name += "." + expect_name();
        }
        node = make_filter(std::move(node), name, line);
      } else if (is_name("is")) {
        next();
        auto t = make(Expr::Kind::Test, line);
        if (is_name("not")) {
          next();
          t->negated = true;
        }
        t->name = expect_name();
        t->items.push_back(std::move(node));
        if (is_op("(")) {
          parse_call_args(*t);
        } else {
          const Token& n = peek();
          bool arg = n.kind == K::String || n.kind == K::Int || n.kind == K::Float ||
                     (n.kind == K::Op && (n.text == "[" || n.text == "{" || n.text == "-")) ||
                     (n.kind == K::Name && n.text != "else" && n.text != "or" && n.text != "and" && n.text != "if" &&
                      n.text != "is" && n.text != "not" && n.text != "in");
          if (arg) t->items.push_back(parse_primary_postfix());
        }
        node = std::move(t);
      } else if (is_op("(") && node && node->kind == Expr::Kind::Filter) {
        auto c = make(Expr::Kind::Call, line);
        c->items.push_back(std::move(node));
        parse_call_args(*c);
        node = std::move(c);
      } else {
        return node;
      }
    }
  }
  ExprPtr parse_primary_postfix() { return parse_postfix(parse_primary()); }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
  int open_line_ = 0;
};

}  // namespace

std::shared_ptr<Template> parse_template(const std::string& source) {
  try {
    return Parser(tokenize_template(source)).run();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // a library exception is still the template's error, never a crash
    throw Error(fmt::format("chat template does not parse: {}", e.what()));
  }
}

}  // namespace rewardkit::chat
