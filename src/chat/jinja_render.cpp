#include "chat/jinja_render.hpp"

#include "rewardkit/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>

namespace rewardkit::chat {
namespace {

// Python's integers are unbounded; templates never need more than 64 bits, so a result that
// does not fit is a template error (kIntOverflow), never undefined behaviour.
constexpr const char* kIntOverflow = "integer overflow: the result does not fit in 64 bits";

// Python's int(x) for a float: NaN has no integer (nullopt); nor has a value outside int64.
std::optional<int64_t> float_to_int(double f) {
  if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) return std::nullopt;
  return static_cast<int64_t>(f);
}

using Frames = std::vector<std::shared_ptr<ValueDict>>;

[[noreturn]] void fail(int line, const std::string& what) {
  throw Error(fmt::format("chat template line {}: {}", line, what));
}

// ---- string helpers (Python semantics on code points) ----

std::string py_strip(const std::string& s, const Value* chars, bool left, bool right) {
  std::u32string u = utf8_decode(s);
  std::u32string set;
  bool ws = !chars || chars->is_none() || chars->is_undefined();
  if (!ws) set = utf8_decode(chars->str());
  auto strip_it = [&](char32_t c) { return ws ? is_py_space(c) : set.find(c) != std::u32string::npos; };
  size_t b = 0, e = u.size();
  if (left)
    while (b < e && strip_it(u[b])) ++b;
  if (right)
    while (e > b && strip_it(u[e - 1])) --e;
  return utf8_encode(u.substr(b, e - b));
}

std::vector<std::string> py_split(const std::string& s, const Value* sep, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  if (!sep || sep->is_none()) {
    std::u32string u = utf8_decode(s);
    std::vector<std::u32string> parts;
    if (!from_right) {
      size_t i = 0;
      while (i < u.size()) {
        while (i < u.size() && is_py_space(u[i])) ++i;
        if (i >= u.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
          size_t e = u.size();
          while (e > i && is_py_space(u[e - 1])) --e;
          parts.push_back(u.substr(i, e - i));
          break;
        }
        size_t j = i;
        while (j < u.size() && !is_py_space(u[j])) ++j;
        parts.push_back(u.substr(i, j - i));
        i = j;
      }
    } else {
      int64_t i = static_cast<int64_t>(u.size());
      while (i > 0) {
        while (i > 0 && is_py_space(u[i - 1])) --i;
        if (i <= 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
          size_t b = 0;
          while (b < static_cast<size_t>(i) && is_py_space(u[b])) ++b;
          parts.push_back(u.substr(b, i - b));
          break;
        }
        int64_t j = i;
        while (j > 0 && !is_py_space(u[j - 1])) --j;
        parts.push_back(u.substr(j, i - j));
        i = j;
      }
      std::reverse(parts.begin(), parts.end());
    }
    for (auto& p : parts) out.push_back(utf8_encode(p));
    return out;
  }
  const std::string d = sep->str();
  if (d.empty()) throw Error("split: empty separator");
  if (!from_right) {
    size_t pos = 0;
    while (true) {
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) break;
      size_t f = s.find(d, pos);
      if (f == std::string::npos) break;
      out.push_back(s.substr(pos, f - pos));
      pos = f + d.size();
    }
    out.push_back(s.substr(pos));
  } else {
    size_t end = s.size();
    while (true) {
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) break;
      if (end < d.size()) break;
      size_t f = s.rfind(d, end - d.size());
      if (f == std::string::npos) break;
      out.push_back(s.substr(f + d.size(), end - f - d.size()));
      end = f;
    }
    out.push_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
  }
  return out;
}

// Python's str.replace; the result may not grow past max_bytes (a few replaces of a short string
// by a longer one would otherwise exhaust memory before anything is emitted).
std::string py_replace(const std::string& s, const std::string& old, const std::string& rep, int64_t count,
                       size_t max_bytes) {
  std::string out;
  auto check_size = [&] {
    if (out.size() > max_bytes) throw Error(fmt::format("string too long (over {} bytes)", max_bytes));
  };
  if (old.empty()) {
    // Python inserts rep between every code point
    std::u32string u = utf8_decode(s);
    int64_t n = 0;
    for (size_t i = 0; i <= u.size(); ++i) {
      if (count < 0 || n < count) { out += rep; ++n; }
      if (i < u.size()) out += utf8_encode(std::u32string(1, u[i]));
      check_size();
    }
    return out;
  }
  size_t pos = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    size_t f = s.find(old, pos);
    if (f == std::string::npos) break;
    out += s.substr(pos, f - pos);
    out += rep;
    check_size();
    pos = f + old.size();
    ++n;
  }
  return out + s.substr(pos);
}

// Simple case mapping: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (no special casing).
char32_t cp_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 32;
  if (c == 0xff) return 0x178;
  if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17f) {
    bool odd_lower = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (odd_lower ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 32;
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}
char32_t cp_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
  if (c == 0x178) return 0xff;
  if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17f) {
    bool odd_lower = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (odd_lower ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}
std::string ascii_upper(const std::string& s) {
  std::u32string u = utf8_decode(s);
  for (auto& c : u) c = cp_upper(c);
  return utf8_encode(u);
}
std::string ascii_lower(const std::string& s) {
  std::u32string u = utf8_decode(s);
  for (auto& c : u) c = cp_lower(c);
  return utf8_encode(u);
}

// Python's `fmt % args` for %s %r %d %i %f %% (flags and widths for d/i/f/s).
std::string printf_format(const std::string& f, const ValueList& args) {
  std::string out;
  size_t k = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') { out += f[i]; continue; }
    if (++i >= f.size()) throw Error("incomplete format");
    if (f[i] == '%') { out += '%'; continue; }
    std::string spec = "%";
    while (i < f.size() && std::strchr("-+ 0#.0123456789", f[i])) spec += f[i++];
    if (i >= f.size()) throw Error("incomplete format");
    char conv = f[i];
    if (k >= args.size()) throw Error("not enough arguments for format string");
    const Value& v = args[k++];
    char buf[512];
    if (conv == 's' || conv == 'r') {
      std::string s = conv == 's' ? v.str() : v.repr();
      if (spec == "%") out += s;
      else { std::snprintf(buf, sizeof buf, (spec + "s").c_str(), s.c_str()); out += buf; }
    } else if (conv == 'd' || conv == 'i') {
      if (!v.is_number() && !v.is_bool()) throw Error("%d format: a real number is required");
      int64_t n = v.as_int();
      if (v.is_float()) {
        const auto i = float_to_int(v.as_number());
        if (!i) throw Error(fmt::format("%d format: {} has no 64-bit integer value", python_float_repr(v.as_number())));
        n = *i;
      }
      std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), static_cast<long long>(n));
      out += buf;
    } else if (conv == 'f' || conv == 'e' || conv == 'g') {
      if (!v.is_number() && !v.is_bool()) throw Error("must be real number");
      std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v.as_number());
      out += buf;
    } else {
      throw Error(fmt::format("unsupported format character '{}'", conv));
    }
  }
  if (k < args.size()) throw Error("not all arguments converted during string formatting");
  return out;
}
std::string py_capitalize(const std::string& s) {
  std::string out = ascii_lower(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}
std::string py_title(const std::string& s) {
  // jinja's do_title: words start after whitespace or one of "-({[<"; first char upper, rest lower.
  std::string out;
  bool start = true;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    bool sep = std::isspace(u) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      out += c;
      start = true;
    } else {
      out += static_cast<char>(start ? std::toupper(u) : std::tolower(u));
      start = false;
    }
  }
  return out;
}
std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

int64_t py_floordiv(int64_t a, int64_t b) {
  if (a == std::numeric_limits<int64_t>::min() && b == -1) throw Error(kIntOverflow);
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t py_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;  // INT64_MIN % -1 traps on x86
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

// ---- the interpreter ----

enum class Flow { Normal, Break, Continue };

struct MacroDef {
  const Stmt* stmt;
  Frames closure;
  std::shared_ptr<Template> keep;
};

class Renderer {
 public:
  Renderer(std::shared_ptr<Template> tpl, const RenderLimits& limits) : tpl_(std::move(tpl)), limits_(limits) {}
  // Macros hold the frames they were defined in, and those frames hold the macros: break the cycles.
  ~Renderer() {
    for (auto& d : macros_) d->closure.clear();
  }

  std::string run(const Value& context) {
    auto globals = std::make_shared<ValueDict>();
    install_globals(*globals);
    frames_.push_back(globals);
    auto vars = std::make_shared<ValueDict>();
    if (context.is_dict())
      for (auto& kv : context.as_dict().items) vars->set(kv.first, kv.second);
    frames_.push_back(vars);
    frames_.push_back(std::make_shared<ValueDict>());  // template-level `set`
    std::string out;
    Flow f = exec_body(tpl_->body, out);
    (void)f;
    return out;
  }

 private:
  // ---- globals ----
  void install_globals(ValueDict& g) {
    g.set("raise_exception", Value::callable([](CallArgs& a) -> Value {
            throw Error(a.args.empty() ? std::string("raise_exception called") : a.args[0].str());
          }, "raise_exception"));
    g.set("namespace", Value::callable([](CallArgs& a) -> Value {
            ValueDict d;
            for (auto& v : a.args) {
              if (!v.is_mapping()) throw Error("namespace() positional argument must be a mapping");
              for (auto& kv : v.as_dict().items) d.set(kv.first, kv.second);
            }
            for (auto& kv : a.kwargs) {
              if (!kv.first.empty() && kv.first[0] == '_')
                throw Error("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" + kv.first + "'");
              d.set(kv.first, kv.second);
            }
            return Value::namespace_(std::move(d));
          }, "namespace"));
    g.set("dict", Value::callable([](CallArgs& a) -> Value {
            ValueDict d;
            for (auto& v : a.args) {
              if (!v.is_mapping()) throw Error("dict() positional argument must be a mapping");
              for (auto& kv : v.as_dict().items) d.set(kv.first, kv.second);
            }
            for (auto& kv : a.kwargs) d.set(kv.first, kv.second);
            return Value::dict(std::move(d));
          }, "dict"));
    g.set("range", Value::callable([](CallArgs& a) -> Value {
            int64_t start = 0, stop = 0, step = 1;
            for (auto& v : a.args)
              if (!v.is_int() && !v.is_bool()) throw Error("range() arguments must be integers");
            if (a.args.size() == 1) stop = a.args[0].as_int();
            else if (a.args.size() >= 2) {
              start = a.args[0].as_int();
              stop = a.args[1].as_int();
              if (a.args.size() >= 3) step = a.args[2].as_int();
            } else throw Error("range() expects 1 to 3 arguments");
            if (step == 0) throw Error("range() arg 3 must not be zero");
            ValueList l;
            for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
              if (l.size() >= 100000) throw Error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
              l.push_back(Value(i));
              if (__builtin_add_overflow(i, step, &i)) break;
            }
            return Value::list(std::move(l));
          }, "range"));
    g.set("strftime_now", Value::callable([](CallArgs& a) -> Value {
            std::string f = a.args.empty() ? std::string() : a.args[0].str();
            std::time_t t = std::time(nullptr);
            std::tm tm{};
            localtime_r(&t, &tm);
            char buf[512];
            size_t n = std::strftime(buf, sizeof buf, f.c_str(), &tm);
            return Value(std::string(buf, n));
          }, "strftime_now"));
  }

  // ---- variables ----
  Value lookup(const std::string& name) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it)
      if (const Value* v = (*it)->find(name)) return *v;
    return Value::undefined("'" + name + "' is undefined");
  }
  void assign(const std::string& name, Value v) { frames_.back()->set(name, std::move(v)); }

  [[noreturn]] void undefined_error(const Value& v, int line) const {
    fail(line, v.name().empty() ? std::string("value is undefined") : v.name());
  }

  // ---- work ----
  void charge(int64_t steps, int line) {
    steps_ += steps;
    if (steps_ > limits_.max_steps)
      fail(line, fmt::format("the template does more than {} steps of work", limits_.max_steps));
  }
  // What producing `v` cost (RenderLimits::max_steps): strings are copied with every value,
  // lists and dicts only when a node builds them (a name or an item shares them).
  static int64_t cost_of(const Value& v, Expr::Kind made_by) {
    if (v.is_string()) return static_cast<int64_t>(v.as_string().size() / 64);
    const bool shares = made_by == Expr::Kind::Name || made_by == Expr::Kind::Attr ||
                        made_by == Expr::Kind::Index || made_by == Expr::Kind::Literal;
    if (shares) return 0;
    if (v.is_list()) return 4 * static_cast<int64_t>(v.as_list().size());
    if (v.is_dict()) return 4 * static_cast<int64_t>(v.as_dict().items.size());
    return 0;
  }

  // ---- output ----
  void emit(std::string& out, const std::string& s) {
    if (out.size() + s.size() > limits_.max_output_bytes)
      throw Error(fmt::format("chat template output exceeds {} bytes", limits_.max_output_bytes));
    out += s;
  }

  // ---- statements ----
  Flow exec_body(const Body& body, std::string& out) {
    for (const auto& s : body) {
      Flow f = exec(*s, out);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Flow exec(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case Stmt::Kind::Text:
        charge(1 + static_cast<int64_t>(s.text.size() / 64), s.line);
        emit(out, s.text);
        return Flow::Normal;
      case Stmt::Kind::Output: {
        Value v = eval(*s.expr);
        emit(out, v.str());
        return Flow::Normal;
      }
      case Stmt::Kind::If:
        for (const auto& br : s.branches)
          if (!br.first || eval(*br.first).truthy()) return exec_body(br.second, out);
        return Flow::Normal;
      case Stmt::Kind::For: return exec_for(s, out);
      case Stmt::Kind::Set: {
        Value v = eval(*s.expr);
        if (!s.ns_attr.empty()) {
          Value ns = lookup(s.targets[0]);
          if (!ns.is_namespace()) fail(s.line, "cannot assign attribute on non-namespace object");
          if (!s.ns_attr.empty() && s.ns_attr[0] == '_')
            fail(s.line, "Chat templates cannot store underscore-prefixed attributes on a namespace");
          ns.as_dict().set(s.ns_attr, std::move(v));
        } else if (s.targets.size() == 1) {
          assign(s.targets[0], std::move(v));
        } else {
          unpack(s.targets, v, s.line);
        }
        return Flow::Normal;
      }
      case Stmt::Kind::SetBlock: {
        std::string inner;
        exec_body(s.body, inner);
        Value v(inner);
        if (s.expr) v = apply_filter_chain(*s.expr, v);
        assign(s.targets[0], std::move(v));
        return Flow::Normal;
      }
      case Stmt::Kind::FilterBlock: {
        std::string inner;
        exec_body(s.body, inner);
        emit(out, apply_filter_chain(*s.expr, Value(inner)).str());
        return Flow::Normal;
      }
      case Stmt::Kind::Macro: {
        define_macro(s);
        return Flow::Normal;
      }
      case Stmt::Kind::Break:
        if (loop_depth_ == 0) fail(s.line, "'break' outside of a loop");
        return Flow::Break;
      case Stmt::Kind::Continue:
        if (loop_depth_ == 0) fail(s.line, "'continue' outside of a loop");
        return Flow::Continue;
      default: fail(s.line, "unsupported statement");
    }
  }

  void unpack(const std::vector<std::string>& targets, const Value& v, int line) {
    ValueList items = iterate(v, line);
    if (items.size() != targets.size())
      fail(line, fmt::format("cannot unpack {} values into {} names", items.size(), targets.size()));
    for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
  }

  ValueList iterate(const Value& v, int line) const {
    switch (v.kind()) {
      case Value::Kind::Undefined: return {};
      case Value::Kind::List: return v.as_list();
      case Value::Kind::Dict: {
        ValueList l;
        for (auto& kv : v.as_dict().items) l.push_back(Value(kv.first));
        return l;
      }
      case Value::Kind::String: {
        ValueList l;
        for (char32_t c : utf8_decode(v.as_string())) l.push_back(Value(utf8_encode(std::u32string(1, c))));
        return l;
      }
      default: fail(line, fmt::format("'{}' object is not iterable", v.type_name()));
    }
  }

  Flow exec_for(const Stmt& s, std::string& out) {
    ValueList all = iterate(eval(*s.expr), s.line);
    charge(4 * static_cast<int64_t>(all.size()), s.line);  // the copy iterate() made
    frames_.push_back(std::make_shared<ValueDict>());
    ValueList items;
    if (s.cond) {
      for (auto& it : all) {
        bind_targets(s, it);
        if (eval(*s.cond).truthy()) items.push_back(it);
      }
    } else {
      items = std::move(all);
    }
    ++loop_depth_;
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      if (++iterations_ > limits_.max_loop_iterations)
        fail(s.line, fmt::format("more than {} loop iterations", limits_.max_loop_iterations));
      charge(32, s.line);
      frames_.back() = std::make_shared<ValueDict>();
      bind_targets(s, items[i]);
      // The keys are distinct: append them directly (set() would search for each one).
      ValueDict loop;
      loop.items.reserve(13);
      loop.items.emplace_back("index", Value(i + 1));
      loop.items.emplace_back("index0", Value(i));
      loop.items.emplace_back("revindex", Value(n - i));
      loop.items.emplace_back("revindex0", Value(n - i - 1));
      loop.items.emplace_back("first", Value(i == 0));
      loop.items.emplace_back("last", Value(i == n - 1));
      loop.items.emplace_back("length", Value(n));
      loop.items.emplace_back("depth", Value(1));
      loop.items.emplace_back("depth0", Value(0));
      loop.items.emplace_back("previtem", i > 0 ? items[i - 1] : Value::undefined("there is no previous item"));
      loop.items.emplace_back("nextitem", i + 1 < n ? items[i + 1] : Value::undefined("there is no next item"));
      loop.items.emplace_back("cycle", Value::callable([i](CallArgs& a) -> Value {
                 if (a.args.empty()) throw Error("no items for cycling given");
                 return a.args[static_cast<size_t>(i) % a.args.size()];
               }, "cycle"));
      frames_.back()->set("loop", Value::dict(std::move(loop)));
      Flow f = exec_body(s.body, out);
      if (f == Flow::Break) break;
    }
    --loop_depth_;
    frames_.pop_back();
    if (n == 0) return exec_body(s.else_body, out);
    return Flow::Normal;
  }

  void bind_targets(const Stmt& s, const Value& item) {
    if (s.targets.size() == 1) assign(s.targets[0], item);
    else unpack(s.targets, item, s.line);
  }

  void define_macro(const Stmt& s) {
    auto def = std::make_shared<MacroDef>(MacroDef{&s, frames_, tpl_});
    macros_.push_back(def);
    Renderer* self = this;
    Value fn = Value::callable([self, def](CallArgs& a) -> Value { return self->call_macro(*def, a); }, s.name);
    assign(s.name, fn);
  }

  Value call_macro(const MacroDef& def, CallArgs& a) {
    const Stmt& s = *def.stmt;
    if (++call_depth_ > limits_.max_call_depth) {
      --call_depth_;
      fail(s.line, fmt::format("macro '{}' recursion deeper than {}", s.name, limits_.max_call_depth));
    }
    Frames saved = std::move(frames_);
    frames_ = def.closure;
    auto local = std::make_shared<ValueDict>();
    frames_.push_back(local);
    struct Restore {
      Renderer& r;
      Frames& saved;
      ~Restore() { r.frames_ = std::move(saved); --r.call_depth_; }
    } restore{*this, saved};
    if (a.args.size() > s.params.size()) fail(s.line, fmt::format("macro '{}' takes not more than {} argument(s)", s.name, s.params.size()));
    for (size_t i = 0; i < s.params.size(); ++i) {
      const auto& [pname, pdef] = s.params[i];
      if (i < a.args.size()) local->set(pname, a.args[i]);
      else if (const Value* kv = a.kw(pname)) local->set(pname, *kv);
      else if (pdef) local->set(pname, eval(*pdef));
      else local->set(pname, Value::undefined("'" + pname + "' is undefined"));
    }
    for (auto& kv : a.kwargs) {
      bool known = false;
      for (auto& p : s.params) known = known || p.first == kv.first;
      if (!known) fail(s.line, fmt::format("macro '{}' has no argument named '{}'", s.name, kv.first));
    }
    std::string out;
    int saved_loop = loop_depth_;
    loop_depth_ = 0;
    exec_body(s.body, out);
    loop_depth_ = saved_loop;
    return Value(out);
  }

  // ---- expressions ----
  Value eval(const Expr& e) {
    Value v = eval_node(e);
    charge(1 + cost_of(v, e.kind), e.line);
    return v;
  }

  Value eval_node(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::Literal: return e.value;
      case Expr::Kind::Name: return lookup(e.name);
      case Expr::Kind::List: case Expr::Kind::Tuple: {
        ValueList l;
        for (auto& it : e.items) l.push_back(eval(*it));
        return e.kind == Expr::Kind::Tuple ? Value::tuple(std::move(l)) : Value::list(std::move(l));
      }
      case Expr::Kind::Dict: {
        ValueDict d;
        for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
          Value k = eval(*e.items[i]);
          if (!k.is_string()) fail(e.line, "only string keys are supported in dict literals");
          d.set(k.as_string(), eval(*e.items[i + 1]));
        }
        return Value::dict(std::move(d));
      }
      case Expr::Kind::Attr: return get_attr(eval(*e.items[0]), e.name, e.line);
      case Expr::Kind::Index: return get_item(eval(*e.items[0]), eval(*e.items[1]), e.line);
      case Expr::Kind::Slice: return slice(e);
      case Expr::Kind::Call: {
        Value fn = eval(*e.items[0]);
        CallArgs args = eval_args(e);
        if (fn.is_undefined()) undefined_error(fn, e.line);
        if (!fn.is_callable()) fail(e.line, fmt::format("'{}' object is not callable", fn.type_name()));
        return call(fn, args, e.line);
      }
      case Expr::Kind::Filter: {
        Value v = eval(*e.items[0]);
        CallArgs args = eval_args(e);
        return apply_filter(e.name, v, args, e.line);
      }
      case Expr::Kind::Test: {
        Value v;
        const std::string& n = e.name;
        v = eval(*e.items[0]);
        CallArgs args = eval_args(e);
        bool r = apply_test(n, v, args, e.line);
        return Value(e.negated ? !r : r);
      }
      case Expr::Kind::Unary: {
        Value v = eval(*e.items[0]);
        if (e.name == "not") return Value(!v.truthy());
        if (v.is_undefined()) undefined_error(v, e.line);
        if (v.is_int() || v.is_bool()) {
          if (e.name == "-" && v.as_int() == std::numeric_limits<int64_t>::min()) fail(e.line, kIntOverflow);
          return Value(e.name == "-" ? -v.as_int() : v.as_int());
        }
        if (v.is_float()) return Value(e.name == "-" ? -v.as_number() : v.as_number());
        fail(e.line, fmt::format("bad operand type for unary {}: '{}'", e.name, v.type_name()));
      }
      case Expr::Kind::And: {
        Value l = eval(*e.items[0]);
        return l.truthy() ? eval(*e.items[1]) : l;
      }
      case Expr::Kind::Or: {
        Value l = eval(*e.items[0]);
        return l.truthy() ? l : eval(*e.items[1]);
      }
      case Expr::Kind::CondExpr:
        if (eval(*e.items[1]).truthy()) return eval(*e.items[0]);
        if (e.items[2]) return eval(*e.items[2]);
        return Value::undefined("the inline if-expression evaluated to false and no else section was defined.");
      case Expr::Kind::Binary: return binary(e);
      case Expr::Kind::Compare: {
        Value l = eval(*e.items[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value r = eval(*e.items[i + 1]);
          if (!compare_op(l, r, e.ops[i], e.line)) return Value(false);
          l = std::move(r);
        }
        return Value(true);
      }
    }
    fail(e.line, "unsupported expression");
  }

  CallArgs eval_args(const Expr& e) {
    CallArgs a;
    for (size_t i = 1; i < e.items.size(); ++i) a.args.push_back(eval(*e.items[i]));
    for (auto& kv : e.kwargs) a.kwargs.emplace_back(kv.first, eval(*kv.second));
    return a;
  }

  Value call(const Value& fn, CallArgs& args, int line) {
    try {
      return fn.as_callable()(args);
    } catch (const Error& err) {
      std::string msg = err.what();
      if (msg.rfind("chat template line", 0) == 0) throw;
      if (fn.name() == "raise_exception") fail(line, msg);
      fail(line, fmt::format("{}: {}", fn.name(), msg));
    }
  }

  Value apply_filter_chain(const Expr& chain, const Value& input) {
    // chain is Filter(...Filter(Literal placeholder)...): re-evaluate with the input substituted.
    if (chain.kind != Expr::Kind::Filter) return eval(chain);
    Value inner = chain.items[0] && chain.items[0]->kind == Expr::Kind::Filter ? apply_filter_chain(*chain.items[0], input)
                                                                                : input;
    CallArgs args = eval_args(chain);
    return apply_filter(chain.name, inner, args, chain.line);
  }

  Value get_attr(const Value& obj, const std::string& name, int line) {
    if (obj.is_undefined()) undefined_error(obj, line);
    if (obj.is_mapping()) {
      if (obj.is_dict()) {
        if (Value m = method(obj, name, line); !m.is_undefined()) return m;
      }
      if (const Value* v = obj.as_dict().find(name)) return *v;
      return Value::undefined(fmt::format("'{}' has no attribute '{}'", obj.is_dict() ? "dict object" : "namespace", name));
    }
    Value m = method(obj, name, line);
    if (!m.is_undefined()) return m;
    return Value::undefined(fmt::format("'{} object' has no attribute '{}'", obj.type_name(), name));
  }

  Value get_item(const Value& obj, const Value& key, int line) {
    if (obj.is_undefined()) undefined_error(obj, line);
    if (obj.is_mapping()) {
      if (key.is_string()) {
        if (const Value* v = obj.as_dict().find(key.as_string())) return *v;
        if (obj.is_dict())
          if (Value m = method(obj, key.as_string(), line); !m.is_undefined()) return m;
      }
      return Value::undefined(fmt::format("'dict object' has no attribute '{}'", key.str()));
    }
    if (obj.is_list() || obj.is_string()) {
      if (key.is_string()) return get_attr(obj, key.as_string(), line);
      if (!key.is_int() && !key.is_bool()) return Value::undefined(fmt::format("'{} object' has no attribute '{}'", obj.type_name(), key.str()));
      int64_t i = key.as_int();
      if (obj.is_list()) {
        int64_t n = static_cast<int64_t>(obj.as_list().size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined(fmt::format("list object has no element {}", key.as_int()));
        return obj.as_list()[static_cast<size_t>(i)];
      }
      std::u32string u = utf8_decode(obj.as_string());
      int64_t n = static_cast<int64_t>(u.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::undefined(fmt::format("str object has no element {}", key.as_int()));
      return Value(utf8_encode(std::u32string(1, u[static_cast<size_t>(i)])));
    }
    return Value::undefined(fmt::format("'{} object' has no attribute '{}'", obj.type_name(), key.str()));
  }

  Value slice(const Expr& e) {
    Value obj = eval(*e.items[0]);
    auto opt = [&](size_t k, bool& has) -> int64_t {
      has = false;
      if (!e.items[k]) return 0;
      Value v = eval(*e.items[k]);
      if (v.is_none()) return 0;
      if (!v.is_int() && !v.is_bool()) fail(e.line, "slice indices must be integers or None");
      has = true;
      return v.as_int();
    };
    bool hs, he, hst;
    int64_t start = opt(1, hs), stop = opt(2, he), step = opt(3, hst);
    if (!hst) step = 1;
    if (step == 0) fail(e.line, "slice step cannot be zero");
    if (obj.is_undefined()) undefined_error(obj, e.line);
    auto indices = [&](int64_t n) {
      std::vector<size_t> idx;
      int64_t b, en;
      if (step > 0) {
        b = hs ? (start < 0 ? std::max<int64_t>(start + n, 0) : std::min(start, n)) : 0;
        en = he ? (stop < 0 ? std::max<int64_t>(stop + n, 0) : std::min(stop, n)) : n;
        for (int64_t i = b; i < en;) {
          idx.push_back(static_cast<size_t>(i));
          if (__builtin_add_overflow(i, step, &i)) break;
        }
      } else {
        b = hs ? (start < 0 ? std::max<int64_t>(start + n, -1) : std::min(start, n - 1)) : n - 1;
        en = he ? (stop < 0 ? std::max<int64_t>(stop + n, -1) : std::min(stop, n - 1)) : -1;
        for (int64_t i = b; i > en;) {
          idx.push_back(static_cast<size_t>(i));
          if (__builtin_add_overflow(i, step, &i)) break;
        }
      }
      return idx;
    };
    if (obj.is_list()) {
      const auto& l = obj.as_list();
      ValueList out;
      for (size_t i : indices(static_cast<int64_t>(l.size()))) out.push_back(l[i]);
      return Value::list(std::move(out));
    }
    if (obj.is_string()) {
      std::u32string u = utf8_decode(obj.as_string()), out;
      for (size_t i : indices(static_cast<int64_t>(u.size()))) out.push_back(u[i]);
      return Value(utf8_encode(out));
    }
    fail(e.line, fmt::format("'{}' object is not subscriptable", obj.type_name()));
  }

  static int compare(const Value& a, const Value& b, const std::string& op, int line) {
    if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) {
      double x = a.as_number(), y = b.as_number();
      if (!a.is_float() && !b.is_float()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
      return x < y ? -1 : x > y;
    }
    if (a.is_string() && b.is_string()) {
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : c > 0;
    }
    if (a.is_list() && b.is_list()) {
      const auto &x = a.as_list(), &y = b.as_list();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (values_equal(x[i], y[i])) continue;
        return compare(x[i], y[i], op, line);
      }
      return x.size() < y.size() ? -1 : x.size() > y.size();
    }
    fail(line, fmt::format("'{}' not supported between instances of '{}' and '{}'", op, a.type_name(), b.type_name()));
  }

  static bool contains(const Value& hay, const Value& needle, int line) {
    if (hay.is_string()) {
      if (!needle.is_string()) fail(line, "'in <string>' requires string as left operand");
      return hay.as_string().find(needle.as_string()) != std::string::npos;
    }
    if (hay.is_list()) {
      for (auto& v : hay.as_list())
        if (values_equal(v, needle)) return true;
      return false;
    }
    if (hay.is_mapping()) return needle.is_string() && hay.as_dict().find(needle.as_string()) != nullptr;
    if (hay.is_undefined()) return false;
    fail(line, fmt::format("argument of type '{}' is not iterable", hay.type_name()));
  }

  bool compare_op(const Value& a, const Value& b, const std::string& op, int line) {
    if (op == "==") return values_equal(a, b);
    if (op == "!=") return !values_equal(a, b);
    if (op == "in") return contains(b, a, line);
    if (op == "not in") return !contains(b, a, line);
    if (a.is_undefined()) undefined_error(a, line);
    if (b.is_undefined()) undefined_error(b, line);
    if (op == "<") return compare(a, b, op, line) < 0;
    if (op == ">") return compare(a, b, op, line) > 0;
    if (op == "<=") return compare(a, b, op, line) <= 0;
    return compare(a, b, op, line) >= 0;
  }

  Value binary(const Expr& e) {
    Value a = eval(*e.items[0]);
    Value b = eval(*e.items[1]);
    const std::string& op = e.name;
    if (op == "==" || op == "!=" || op == "in" || op == "not in" || op == "<" || op == ">" || op == "<=" || op == ">=")
      return Value(compare_op(a, b, op, e.line));
    if (op == "~") {
      std::string sa = a.str(), sb = b.str();
      if (sa.size() + sb.size() > limits_.max_output_bytes) fail(e.line, "string too long");
      return Value(sa + sb);
    }
    if (a.is_undefined()) undefined_error(a, e.line);
    if (b.is_undefined()) undefined_error(b, e.line);
    bool num = (a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool());
    bool ints = num && !a.is_float() && !b.is_float();
    int64_t r = 0;
    auto checked = [&](bool overflowed) {
      if (overflowed) fail(e.line, kIntOverflow);
      return Value(r);
    };
    if (op == "+") {
      if (ints) return checked(__builtin_add_overflow(a.as_int(), b.as_int(), &r));
      if (num) return Value(a.as_number() + b.as_number());
      if (a.is_string() && b.is_string()) {
        if (a.as_string().size() + b.as_string().size() > limits_.max_output_bytes) fail(e.line, "string too long");
        return Value(a.as_string() + b.as_string());
      }
      if (a.is_list() && b.is_list()) {
        if (a.as_list().size() + b.as_list().size() > 10'000'000) fail(e.line, "list too long");
        ValueList l = a.as_list();
        l.insert(l.end(), b.as_list().begin(), b.as_list().end());
        return Value::list(std::move(l));
      }
    } else if (op == "-") {
      if (ints) return checked(__builtin_sub_overflow(a.as_int(), b.as_int(), &r));
      if (num) return Value(a.as_number() - b.as_number());
    } else if (op == "*") {
      if (ints) return checked(__builtin_mul_overflow(a.as_int(), b.as_int(), &r));
      if (num) return Value(a.as_number() * b.as_number());
      const Value* s = a.is_string() || a.is_list() ? &a : (b.is_string() || b.is_list() ? &b : nullptr);
      const Value* n = s == &a ? &b : &a;
      if (s && (n->is_int() || n->is_bool())) {
        int64_t k = std::max<int64_t>(n->as_int(), 0);
        if (s->is_string()) {
          if (static_cast<double>(s->as_string().size()) * static_cast<double>(k) > static_cast<double>(limits_.max_output_bytes))
            fail(e.line, "string too long");
          std::string r;
          for (int64_t i = 0; i < k; ++i) r += s->as_string();
          return Value(r);
        }
        if (static_cast<double>(s->as_list().size()) * static_cast<double>(k) > 1e7) fail(e.line, "list too long");
        ValueList l;
        for (int64_t i = 0; i < k; ++i) l.insert(l.end(), s->as_list().begin(), s->as_list().end());
        return Value::list(std::move(l));
      }
    } else if (op == "/") {
      if (num) {
        if (b.as_number() == 0) fail(e.line, "division by zero");
        return Value(a.as_number() / b.as_number());
      }
    } else if (op == "//") {
      if (num) {
        if (b.as_number() == 0) fail(e.line, "integer division or modulo by zero");
        if (ints) {
          if (a.as_int() == std::numeric_limits<int64_t>::min() && b.as_int() == -1) fail(e.line, kIntOverflow);
          return Value(py_floordiv(a.as_int(), b.as_int()));
        }
        return Value(std::floor(a.as_number() / b.as_number()));
      }
    } else if (op == "%") {
      if (num) {
        if (b.as_number() == 0) fail(e.line, "integer division or modulo by zero");
        if (ints) return Value(py_mod(a.as_int(), b.as_int()));
        double m = std::fmod(a.as_number(), b.as_number());
        if (m != 0 && ((m < 0) != (b.as_number() < 0))) m += b.as_number();
        return Value(m);
      }
      if (a.is_string()) {
        ValueList args = b.is_tuple() ? b.as_list() : ValueList{b};
        try {
          return Value(printf_format(a.as_string(), args));
        } catch (const Error& err) {
          fail(e.line, err.what());
        }
      }
    } else if (op == "**") {
      if (ints && b.as_int() >= 0) {  // by squaring: 1 ** 10**18 must not loop 10**18 times
        int64_t base = a.as_int(), out = 1;
        for (int64_t k = b.as_int(); k > 0; k >>= 1) {
          if ((k & 1) && __builtin_mul_overflow(out, base, &out)) fail(e.line, kIntOverflow);
          if (k > 1 && __builtin_mul_overflow(base, base, &base)) fail(e.line, kIntOverflow);
        }
        return Value(out);
      }
      if (num) return Value(std::pow(a.as_number(), b.as_number()));
    }
    fail(e.line, fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, a.type_name(), b.type_name()));
  }

  // ---- methods of str / dict / list (bound as callables) ----
  Value method(const Value& obj, const std::string& name, int line) {
    auto bind = [&](auto fn) {
      Value self = obj;
      return Value::callable([self, fn](CallArgs& a) -> Value { return fn(self, a); }, name);
    };
    auto arg = [](CallArgs& a, size_t i, const char* kw) -> const Value* {
      if (i < a.args.size()) return &a.args[i];
      return a.kw(kw);
    };
    if (obj.is_string()) {
      if (name == "startswith" || name == "endswith") {
        bool starts = name == "startswith";
        return bind([starts, arg](const Value& s, CallArgs& a) -> Value {
          const Value* p = arg(a, 0, "prefix");
          if (!p) throw Error("missing argument");
          std::vector<std::string> cands;
          if (p->is_list()) for (auto& v : p->as_list()) cands.push_back(v.str());
          else if (p->is_string()) cands.push_back(p->as_string());
          else throw Error("argument must be str or a tuple of str");
          const std::string& str = s.as_string();
          for (auto& c : cands) {
            if (c.size() > str.size()) continue;
            if (starts ? str.compare(0, c.size(), c) == 0 : str.compare(str.size() - c.size(), c.size(), c) == 0)
              return Value(true);
          }
          return Value(false);
        });
      }
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        bool l = name != "rstrip", r = name != "lstrip";
        return bind([l, r, arg](const Value& s, CallArgs& a) -> Value {
          return Value(py_strip(s.as_string(), arg(a, 0, "chars"), l, r));
        });
      }
      if (name == "split" || name == "rsplit") {
        bool right = name == "rsplit";
        return bind([right, arg](const Value& s, CallArgs& a) -> Value {
          const Value* m = arg(a, 1, "maxsplit");
          ValueList l;
          for (auto& p : py_split(s.as_string(), arg(a, 0, "sep"), m ? m->as_int() : -1, right)) l.push_back(Value(p));
          return Value::list(std::move(l));
        });
      }
      if (name == "splitlines")
        return bind([](const Value& s, CallArgs&) -> Value {
          ValueList l;
          const std::string& str = s.as_string();
          size_t pos = 0;
          while (pos < str.size()) {
            size_t f = str.find_first_of("\n\r", pos);
            if (f == std::string::npos) { l.push_back(Value(str.substr(pos))); break; }
            l.push_back(Value(str.substr(pos, f - pos)));
            pos = f + ((str[f] == '\r' && f + 1 < str.size() && str[f + 1] == '\n') ? 2 : 1);
          }
          return Value::list(std::move(l));
        });
      if (name == "upper") return bind([](const Value& s, CallArgs&) -> Value { return Value(ascii_upper(s.as_string())); });
      if (name == "lower") return bind([](const Value& s, CallArgs&) -> Value { return Value(ascii_lower(s.as_string())); });
      if (name == "title") return bind([](const Value& s, CallArgs&) -> Value { return Value(py_title(s.as_string())); });
      if (name == "capitalize") return bind([](const Value& s, CallArgs&) -> Value { return Value(py_capitalize(s.as_string())); });
      if (name == "replace")
        return bind([max = limits_.max_output_bytes](const Value& s, CallArgs& a) -> Value {
          if (a.args.size() < 2) throw Error("replace() takes at least 2 arguments");
          int64_t count = a.args.size() > 2 ? a.args[2].as_int() : -1;
          return Value(py_replace(s.as_string(), a.args[0].str(), a.args[1].str(), count, max));
        });
      if (name == "find" || name == "rfind" || name == "count" || name == "index")
        return bind([name](const Value& s, CallArgs& a) -> Value {
          if (a.args.empty() || !a.args[0].is_string()) throw Error(name + "() argument must be str");
          const std::string& str = s.as_string();
          const std::string& sub = a.args[0].as_string();
          if (name == "count") {
            if (sub.empty()) return Value(static_cast<int64_t>(utf8_decode(str).size() + 1));
            int64_t n = 0;
            for (size_t p = str.find(sub); p != std::string::npos; p = str.find(sub, p + sub.size())) ++n;
            return Value(n);
          }
          size_t p = name == "rfind" ? str.rfind(sub) : str.find(sub);
          if (p == std::string::npos) {
            if (name == "index") throw Error("substring not found");
            return Value(static_cast<int64_t>(-1));
          }
          return Value(static_cast<int64_t>(utf8_decode(str.substr(0, p)).size()));
        });
      if (name == "join")
        return bind([](const Value& s, CallArgs& a) -> Value {
          if (a.args.empty() || !(a.args[0].is_list() || a.args[0].is_string() || a.args[0].is_dict()))
            throw Error("can only join an iterable");
          ValueList items;
          if (a.args[0].is_list()) items = a.args[0].as_list();
          else if (a.args[0].is_dict()) for (auto& kv : a.args[0].as_dict().items) items.push_back(Value(kv.first));
          else for (char32_t c : utf8_decode(a.args[0].as_string())) items.push_back(Value(utf8_encode(std::u32string(1, c))));
          std::string out;
          bool first = true;
          for (auto& v : items) {
            if (!first) out += s.as_string();
            out += v.str();
            first = false;
          }
          return Value(out);
        });
      if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isalnum" || name == "islower" || name == "isupper")
        return bind([name](const Value& s, CallArgs&) -> Value {
          const std::string& str = s.as_string();
          if (str.empty()) return Value(false);
          bool any_cased = false;
          for (unsigned char c : str) {
            if (name == "isdigit" && !std::isdigit(c)) return Value(false);
            if (name == "isspace" && !std::isspace(c)) return Value(false);
            if (name == "isalpha" && !std::isalpha(c)) return Value(false);
            if (name == "isalnum" && !std::isalnum(c)) return Value(false);
            if (name == "islower" && std::isupper(c)) return Value(false);
            if (name == "isupper" && std::islower(c)) return Value(false);
            any_cased = any_cased || std::isalpha(c);
          }
          if (name == "islower" || name == "isupper") return Value(any_cased);
          return Value(true);
        });
      if (name == "format")
        return bind([](const Value& s, CallArgs& a) -> Value {
          const std::string& f = s.as_string();
          std::string out;
          size_t auto_idx = 0;
          for (size_t i = 0; i < f.size(); ++i) {
            if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '{') { out += '{'; ++i; continue; }
            if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') { out += '}'; ++i; continue; }
            if (f[i] != '{') { out += f[i]; continue; }
            size_t e = f.find('}', i);
            if (e == std::string::npos) throw Error("Single '{' encountered in format string");
            std::string field = f.substr(i + 1, e - i - 1);
            if (field.find_first_of(":!.[") != std::string::npos) throw Error("unsupported format spec '" + field + "'");
            if (field.empty()) {
              if (auto_idx >= a.args.size()) throw Error("Replacement index out of range");
              out += a.args[auto_idx++].str();
            } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
              if (field.size() > 9) throw Error("Replacement index out of range");
              size_t k = std::stoul(field);
              if (k >= a.args.size()) throw Error("Replacement index out of range");
              out += a.args[k].str();
            } else {
              const Value* v = a.kw(field);
              if (!v) throw Error("KeyError: '" + field + "'");
              out += v->str();
            }
            i = e;
          }
          return Value(out);
        });
      return Value();
    }
    if (obj.is_dict()) {
      if (name == "get")
        return bind([](const Value& d, CallArgs& a) -> Value {
          if (a.args.empty()) throw Error("get expected at least 1 argument");
          Value def = a.args.size() > 1 ? a.args[1] : Value::none();
          if (!a.args[0].is_string()) return def;
          const Value* v = d.as_dict().find(a.args[0].as_string());
          return v ? *v : def;
        });
      if (name == "items" || name == "keys" || name == "values")
        return bind([name](const Value& d, CallArgs&) -> Value {
          ValueList l;
          for (auto& kv : d.as_dict().items) {
            if (name == "items") l.push_back(Value::tuple({Value(kv.first), kv.second}));
            else if (name == "keys") l.push_back(Value(kv.first));
            else l.push_back(kv.second);
          }
          return Value::list(std::move(l));
        });
      return Value();
    }
    if (obj.is_list()) {
      if (name == "index" || name == "count")
        return bind([name](const Value& l, CallArgs& a) -> Value {
          if (a.args.empty()) throw Error(name + "() takes exactly one argument");
          int64_t n = 0;
          for (size_t i = 0; i < l.as_list().size(); ++i)
            if (values_equal(l.as_list()[i], a.args[0])) {
              if (name == "index") return Value(static_cast<int64_t>(i));
              ++n;
            }
          if (name == "index") throw Error("value is not in list");
          return Value(n);
        });
      if (name == "append" || name == "pop" || name == "insert" || name == "extend" || name == "remove" || name == "clear")
        fail(line, fmt::format("access to attribute '{}' of 'list' object is unsafe (the sandbox forbids modifying lists)", name));
      return Value();
    }
    return Value();
  }

  // ---- tests ----
  bool apply_test(const std::string& n, const Value& v, CallArgs& a, int line) {
    auto arg0 = [&]() -> const Value& {
      if (a.args.empty()) fail(line, fmt::format("test '{}' needs an argument", n));
      return a.args[0];
    };
    if (n == "defined") return !v.is_undefined();
    if (n == "undefined") return v.is_undefined();
    if (n == "none") return v.is_none();
    if (n == "string") return v.is_string();
    if (n == "number") return v.is_number() || v.is_bool();
    if (n == "integer") return v.is_int();
    if (n == "float") return v.is_float();
    if (n == "boolean") return v.is_bool();
    if (n == "true") return v.is_bool() && v.as_bool();
    if (n == "false") return v.is_bool() && !v.as_bool();
    if (n == "mapping") return v.is_dict();
    if (n == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
    if (n == "sequence") return v.is_list() || v.is_dict() || v.is_string();
    if (n == "callable") return v.is_callable();
    if (n == "lower") return v.is_string() && ascii_lower(v.as_string()) == v.as_string();
    if (n == "upper") return v.is_string() && ascii_upper(v.as_string()) == v.as_string();
    if (n == "even" || n == "odd") {
      if (!v.is_int() && !v.is_bool()) fail(line, fmt::format("test '{}' needs an integer", n));
      return (py_mod(v.as_int(), 2) == 0) == (n == "even");
    }
    if (n == "divisibleby") {
      const Value& d = arg0();
      if (d.as_number() == 0) fail(line, "division by zero");
      return std::fmod(v.as_number(), d.as_number()) == 0;
    }
    if (n == "eq" || n == "equalto" || n == "==") return values_equal(v, arg0());
    if (n == "ne" || n == "!=") return !values_equal(v, arg0());
    if (n == "lt" || n == "lessthan" || n == "<") return compare(v, arg0(), "<", line) < 0;
    if (n == "le" || n == "<=") return compare(v, arg0(), "<=", line) <= 0;
    if (n == "gt" || n == "greaterthan" || n == ">") return compare(v, arg0(), ">", line) > 0;
    if (n == "ge" || n == ">=") return compare(v, arg0(), ">=", line) >= 0;
    if (n == "in") return contains(arg0(), v, line);
    if (n == "sameas") {
      const Value& o = arg0();
      if (v.is_none() || o.is_none() || v.is_bool() || o.is_bool()) return v.kind() == o.kind() && values_equal(v, o);
      if (v.is_list() || v.is_dict()) return v.kind() == o.kind() && &v.as_dict() == &o.as_dict();
      return values_equal(v, o) && v.kind() == o.kind();
    }
    fail(line, fmt::format("unsupported test '{}'", n));
  }

  // ---- filters ----
  static const Value* farg(CallArgs& a, size_t i, const char* kw) {
    if (i < a.args.size()) return &a.args[i];
    return a.kw(kw);
  }

  Value attr_path(const Value& v, const std::string& path, int line) {
    Value cur = v;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t dot = path.find('.', pos);
      std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      if (cur.is_undefined()) return cur;
      bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (numeric && part.size() > 18) numeric = false;  // too big for an index: a (missing) key
      cur = numeric ? get_item(cur, Value(static_cast<int64_t>(std::stoll(part))), line) : get_item(cur, Value(part), line);
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    return cur;
  }

  Value apply_filter(const std::string& n, const Value& v, CallArgs& a, int line) {
    auto need_str = [&]() -> std::string {
      if (v.is_undefined()) return "";
      return v.str();
    };
    if (n == "safe" || (n == "string" && v.is_string())) return v;
    if (n == "string") return Value(v.str());
    if (n == "trim") return Value(py_strip(need_str(), farg(a, 0, "chars"), true, true));
    if (n == "upper") return Value(ascii_upper(need_str()));
    if (n == "lower") return Value(ascii_lower(need_str()));
    if (n == "capitalize") return Value(py_capitalize(need_str()));
    if (n == "title") return Value(py_title(need_str()));
    if (n == "e" || n == "escape" || n == "forceescape") return Value(html_escape(need_str()));
    if (n == "length" || n == "count") {
      if (v.is_undefined()) return Value(static_cast<int64_t>(0));
      if (v.is_string()) return Value(static_cast<int64_t>(utf8_decode(v.as_string()).size()));
      if (v.is_list()) return Value(static_cast<int64_t>(v.as_list().size()));
      if (v.is_mapping()) return Value(static_cast<int64_t>(v.as_dict().items.size()));
      fail(line, fmt::format("object of type '{}' has no len()", v.type_name()));
    }
    if (n == "default" || n == "d") {
      const Value* b = farg(a, 1, "boolean");
      bool boolean = b && b->truthy();
      if (v.is_undefined() || (boolean && !v.truthy())) {
        const Value* d = farg(a, 0, "default_value");
        return d ? *d : Value(std::string());
      }
      return v;
    }
    if (n == "tojson") {
      const Value* ea = farg(a, 0, "ensure_ascii");
      const Value* ind = farg(a, 1, "indent");
      const Value* seps = farg(a, 2, "separators");
      const Value* sk = farg(a, 3, "sort_keys");
      bool use_indent = ind && !ind->is_none() && !ind->is_undefined();
      int indent = 0;
      std::string indent_str;
      if (use_indent) {
        if (ind->is_string()) fail(line, "tojson: string indent is not supported");
        indent = static_cast<int>(std::max<int64_t>(ind->as_int(), 0));
      }
      std::string item_sep = use_indent ? "," : ", ", key_sep = ": ";
      if (seps && seps->is_list() && seps->as_list().size() == 2) {
        item_sep = seps->as_list()[0].str();
        key_sep = seps->as_list()[1].str();
      }
      std::string out;
      try {
        out = v.to_json(indent, use_indent, item_sep, key_sep, sk && sk->truthy());
      } catch (const Error& err) {
        fail(line, err.what());
      }
      if (ea && ea->truthy()) {
        std::string esc;
        for (char32_t c : utf8_decode(out)) {
          if (c < 0x80) esc += static_cast<char>(c);
          else if (c < 0x10000) esc += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
          else {
            char32_t x = c - 0x10000;
            esc += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (x >> 10), 0xdc00 + (x & 0x3ff));
          }
        }
        out = esc;
      }
      return Value(out);
    }
    if (n == "replace") {
      if (a.args.size() < 2) fail(line, "replace filter needs two arguments");
      const Value* c = farg(a, 2, "count");
      return Value(py_replace(need_str(), a.args[0].str(), a.args[1].str(), c && !c->is_none() ? c->as_int() : -1,
                              limits_.max_output_bytes));
    }
    if (n == "join") {
      const Value* sep = farg(a, 0, "d");
      const Value* attr = farg(a, 1, "attribute");
      std::string out;
      bool first = true;
      for (auto& it : iterate(v, line)) {
        if (!first) out += sep ? sep->str() : "";
        out += (attr ? attr_path(it, attr->str(), line) : it).str();
        if (out.size() > limits_.max_output_bytes) fail(line, "string too long");
        first = false;
      }
      return Value(out);
    }
    if (n == "first" || n == "last") {
      ValueList l = iterate(v, line);
      if (l.empty()) return Value::undefined(fmt::format("No {} item, sequence was empty.", n));
      return n == "first" ? l.front() : l.back();
    }
    if (n == "list") return Value::list(iterate(v, line));
    if (n == "reverse") {
      if (v.is_string()) {
        std::u32string u = utf8_decode(v.as_string());
        std::reverse(u.begin(), u.end());
        return Value(utf8_encode(u));
      }
      ValueList l = iterate(v, line);
      std::reverse(l.begin(), l.end());
      return Value::list(std::move(l));
    }
    if (n == "int") {
      const Value* d = farg(a, 0, "default");
      Value def = d ? *d : Value(static_cast<int64_t>(0));
      if (v.is_int() || v.is_bool()) return Value(v.as_int());
      if (v.is_float()) {
        if (std::isnan(v.as_number())) return def;  // as jinja2: int(nan) is a ValueError, so the default
        const auto i = float_to_int(v.as_number());
        if (!i) fail(line, fmt::format("int: {} has no 64-bit integer value", python_float_repr(v.as_number())));
        return Value(*i);
      }
      if (v.is_string() && v.as_string().find_first_of("xXpP") == std::string::npos) {
        // Python's int(s, 10), else int(float(s)), else the default; past 64 bits an error.
        const std::string s = py_strip(v.as_string(), nullptr, true, true);
        const char* const end_of_s = s.c_str() + s.size();
        char* end = nullptr;
        errno = 0;
        const long long r = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end == end_of_s) {
          if (errno == ERANGE) fail(line, fmt::format("int: {:.40} has no 64-bit integer value", s));
          return Value(static_cast<int64_t>(r));
        }
        const double f = s.empty() ? 0 : std::strtod(s.c_str(), &end);  // '1e400' is inf, as in Python
        if (!s.empty() && end == end_of_s) {
          if (std::isnan(f)) return def;
          const auto i = float_to_int(f);
          if (!i) fail(line, fmt::format("int: {} has no 64-bit integer value", python_float_repr(f)));
          return Value(*i);
        }
      }
      return def;
    }
    if (n == "float") {
      const Value* d = farg(a, 0, "default");
      Value def = d ? *d : Value(0.0);
      if (v.is_number() || v.is_bool()) return Value(v.as_number());
      if (v.is_string() && v.as_string().find_first_of("xXpP") == std::string::npos) {
        try {
          size_t used = 0;
          std::string s = py_strip(v.as_string(), nullptr, true, true);
          double f = std::stod(s, &used);
          if (used == s.size()) return Value(f);
        } catch (...) {
        }
      }
      return def;
    }
    if (n == "abs") {
      if (v.is_int()) {
        if (v.as_int() == std::numeric_limits<int64_t>::min()) fail(line, kIntOverflow);
        return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
      }
      if (v.is_float()) return Value(std::fabs(v.as_number()));
      fail(line, "abs needs a number");
    }
    if (n == "round") {
      const Value* p = farg(a, 0, "precision");
      const Value* m = farg(a, 1, "method");
      int64_t prec = p ? p->as_int() : 0;
      std::string method = m ? m->str() : "common";
      if (!v.is_number() && !v.is_bool()) fail(line, "round needs a number");
      double f = std::pow(10.0, static_cast<double>(prec)), x = v.as_number() * f;
      if (method == "ceil") return Value(std::ceil(x) / f);
      if (method == "floor") return Value(std::floor(x) / f);
      if (method != "common") fail(line, "method must be common, ceil or floor");
      // Python's round(): correctly rounded on the exact binary value, ties to even.
      if (prec >= 0 && prec < 300) return Value(std::stod(fmt::format("{:.{}f}", v.as_number(), static_cast<int>(prec))));
      return Value(std::nearbyint(x) / f);
    }
    if (n == "items") {
      if (v.is_undefined()) return Value::list();
      if (!v.is_mapping()) fail(line, "items filter needs a mapping");
      ValueList l;
      for (auto& kv : v.as_dict().items) l.push_back(Value::tuple({Value(kv.first), kv.second}));
      return Value::list(std::move(l));
    }
    if (n == "dictsort") {
      if (!v.is_mapping()) fail(line, "dictsort needs a mapping");
      auto items = v.as_dict().items;
      std::stable_sort(items.begin(), items.end(), [](auto& x, auto& y) { return ascii_lower(x.first) < ascii_lower(y.first); });
      ValueList l;
      for (auto& kv : items) l.push_back(Value::tuple({Value(kv.first), kv.second}));
      return Value::list(std::move(l));
    }
    if (n == "selectattr" || n == "rejectattr" || n == "select" || n == "reject") {
      bool attr = n == "selectattr" || n == "rejectattr";
      bool keep_if = n == "selectattr" || n == "select";
      size_t k = 0;
      std::string path;
      if (attr) {
        if (a.args.empty()) fail(line, fmt::format("{} needs an attribute name", n));
        path = a.args[0].str();
        k = 1;
      }
      std::string test = k < a.args.size() ? a.args[k].str() : std::string();
      CallArgs targs;
      for (size_t i = k + 1; i < a.args.size(); ++i) targs.args.push_back(a.args[i]);
      ValueList out;
      for (auto& it : iterate(v, line)) {
        Value x = attr ? attr_path(it, path, line) : it;
        bool r = test.empty() ? x.truthy() : apply_test(test, x, targs, line);
        if (r == keep_if) out.push_back(it);
      }
      return Value::list(std::move(out));
    }
    if (n == "map") {
      ValueList out;
      const Value* attr = a.kw("attribute");
      const Value* def = a.kw("default");
      for (auto& it : iterate(v, line)) {
        if (attr) {
          Value x = attr_path(it, attr->str(), line);
          if (x.is_undefined() && def) x = *def;
          out.push_back(x);
        } else {
          if (a.args.empty()) fail(line, "map needs a filter name or attribute=");
          CallArgs rest;
          for (size_t i = 1; i < a.args.size(); ++i) rest.args.push_back(a.args[i]);
          out.push_back(apply_filter(a.args[0].str(), it, rest, line));
        }
      }
      return Value::list(std::move(out));
    }
    if (n == "unique") {
      const Value* cs = farg(a, 0, "case_sensitive");
      const Value* attr = farg(a, 1, "attribute");
      bool sensitive = cs && cs->truthy();
      ValueList out, keys;
      for (auto& it : iterate(v, line)) {
        Value key = attr ? attr_path(it, attr->str(), line) : it;
        if (!sensitive && key.is_string()) key = Value(ascii_lower(key.as_string()));
        bool seen = false;
        for (auto& k : keys) seen = seen || values_equal(k, key);
        if (!seen) {
          keys.push_back(key);
          out.push_back(it);
        }
      }
      return Value::list(std::move(out));
    }
    if (n == "sort" || n == "min" || n == "max") {
      bool rev = n == "sort" && farg(a, 0, "reverse") && farg(a, 0, "reverse")->truthy();
      const Value* cs = n == "sort" ? farg(a, 1, "case_sensitive") : farg(a, 0, "case_sensitive");
      const Value* attr = n == "sort" ? farg(a, 2, "attribute") : farg(a, 1, "attribute");
      bool sensitive = cs && cs->truthy();
      ValueList l = iterate(v, line);
      auto key = [&](const Value& x) {
        Value k = attr ? attr_path(x, attr->str(), line) : x;
        if (!sensitive && k.is_string()) k = Value(ascii_lower(k.as_string()));
        return k;
      };
      std::stable_sort(l.begin(), l.end(), [&](const Value& x, const Value& y) {
        return rev ? compare(key(y), key(x), "<", line) < 0 : compare(key(x), key(y), "<", line) < 0;
      });
      if (n == "sort") return Value::list(std::move(l));
      if (l.empty()) return Value::undefined("No aggregated item, sequence was empty.");
      return n == "min" ? l.front() : l.back();
    }
    if (n == "sum") {
      const Value* attr = farg(a, 0, "attribute");
      const Value* start = farg(a, 1, "start");
      Value acc = start ? *start : Value(static_cast<int64_t>(0));
      for (auto& it : iterate(v, line)) {
        Value x = attr ? attr_path(it, attr->str(), line) : it;
        int64_t r = 0;
        if (acc.is_int() && x.is_int()) {
          if (__builtin_add_overflow(acc.as_int(), x.as_int(), &r)) fail(line, kIntOverflow);
          acc = Value(r);
        } else if ((acc.is_number()) && (x.is_number())) acc = Value(acc.as_number() + x.as_number());
        else fail(line, "sum needs numbers");
      }
      return acc;
    }
    if (n == "indent") {
      const Value* w = farg(a, 0, "width");
      const Value* first = farg(a, 1, "first");
      const Value* blank = farg(a, 2, "blank");
      if (w && !w->is_string() && w->as_int() > static_cast<int64_t>(limits_.max_output_bytes)) fail(line, "string too long");
      std::string ind = w ? (w->is_string() ? w->as_string() : std::string(static_cast<size_t>(std::max<int64_t>(w->as_int(), 0)), ' '))
                          : std::string(4, ' ');
      std::string s = need_str() + "\n";
      std::vector<std::string> lines;
      size_t pos = 0;
      while (pos < s.size()) {
        size_t f = s.find('\n', pos);
        lines.push_back(s.substr(pos, f - pos));
        pos = f + 1;
      }
      std::string rv;
      if (blank && blank->truthy()) {
        for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
      } else {
        rv = lines.empty() ? "" : lines[0];
        for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : ind + lines[i]);
      }
      if (first && first->truthy()) rv = ind + rv;
      return Value(rv);
    }
    if (n == "attr") {
      if (a.args.empty()) fail(line, "attr needs a name");
      return get_attr(v, a.args[0].str(), line);
    }
    if (n == "format") {
      try {
        return Value(printf_format(need_str(), a.args));
      } catch (const Error& err) {
        fail(line, err.what());
      }
    }
    if (n == "batch" || n == "slice") {
      fail(line, fmt::format("unsupported filter '{}'", n));
    }
    fail(line, fmt::format("unsupported filter '{}'", n));
  }

  std::shared_ptr<Template> tpl_;
  RenderLimits limits_;
  Frames frames_;
  std::vector<std::shared_ptr<MacroDef>> macros_;
  int loop_depth_ = 0;
  int call_depth_ = 0;
  int64_t iterations_ = 0;
  int64_t steps_ = 0;
};

}  // namespace

std::string render_template(const std::shared_ptr<Template>& tpl, const Value& context, const RenderLimits& limits) {
  Renderer r(tpl, limits);
  try {
    return r.run(context);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error("chat template rendering ran out of memory");
  } catch (const std::exception& e) {  // a library exception is still the template's error, never a crash
    throw Error(fmt::format("chat template rendering failed: {}", e.what()));
  }
}

}  // namespace rewardkit::chat
