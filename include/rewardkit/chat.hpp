#pragma once
// Chat formatting: a checkpoint's chat template rendered the way transformers 5's
// apply_chat_template(messages, tokenize=False) renders it, and the ids of a rendered
// conversation the way RewardBench scores it. No torch and no JSON library types here: messages
// are plain structs, or JSON text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rewardkit/tokenizer.hpp"

namespace rewardkit {

struct ChatMessage {
  std::string role;     // "system", "user", "assistant", "tool", ...; must not be empty
  std::string content;
  // The assistant's reasoning; templates see it as `reasoning_content` (and `thinking`), as in
  // transformers. Absent: the message has no such key.
  std::optional<std::string> reasoning_content = std::nullopt;
};

struct ChatOptions {
  // Append the header that opens the assistant's turn (for scoring a response that follows).
  bool add_generation_prompt = false;
  // More template variables as a JSON object text, e.g. {"enable_thinking": false} or
  // {"tools": [...]}. They override everything else, bos_token and eos_token included.
  std::string extra_json = "{}";
};

// A parsed chat template plus the special-token strings it may refer to. Cheap to copy (the
// parsed template is shared) and safe to use from several threads at once.
class ChatFormatter {
 public:
  // The chat template of a checkpoint directory as transformers 5 picks it (chat_template.jinja,
  // else tokenizer_config.json's chat_template) and the named special tokens of
  // tokenizer_config.json / special_tokens_map.json (bos_token, eos_token, and also pad_token,
  // unk_token, ... which transformers passes to the template too). Throws rewardkit::Error naming
  // the directory when it is missing, has no chat template, or the template does not parse.
  static ChatFormatter load(const std::string& model_dir);

  // A template given as text; a token left nullopt is undefined inside the template. Throws
  // rewardkit::Error naming the template line when the template does not parse.
  ChatFormatter(std::string template_source, std::optional<std::string> bos_token,
                std::optional<std::string> eos_token);

  // The conversation as text. Throws rewardkit::Error for a message with an empty role, for
  // extra_json that is not a JSON object, and for errors the template raises.
  std::string render(const std::vector<ChatMessage>& messages, const ChatOptions& options = {}) const;
  // Messages given as a JSON array text of objects, with any keys (tool_calls, name, ...); key
  // order is kept, which is what tojson prints. Keys whose value is null are dropped, as in
  // transformers. Errors (bad JSON, not an array, a message that is not an object or has no
  // non-empty string "role") are rewardkit::Error naming the problem.
  std::string render_json(const std::string& messages_json, const ChatOptions& options = {}) const;

  const std::string& template_source() const;
  const std::optional<std::string>& bos_token() const;
  const std::optional<std::string>& eos_token() const;

 private:
  struct Impl;
  explicit ChatFormatter(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// The ids of a rendered conversation the way RewardBench tokenizes it (DESIGN.md section 2):
// when `rendered` starts with the bos_token string and tokenizer.encode(text, true) adds BOS
// itself, that leading BOS string is dropped first, so the ids start with exactly one BOS; then
// tokenizer.encode(text, add_special_tokens = true).
std::vector<int32_t> encode_rendered_chat(const Tokenizer& tokenizer, const std::string& rendered,
                                          const std::optional<std::string>& bos_token);

}  // namespace rewardkit
