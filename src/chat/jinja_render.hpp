#pragma once
// Interprets a parsed template against a context of variables, with jinja2's semantics as
// transformers configures them (ImmutableSandboxedEnvironment, loop controls, raise_exception,
// strftime_now, namespace, its own tojson). Bounded: recursion depth, loop iterations, output size.
#include "chat/jinja_ast.hpp"
#include "chat/jinja_value.hpp"

#include <memory>
#include <string>

namespace rewardkit::chat {

struct RenderLimits {
  size_t max_output_bytes = 64u << 20;
  int64_t max_loop_iterations = 1'000'000;
  int max_call_depth = 100;
};

// Renders `tpl` with the variables in `context` (a Dict value) on top of the globals.
std::string render_template(const std::shared_ptr<Template>& tpl, const Value& context,
                            const RenderLimits& limits = {});

}  // namespace rewardkit::chat
