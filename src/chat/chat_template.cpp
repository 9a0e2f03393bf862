#include "chat/chat_template.hpp"

#include "chat/jinja_parser.hpp"
#include "chat/jinja_render.hpp"
#include "chat/jinja_value.hpp"
#include "rewardkit/error.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rewardkit::chat {
namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// transformers' _normalize_chat_messages + _alias_reasoning_fields.
template <class Json>
Value prepare_message(const Json& m) {
  if (!m.is_object()) throw Error("chat messages should be JSON objects, got: " + m.dump());
  ValueDict d;
  std::optional<Value> reasoning;
  for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
    auto it = m.find(key);
    if (it != m.end() && !it->is_null()) {
      reasoning = Value::from_json(*it);
      break;
    }
  }
  if (reasoning) d.set("thinking", *reasoning);
  for (auto it = m.begin(); it != m.end(); ++it)
    if (!it.value().is_null()) d.set(it.key(), Value::from_json(it.value()));
  if (reasoning) d.set("reasoning_content", *reasoning);
  return Value::dict(std::move(d));
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source) : source_(std::move(source)), tpl_(parse_template(source_)) {}

std::string ChatTemplate::render(const nlohmann::json& messages, const RenderOptions& options) const {
  if (!messages.is_array()) throw Error("chat messages should be a JSON array");
  ValueList msgs;
  for (const auto& m : messages) msgs.push_back(prepare_message(m));
  return render_values(Value::list(std::move(msgs)), options);
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, const RenderOptions& options) const {
  if (!messages.is_array()) throw Error("chat messages should be a JSON array");
  ValueList msgs;
  for (const auto& m : messages) msgs.push_back(prepare_message(m));
  return render_values(Value::list(std::move(msgs)), options);
}

std::string ChatTemplate::render_values(const Value& msgs, const RenderOptions& options) const {
  ValueDict ctx;
  ctx.set("messages", msgs);
  ctx.set("tools", Value::none());
  ctx.set("documents", Value::none());
  ctx.set("add_generation_prompt", Value(options.add_generation_prompt));
  if (options.bos_token) ctx.set("bos_token", Value(*options.bos_token));
  if (options.eos_token) ctx.set("eos_token", Value(*options.eos_token));
  if (options.extra.is_object())
    for (auto it = options.extra.begin(); it != options.extra.end(); ++it) ctx.set(it.key(), Value::from_json(it.value()));
  else if (!options.extra.is_null())
    throw Error("RenderOptions::extra must be a JSON object");
  return render_template(tpl_, Value::dict(std::move(ctx)));
}

std::optional<std::string> load_chat_template(const std::string& path, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p(path);
  fs::path dir = fs::is_directory(p) ? p : p.parent_path();
  fs::path config = fs::is_directory(p) ? p / "tokenizer_config.json" : p;
  if (name == "default")
    if (auto t = read_file(dir / "chat_template.jinja")) return t;
  if (auto t = read_file(dir / "additional_chat_templates" / (name + ".jinja"))) return t;
  auto text = read_file(config);
  if (!text) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const std::exception& e) {
    throw Error(config.string() + ": invalid JSON: " + e.what());
  }
  auto it = j.find("chat_template");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const auto& entry : *it)
      if (entry.is_object() && entry.value("name", "") == name && entry.contains("template"))
        return entry["template"].get<std::string>();
    if (it->size() == 1 && (*it)[0].contains("template")) return (*it)[0]["template"].get<std::string>();
    return std::nullopt;
  }
  if (it->is_object()) {
    auto e = it->find(name);
    if (e != it->end() && e->is_string()) return e->get<std::string>();
    return std::nullopt;
  }
  throw Error(config.string() + ": chat_template has an unexpected type");
}

}  // namespace rewardkit::chat
