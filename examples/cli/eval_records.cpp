#include "cli/eval_records.hpp"

#include <cmath>

#include <fmt/format.h>

#include "cli/sample_records.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::cli {

namespace {

struct FormatName {
  EvalFormat format;
  const char* name;
};
constexpr FormatName kFormats[] = {{EvalFormat::rewardbench, "rewardbench"},
                                   {EvalFormat::trl, "trl"},
                                   {EvalFormat::trl_conversational, "trl-conversational"},
                                   {EvalFormat::rewardbench2, "rewardbench2"},
                                   {EvalFormat::candidates, "candidates"}};

bool all_of(const ojson& array, bool (ojson::*is)() const noexcept) {
  for (const ojson& v : array)
    if (!(v.*is)()) return false;
  return true;
}

// A response given as a message list (TRL conversational): exactly one assistant message.
ChatMessage single_response(const std::vector<ChatMessage>& messages, size_t from, const std::string& field) {
  if (messages.size() - from != 1)
    throw Error(fmt::format("field \"{}\": the response must be one assistant message after the prompt, found {}",
                            field, messages.size() - from));
  if (messages[from].role != "assistant")
    throw Error(fmt::format("field \"{}\": the response message has role {:?}, expected \"assistant\"", field,
                            messages[from].role));
  return messages[from];
}

bool same_message(const ChatMessage& a, const ChatMessage& b) {
  return a.role == b.role && a.content == b.content && a.reasoning_content == b.reasoning_content;
}

void add_text_response(EvalGroup& g, std::string response, bool correct) {
  Sample s = g.prompt_is_text ? Sample::text(g.prompt_text, response) : Sample{};
  if (!g.prompt_is_text) {
    s.messages = g.prompt_messages;
    s.messages.push_back(ChatMessage{"assistant", response});
  }
  g.responses.push_back(std::move(s));
  g.response_texts.push_back(std::move(response));
  g.correct.push_back(correct);
  g.given_rewards.emplace_back();
}

void read_prompt(EvalGroup& g, const ojson& rec, bool allow_messages) {
  if (!rec.contains("prompt")) throw Error("missing field \"prompt\"");
  const ojson& p = rec["prompt"];
  if (p.is_string()) {
    g.prompt_text = p.get<std::string>();
    return;
  }
  if (!allow_messages) throw Error("field \"prompt\" must be a string");
  g.prompt_is_text = false;
  g.prompt_messages = parse_messages(p, "prompt");
}

std::vector<std::string> string_list(const ojson& rec, const char* key) {
  if (!rec.contains(key)) throw Error(fmt::format("missing field \"{}\"", key));
  const ojson& v = rec[key];
  if (!v.is_array() || v.empty()) throw Error(fmt::format("field \"{}\" must be a non-empty array of strings", key));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) throw Error(fmt::format("{}[{}] must be a string", key, i));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

}  // namespace

const char* format_name(EvalFormat format) {
  for (const auto& f : kFormats)
    if (f.format == format) return f.name;
  return "?";
}

std::optional<EvalFormat> parse_format_name(const std::string& name) {
  if (name == "auto") return std::nullopt;
  for (const auto& f : kFormats)
    if (name == f.name) return f.format;
  throw Error(fmt::format("unknown format {:?}", name));
}

const std::vector<std::string>& format_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out{"auto"};
    for (const auto& f : kFormats) out.emplace_back(f.name);
    return out;
  }();
  return names;
}

EvalFormat detect_format(const ojson& rec) {
  if (!rec.is_object()) throw Error("expected a JSON object");
  if (rec.contains("candidates")) return EvalFormat::candidates;
  if (rec.contains("chosen") && rec.contains("rejected")) {
    const ojson& c = rec["chosen"];
    const ojson& r = rec["rejected"];
    if (c.is_string() && r.is_string()) return rec.contains("subset") ? EvalFormat::rewardbench : EvalFormat::trl;
    if (c.is_array() && r.is_array() && !c.empty() && !r.empty()) {
      if (all_of(c, &ojson::is_string) && all_of(r, &ojson::is_string)) return EvalFormat::rewardbench2;
      if (all_of(c, &ojson::is_object) && all_of(r, &ojson::is_object)) return EvalFormat::trl_conversational;
    }
    throw Error(fmt::format("fields \"chosen\" and \"rejected\" are {} and {}: expected two strings (RewardBench, "
                            "TRL), two lists of strings (RewardBench 2) or two message lists (TRL conversational)",
                            c.type_name(), r.type_name()));
  }
  throw Error("cannot tell the format: expected \"chosen\" and \"rejected\" (preference pairs, RewardBench 2) or "
              "\"candidates\" (best-of-N); see --format");
}

EvalGroup parse_eval_record(const ojson& rec, EvalFormat format, bool labels_required) {
  if (!rec.is_object()) throw Error("expected a JSON object");
  EvalGroup g;
  if (rec.contains("id")) g.id = rec["id"];
  if (rec.contains("subset")) g.subset = string_field(rec, "subset");
  switch (format) {
    case EvalFormat::rewardbench:
    case EvalFormat::trl:
      read_prompt(g, rec, /*allow_messages=*/false);
      add_text_response(g, string_field(rec, "chosen"), true);
      add_text_response(g, string_field(rec, "rejected"), false);
      break;
    case EvalFormat::trl_conversational: {
      const std::vector<ChatMessage> chosen = parse_messages(rec.value("chosen", ojson()), "chosen");
      const std::vector<ChatMessage> rejected = parse_messages(rec.value("rejected", ojson()), "rejected");
      size_t from = 0;
      if (rec.contains("prompt")) {
        g.prompt_messages = parse_messages(rec["prompt"], "prompt");
      } else {  // implicit prompt: the shared leading messages
        while (from + 1 < chosen.size() && from + 1 < rejected.size() && same_message(chosen[from], rejected[from]))
          ++from;
        g.prompt_messages.assign(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(from));
        if (g.prompt_messages.empty())
          throw Error("fields \"chosen\" and \"rejected\" share no leading messages and there is no \"prompt\"");
      }
      g.prompt_is_text = false;
      for (const auto& [messages, field, correct] :
           {std::tuple{&chosen, "chosen", true}, std::tuple{&rejected, "rejected", false}}) {
        const ChatMessage response = single_response(*messages, rec.contains("prompt") ? 0 : from, field);
        add_text_response(g, response.content, correct);
        g.responses.back().messages.back().reasoning_content = response.reasoning_content;
      }
      break;
    }
    case EvalFormat::rewardbench2: {
      read_prompt(g, rec, /*allow_messages=*/false);
      const std::vector<std::string> chosen = string_list(rec, "chosen");
      const std::vector<std::string> rejected = string_list(rec, "rejected");
      if (chosen.size() != 1)
        throw Error(fmt::format("field \"chosen\" has {} responses; rewardkit scores RewardBench 2's best-of-4 "
                                "(one chosen). The Ties subset, with several correct answers, has its own score "
                                "that rewardkit does not compute: leave it out",
                                chosen.size()));
      add_text_response(g, chosen[0], true);
      for (const std::string& r : rejected) add_text_response(g, r, false);
      break;
    }
    case EvalFormat::candidates: {
      read_prompt(g, rec, /*allow_messages=*/true);
      const ojson& c = rec["candidates"];
      if (!c.is_array() || c.empty()) throw Error("field \"candidates\" must be a non-empty array of objects");
      for (size_t i = 0; i < c.size(); ++i) {
        const std::string where = fmt::format("candidates[{}]", i);
        if (!c[i].is_object()) throw Error(where + " must be an object");
        if (!c[i].contains("response") || !c[i]["response"].is_string())
          throw Error(where + ".response must be a string");
        const bool has_label = c[i].contains("correct");
        if (has_label && !c[i]["correct"].is_boolean()) throw Error(where + ".correct must be true or false");
        if (!has_label && labels_required) throw Error(where + " has no \"correct\" (true or false)");
        if (i > 0 && has_label != g.labeled)
          throw Error(where + ": either every candidate has \"correct\" or none has");
        g.labeled = has_label;
        add_text_response(g, c[i]["response"].get<std::string>(), has_label && c[i]["correct"].get<bool>());
        if (c[i].contains("reward")) {
          const ojson& r = c[i]["reward"];
          if (!r.is_number() || !std::isfinite(r.get<double>()))
            throw Error(where + ".reward must be a finite number");
          g.given_rewards.back() = r.get<double>();
        }
      }
      break;
    }
  }
  if (format == EvalFormat::rewardbench && g.subset.empty()) throw Error("missing field \"subset\"");
  return g;
}

}  // namespace rewardkit::cli
