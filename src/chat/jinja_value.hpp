#pragma once
// The values a chat template computes with: Python's None/bool/int/float/str/list/dict plus
// jinja2's Undefined, namespaces and callables (macros, globals). Lists and dicts are shared
// (reference semantics, like Python); dicts keep insertion order, like Python dicts.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rewardkit::chat {

class Value;
using ValueList = std::vector<Value>;
struct ValueDict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(const std::string& key) const;
  Value* find(const std::string& key);
  void set(const std::string& key, Value v);
};

// Positional and keyword arguments of a call.
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  const Value* kw(const std::string& name) const;
};
using NativeFn = std::function<Value(CallArgs&)>;

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };

  Value() = default;  // Undefined
  static Value none() { Value v; v.kind_ = Kind::None; return v; }
  static Value undefined(std::string name = {}) { Value v; v.str_ = std::move(name); return v; }
  Value(bool b) : kind_(Kind::Bool), int_(b) {}
  Value(int i) : kind_(Kind::Int), int_(i) {}
  Value(int64_t i) : kind_(Kind::Int), int_(i) {}
  Value(double d) : kind_(Kind::Float), float_(d) {}
  Value(std::string s) : kind_(Kind::String), str_(std::move(s)) {}
  Value(const char* s) : kind_(Kind::String), str_(s) {}
  static Value list(ValueList items = {});
  static Value tuple(ValueList items);  // a list that prints as a Python tuple
  static Value dict(ValueDict d = {});
  static Value namespace_(ValueDict d = {});
  static Value callable(NativeFn fn, std::string name);
  static Value from_json(const nlohmann::json& j);
  static Value from_json(const nlohmann::ordered_json& j);  // keeps key order, like Python

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::List && tuple_; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_mapping() const { return kind_ == Kind::Dict || kind_ == Kind::Namespace; }
  bool is_callable() const { return kind_ == Kind::Callable; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_number() const { return kind_ == Kind::Float ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return str_; }
  // Name of an undefined value (for messages), or of a callable.
  const std::string& name() const { return str_; }
  ValueList& as_list() const { return *list_; }
  ValueDict& as_dict() const { return *dict_; }
  const NativeFn& as_callable() const { return *fn_; }

  bool truthy() const;
  std::string type_name() const;
  // Python str() (what {{ x }} prints); Undefined prints as "".
  std::string str() const;
  // Python repr().
  std::string repr() const;
  // json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...).
  std::string to_json(int indent, bool use_indent, const std::string& item_sep, const std::string& key_sep,
                      bool sort_keys, int depth = 0) const;
  nlohmann::json to_nlohmann() const;

 private:
  Kind kind_ = Kind::Undefined;
  int64_t int_ = 0;
  bool tuple_ = false;
  double float_ = 0;
  std::string str_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<NativeFn> fn_;
};

// Python ==.
bool values_equal(const Value& a, const Value& b);
// Python float repr (shortest round trip, "1.0", "1e-05", "inf").
std::string python_float_repr(double d);

// UTF-8 helpers (Python strings count code points).
std::u32string utf8_decode(const std::string& s);
std::string utf8_encode(const std::u32string& s);
bool is_py_space(char32_t c);

}  // namespace rewardkit::chat
