#pragma once
// Interprets a parsed template against a context of variables, with jinja2's semantics as
// transformers configures them (ImmutableSandboxedEnvironment, loop controls, raise_exception,
// strftime_now, namespace, its own tojson). Bounded: recursion depth, loop iterations, output size,
// steps of work; integer overflow is an error.
#include "chat/jinja_ast.hpp"
#include "chat/jinja_value.hpp"

#include <memory>
#include <string>

namespace rewardkit::chat {

struct RenderLimits {
  size_t max_output_bytes = 64u << 20;
  // jinja2's sandbox caps a range at 100000 items; this caps all loops of a render together.
  int64_t max_loop_iterations = 100'000;
  int max_call_depth = 100;
  // Bounds the time a render takes, deterministically: the limits above bound memory, but a
  // costly body in a loop, or a costly loop condition, could still run for hours. Each
  // expression evaluated and each piece of text emitted costs a step, plus a step per 64 bytes
  // of string it yields and 4 per element of a list or dict it builds; a loop iteration costs 32
  // (its `loop` object). In a release build a step is 20-60 ns, so a render stops within about
  // a third of a second. The real templates of Qwen3, Llama 3, Gemma 3 and DeepSeek-V3 take under
  // 5% of this on a 400-message, 800 KiB conversation (tests/test_chat_template.cpp), so a
  // conversation of some 16 MiB of text would reach it.
  int64_t max_steps = 5'000'000;
};

// Renders `tpl` with the variables in `context` (a Dict value) on top of the globals.
std::string render_template(const std::shared_ptr<Template>& tpl, const Value& context,
                            const RenderLimits& limits = {});

}  // namespace rewardkit::chat
