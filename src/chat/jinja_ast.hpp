#pragma once
// The syntax tree of a parsed template: expressions and statements, each with its line.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.hpp"

namespace rewardkit::chat {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,    // value
    Name,       // name
    List,       // items
    Tuple,      // items
    Dict,       // items as key,value pairs (even/odd)
    Attr,       // a.name
    Index,      // a[b]
    Slice,      // a[b:c:d] (items: obj, start, stop, step; null when absent)
    Call,       // a(args, kwargs)
    Filter,     // a | name(args, kwargs)
    Test,       // a is [not] name(args)
    Unary,      // op a  ("not", "-", "+")
    Binary,     // a op b
    Compare,    // a op1 b op2 c ... (chained; ops in `ops`)
    And, Or,
    CondExpr,   // a if b else c (c may be null)
  };
  Kind kind;
  int line = 0;
  std::string name;  // name, attribute, operator, filter/test name
  bool negated = false;
  Value value;
  std::vector<ExprPtr> items;  // operands / positional args (items[0] is the object for Attr/Call/Filter/...)
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // Compare
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind { Text, Output, If, For, Set, SetBlock, Macro, Break, Continue, FilterBlock, CallBlock };
  Kind kind;
  int line = 0;
  std::string text;                   // Text
  ExprPtr expr;                       // Output / Set value / For iterable / FilterBlock (filter applied to caller)
  std::vector<std::pair<ExprPtr, Body>> branches;  // If: (cond or null for else, body)
  std::vector<std::string> targets;   // For/Set names (unpacking when > 1)
  std::string ns_attr;                // Set: `ns.attr` form (targets[0] = ns)
  ExprPtr cond;                       // For filter
  Body body;                          // For / SetBlock / Macro / FilterBlock / CallBlock body
  Body else_body;                     // For else
  std::string name;                   // Macro name
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro params with defaults (null: none)
  bool recursive = false;             // For recursive
};

struct Template {
  Body body;
};

}  // namespace rewardkit::chat
