#include "chat/jinja_value.hpp"

#include "rewardkit/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rewardkit::chat {

const Value* ValueDict::find(const std::string& key) const {
  for (const auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}
Value* ValueDict::find(const std::string& key) {
  for (auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}
void ValueDict::set(const std::string& key, Value v) {
  if (Value* p = find(key)) *p = std::move(v);
  else items.emplace_back(key, std::move(v));
}

const Value* CallArgs::kw(const std::string& name) const {
  for (const auto& kv : kwargs)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

Value Value::list(ValueList items) {
  Value v;
  v.kind_ = Kind::List;
  v.list_ = std::make_shared<ValueList>(std::move(items));
  return v;
}
Value Value::tuple(ValueList items) {
  Value v = list(std::move(items));
  v.tuple_ = true;
  return v;
}
Value Value::dict(ValueDict d) {
  Value v;
  v.kind_ = Kind::Dict;
  v.dict_ = std::make_shared<ValueDict>(std::move(d));
  return v;
}
Value Value::namespace_(ValueDict d) {
  Value v = dict(std::move(d));
  v.kind_ = Kind::Namespace;
  return v;
}
Value Value::callable(NativeFn fn, std::string name) {
  Value v;
  v.kind_ = Kind::Callable;
  v.fn_ = std::make_shared<NativeFn>(std::move(fn));
  v.str_ = std::move(name);
  return v;
}

template <class Json>
Value value_from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return Value::none();
    case Json::value_t::boolean: return Value(j.template get<bool>());
    case Json::value_t::number_integer: return Value(j.template get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));  // no big integers
      return Value(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: return Value(j.template get<double>());
    case Json::value_t::string: return Value(j.template get<std::string>());
    case Json::value_t::array: {
      ValueList l;
      for (const auto& e : j) l.push_back(value_from_json(e));
      return Value::list(std::move(l));
    }
    case Json::value_t::object: {
      ValueDict d;
      for (auto it = j.begin(); it != j.end(); ++it) d.items.emplace_back(it.key(), value_from_json(it.value()));
      return Value::dict(std::move(d));
    }
    default: return Value::none();
  }
}

Value Value::from_json(const nlohmann::json& j) { return value_from_json(j); }
Value Value::from_json(const nlohmann::ordered_json& j) { return value_from_json(j); }

nlohmann::json Value::to_nlohmann() const {
  switch (kind_) {
    case Kind::None: case Kind::Undefined: return nullptr;
    case Kind::Bool: return as_bool();
    case Kind::Int: return int_;
    case Kind::Float: return float_;
    case Kind::String: return str_;
    case Kind::List: {
      auto a = nlohmann::json::array();
      for (const auto& e : *list_) a.push_back(e.to_nlohmann());
      return a;
    }
    case Kind::Dict: case Kind::Namespace: {
      auto o = nlohmann::json::object();
      for (const auto& kv : dict_->items) o[kv.first] = kv.second.to_nlohmann();
      return o;
    }
    default: return nullptr;
  }
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined: case Kind::None: return false;
    case Kind::Bool: case Kind::Int: return int_ != 0;
    case Kind::Float: return float_ != 0.0;
    case Kind::String: return !str_.empty();
    case Kind::List: return !list_->empty();
    case Kind::Dict: return !dict_->items.empty();
    default: return true;
  }
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined: return "undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    default: return "function";
  }
}

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // Python repr: shortest round-trip digits; scientific when exponent < -4 or >= 16.
  std::string s = fmt::format("{:e}", d);  // placeholder to get exponent
  int exp10 = d == 0 ? 0 : static_cast<int>(std::floor(std::log10(std::fabs(d))));
  std::string digits;
  for (int prec = 1; prec <= 17; ++prec) {
    s = fmt::format("{:.{}e}", d, prec - 1);
    if (std::stod(s) == d) break;
  }
  // s is like "-1.2345e+05": pull digits and exponent.
  bool neg = s[0] == '-';
  std::string body = neg ? s.substr(1) : s;
  auto epos = body.find('e');
  std::string mant = body.substr(0, epos);
  exp10 = std::stoi(body.substr(epos + 1));
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exp10 < -4 || exp10 >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += fmt::format("e{}{:02d}", exp10 < 0 ? '-' : '+', std::abs(exp10));
  } else if (exp10 < 0) {
    out.assign("0.");
    out.append(static_cast<size_t>(-exp10 - 1), '0');
    out.append(digits);
  } else {
    size_t intlen = static_cast<size_t>(exp10) + 1;
    if (digits.size() <= intlen) out = digits + std::string(intlen - digits.size(), '0') + ".0";
    else out = digits.substr(0, intlen) + "." + digits.substr(intlen);
  }
  if (neg) out.insert(out.begin(), '-');
  return out;
}

static std::string py_str_repr(const std::string& s) {
  bool has_sq = s.find('\'') != std::string::npos, has_dq = s.find('"') != std::string::npos;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(q) || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  out += q;
  return out;
}

std::string Value::str() const {
  switch (kind_) {
    case Kind::Undefined: return "";
    case Kind::None: return "None";
    case Kind::Bool: return int_ ? "True" : "False";
    case Kind::Int: return std::to_string(int_);
    case Kind::Float: return python_float_repr(float_);
    case Kind::String: return str_;
    default: return repr();
  }
}

std::string Value::repr() const {
  switch (kind_) {
    case Kind::String: return py_str_repr(str_);
    case Kind::List: {
      std::string out = tuple_ ? "(" : "[";
      for (size_t i = 0; i < list_->size(); ++i) {
        if (i) out += ", ";
        out += (*list_)[i].repr();
      }
      if (tuple_) return out + (list_->size() == 1 ? ",)" : ")");
      return out + "]";
    }
    case Kind::Dict: {
      std::string out = "{";
      for (size_t i = 0; i < dict_->items.size(); ++i) {
        if (i) out += ", ";
        out += py_str_repr(dict_->items[i].first) + ": " + dict_->items[i].second.repr();
      }
      return out + "}";
    }
    case Kind::Namespace: return "<Namespace>";
    case Kind::Callable: return "<function " + str_ + ">";
    default: return str();
  }
}

static std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Value::to_json(int indent, bool use_indent, const std::string& item_sep, const std::string& key_sep,
                           bool sort_keys, int depth) const {
  if (depth > 200) throw Error("tojson: nesting too deep");
  auto newline = [&](int d) { return "\n" + std::string(static_cast<size_t>(indent * d), ' '); };
  switch (kind_) {
    case Kind::None: return "null";
    case Kind::Bool: return int_ ? "true" : "false";
    case Kind::Int: return std::to_string(int_);
    case Kind::Float:
      if (std::isnan(float_)) return "NaN";
      if (std::isinf(float_)) return float_ > 0 ? "Infinity" : "-Infinity";
      return python_float_repr(float_);
    case Kind::String: return json_string(str_);
    case Kind::List: {
      if (list_->empty()) return "[]";
      std::string out = "[";
      for (size_t i = 0; i < list_->size(); ++i) {
        if (i) out += item_sep;
        if (use_indent) out += newline(depth + 1);
        out += (*list_)[i].to_json(indent, use_indent, item_sep, key_sep, sort_keys, depth + 1);
      }
      if (use_indent) out += newline(depth);
      return out + "]";
    }
    case Kind::Dict: {
      if (dict_->items.empty()) return "{}";
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : dict_->items) items.push_back(&kv);
      if (sort_keys)
        std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
      std::string out = "{";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        if (use_indent) out += newline(depth + 1);
        out += json_string(items[i]->first) + key_sep +
               items[i]->second.to_json(indent, use_indent, item_sep, key_sep, sort_keys, depth + 1);
      }
      if (use_indent) out += newline(depth);
      return out + "}";
    }
    case Kind::Undefined: throw Error("tojson: Object of type Undefined is not JSON serializable");
    default: throw Error("tojson: Object of type " + type_name() + " is not JSON serializable");
  }
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() || a.is_bool()) {
    if (b.is_number() || b.is_bool()) {
      if (a.is_float() || b.is_float()) return a.as_number() == b.as_number();
      return a.as_int() == b.as_int();
    }
    return false;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::Undefined: case Value::Kind::None: return true;
    case Value::Kind::String: return a.as_string() == b.as_string();
    case Value::Kind::List: {
      const auto &x = a.as_list(), &y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!values_equal(x[i], y[i])) return false;
      return true;
    }
    case Value::Kind::Dict: {
      const auto &x = a.as_dict(), &y = b.as_dict();
      if (x.items.size() != y.items.size()) return false;
      for (const auto& kv : x.items) {
        const Value* o = y.find(kv.first);
        if (!o || !values_equal(kv.second, *o)) return false;
      }
      return true;
    }
    default: return &a.as_dict() == &b.as_dict();
  }
}

std::u32string utf8_decode(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
    else if ((c >> 3) == 30) { cp = c & 0x07; n = 4; }
    else { cp = 0xfffd; n = 1; }
    if (i + n > s.size()) { cp = 0xfffd; n = 1; }
    else
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

std::string utf8_encode(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xc0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3f)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  return out;
}

bool is_py_space(char32_t c) {
  return (c >= 9 && c <= 13) || c == ' ' || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

}  // namespace rewardkit::chat
