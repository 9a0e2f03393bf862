#pragma once
// Hugging Face chat templates rendered the way transformers' apply_chat_template(tokenize=False)
// renders them (transformers 5.24, jinja2 with trim_blocks/lstrip_blocks and its extensions).
// Parse once, render many. Unsupported constructs throw rewardkit::Error naming the template line.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace rewardkit::chat {

struct Template;
class Value;

struct RenderOptions {
  bool add_generation_prompt = false;
  std::optional<std::string> bos_token;  // absent: the template sees `bos_token` as undefined
  std::optional<std::string> eos_token;
  // More template variables (enable_thinking, tools, documents, pad_token, ...). They override the
  // defaults; transformers passes `tools` and `documents` as None when not given.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  explicit ChatTemplate(std::string source);
  const std::string& source() const { return source_; }

  // `messages` is a JSON array of message objects. Like transformers, keys whose value is null are
  // dropped, and reasoning given as `reasoning_content`, `thinking` or `reasoning` is visible under
  // `reasoning_content` and `thinking`.
  std::string render(const nlohmann::json& messages, const RenderOptions& options = {}) const;
  // Same, keeping the key order of the messages' objects (what tojson prints), as Python does.
  std::string render(const nlohmann::ordered_json& messages, const RenderOptions& options = {}) const;

 private:
  std::string render_values(const Value& messages, const RenderOptions& options) const;
  std::string source_;
  std::shared_ptr<Template> tpl_;
};

// The chat template of a checkpoint as transformers 5 picks it: `chat_template.jinja` next to
// tokenizer_config.json wins; otherwise tokenizer_config.json's `chat_template`, either a string or
// a list of {name, template} objects (the one named "default", or the only one). `path` may be
// the tokenizer_config.json file or its directory. nullopt when there is none.
std::optional<std::string> load_chat_template(const std::string& path, const std::string& name = "default");

}  // namespace rewardkit::chat
