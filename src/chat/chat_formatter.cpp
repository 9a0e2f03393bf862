// The public chat API (rewardkit/chat.hpp) over the internal renderer (chat/chat_template.hpp).
#include "rewardkit/chat.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string_view>
#include <utility>

#include "chat/chat_template.hpp"
#include "rewardkit/error.hpp"
#include "tokenize/tokenizer_config.hpp"

namespace rewardkit {

using ojson = nlohmann::ordered_json;

struct ChatFormatter::Impl {
  chat::ChatTemplate tpl;
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  // Template variables the checkpoint supplies besides bos/eos (pad_token, unk_token, ...): what
  // transformers' `{**self.special_tokens_map, **kwargs}` adds. Options' extra_json wins.
  ojson defaults = ojson::object();

  Impl(std::string source, std::optional<std::string> bos, std::optional<std::string> eos)
      : tpl(std::move(source)), bos_token(std::move(bos)), eos_token(std::move(eos)) {}

  // The renderer's options: the checkpoint's tokens, then the caller's options over them.
  chat::RenderOptions render_options(const ChatOptions& options) const {
    chat::RenderOptions o;
    o.add_generation_prompt = options.add_generation_prompt;
    o.bos_token = bos_token;
    o.eos_token = eos_token;
    o.extra = defaults;
    ojson extra;
    try {
      extra = ojson::parse(options.extra_json.empty() ? std::string("{}") : options.extra_json);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("chat options: extra_json is not valid JSON ({})", e.what()));
    }
    if (!extra.is_object()) throw Error("chat options: extra_json must be a JSON object, got: " + extra.dump());
    for (auto it = extra.begin(); it != extra.end(); ++it) o.extra[it.key()] = it.value();
    return o;
  }
};

namespace {

void check_messages(const ojson& messages) {
  if (!messages.is_array()) throw Error("chat messages must be a JSON array of message objects, got: " + messages.dump());
  for (size_t i = 0; i < messages.size(); ++i) {
    const ojson& m = messages[i];
    if (!m.is_object()) throw Error(fmt::format("chat messages[{}]: expected a JSON object, got: {}", i, m.dump()));
    auto role = m.find("role");
    if (role == m.end() || !role->is_string() || role->get_ref<const std::string&>().empty())
      throw Error(fmt::format("chat messages[{}]: \"role\" must be a non-empty string", i));
  }
}

}  // namespace

ChatFormatter::ChatFormatter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

ChatFormatter::ChatFormatter(std::string template_source, std::optional<std::string> bos_token,
                             std::optional<std::string> eos_token)
    : impl_(std::make_shared<const Impl>(std::move(template_source), std::move(bos_token), std::move(eos_token))) {}

ChatFormatter ChatFormatter::load(const std::string& model_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec))
    throw Error(fmt::format("cannot load a chat template from {}: not a directory", model_dir));
  std::optional<std::string> source = chat::load_chat_template(model_dir);
  if (!source)
    throw Error(fmt::format(
        "{} has no chat template (neither chat_template.jinja nor a \"chat_template\" in tokenizer_config.json)",
        model_dir));
  const tokenize::TokenizerConfig config = tokenize::read_tokenizer_config(model_dir);
  auto token = [&](const std::string& name) -> std::optional<std::string> {
    if (const tokenize::AddedTokenSpec* t = config.special_token(name)) return t->content;
    return std::nullopt;
  };
  std::shared_ptr<Impl> impl;
  try {
    impl = std::make_shared<Impl>(std::move(*source), token("bos_token"), token("eos_token"));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: chat template: {}", model_dir, e.what()));
  }
  for (const std::string& name : tokenize::special_token_attributes())
    if (name != "bos_token" && name != "eos_token")
      if (auto t = token(name)) impl->defaults[name] = *t;
  return ChatFormatter(std::move(impl));
}

std::string ChatFormatter::render(const std::vector<ChatMessage>& messages, const ChatOptions& options) const {
  ojson list = ojson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role.empty()) throw Error(fmt::format("chat messages[{}]: \"role\" must be a non-empty string", i));
    ojson j = ojson::object();
    j["role"] = m.role;
    j["content"] = m.content;
    if (m.reasoning_content) j["reasoning_content"] = *m.reasoning_content;
    list.push_back(std::move(j));
  }
  return impl_->tpl.render(list, impl_->render_options(options));
}

std::string ChatFormatter::render_json(const std::string& messages_json, const ChatOptions& options) const {
  ojson messages;
  try {
    messages = ojson::parse(messages_json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("chat messages are not valid JSON ({})", e.what()));
  }
  check_messages(messages);
  return impl_->tpl.render(messages, impl_->render_options(options));
}

const std::string& ChatFormatter::template_source() const { return impl_->tpl.source(); }
const std::optional<std::string>& ChatFormatter::bos_token() const { return impl_->bos_token; }
const std::optional<std::string>& ChatFormatter::eos_token() const { return impl_->eos_token; }

std::vector<int32_t> encode_rendered_chat(const Tokenizer& tokenizer, const std::string& rendered,
                                          const std::optional<std::string>& bos_token) {
  std::string_view text = rendered;
  if (bos_token && !bos_token->empty() && text.substr(0, bos_token->size()) == *bos_token) {
    const std::optional<int32_t> bos = tokenizer.bos_id();
    if (bos) {
      const std::vector<int32_t> probe = tokenizer.encode("", /*add_special_tokens=*/true);
      if (!probe.empty() && probe.front() == *bos) text.remove_prefix(bos_token->size());
    }
  }
  return tokenizer.encode(std::string(text), /*add_special_tokens=*/true);
}

}  // namespace rewardkit
