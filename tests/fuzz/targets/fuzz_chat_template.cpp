// Chat templates: the input is a template, optionally followed by a NUL byte and a messages JSON
// array. Parsing and rendering end in text or a rewardkit::Error, in bounded time and memory,
// whatever the template does (deep nesting, runaway loops, recursion).
#include <string>

#include "fuzz_common.hpp"
#include "rewardkit/chat.hpp"
#include "rewardkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  const std::string_view input = fuzz::as_text(data, size);
  const size_t nul = input.find('\0');
  const std::string source(input.substr(0, nul));
  const std::string messages =
      nul == std::string_view::npos
          ? R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"},
               {"role": "assistant", "content": "4", "reasoning_content": "Add."}])"
          : std::string(input.substr(nul + 1));
  try {
    const ChatFormatter f(source, "<s>", "</s>");
    for (bool generation_prompt : {false, true}) {
      ChatOptions options;
      options.add_generation_prompt = generation_prompt;
      try {
        (void)f.render_json(messages, options);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
