#include "cli/sample_records.hpp"

#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::cli {

std::vector<ChatMessage> parse_messages(const ojson& messages, const std::string& field) {
  if (!messages.is_array()) throw Error(fmt::format("field \"{}\" must be an array of message objects", field));
  if (messages.empty()) throw Error(fmt::format("field \"{}\" is empty", field));
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ojson& m = messages[i];
    const std::string where = fmt::format("{}[{}]", field, i);
    if (!m.is_object()) throw Error(where + " must be an object");
    ChatMessage msg;
    for (const auto& [key, value] : m.items()) {
      if (key == "role") {
        if (!value.is_string() || value.get_ref<const std::string&>().empty())
          throw Error(where + ".role must be a non-empty string");
        msg.role = value.get<std::string>();
      } else if (key == "content") {
        if (!value.is_string()) throw Error(where + ".content must be a string");
        msg.content = value.get<std::string>();
      } else if (key == "reasoning_content") {
        if (value.is_null()) continue;
        if (!value.is_string()) throw Error(where + ".reasoning_content must be a string");
        msg.reasoning_content = value.get<std::string>();
      } else {
        throw Error(fmt::format("{}: key {:?} is not supported (role, content, reasoning_content)", where, key));
      }
    }
    if (msg.role.empty()) throw Error(where + " has no \"role\"");
    if (!m.contains("content")) throw Error(where + " has no \"content\"");
    out.push_back(std::move(msg));
  }
  return out;
}

std::string string_field(const ojson& rec, const char* key) {
  if (!rec.contains(key)) throw Error(fmt::format("missing field \"{}\"", key));
  if (!rec[key].is_string()) throw Error(fmt::format("field \"{}\" must be a string", key));
  return rec[key].get<std::string>();
}

Sample parse_sample(const ojson& rec) {
  if (!rec.is_object()) throw Error("expected a JSON object");
  Sample s;
  const bool has_messages = rec.contains("messages");
  const bool has_text = rec.contains("prompt") || rec.contains("response");
  if (has_messages && has_text) throw Error("give either \"messages\" or \"prompt\" and \"response\", not both");
  if (has_messages) {
    s.messages = parse_messages(rec["messages"], "messages");
    if (s.messages.back().role != "assistant")
      throw Error(fmt::format("the last message is the response and must have role \"assistant\", not {:?}",
                              s.messages.back().role));
  } else if (has_text) {
    s.prompt = string_field(rec, "prompt");
    s.response = string_field(rec, "response");
  } else {
    throw Error("missing field \"messages\" (or \"prompt\" and \"response\")");
  }
  if (rec.contains("domain")) s.domain = string_field(rec, "domain");
  return s;
}

}  // namespace rewardkit::cli
