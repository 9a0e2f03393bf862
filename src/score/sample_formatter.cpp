#include "score/sample_formatter.hpp"

#include <fmt/format.h>

#include "chat/chat_template.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::score {

std::string sample_name(const Sample& sample, size_t index) {
  if (sample.id.empty()) return fmt::format("sample {}", index);
  return fmt::format("sample {} (id {:?})", index, sample.id);
}

namespace {

// Without a chat template only raw prompt/response text can be formatted.
void require_raw_text(const Sample& sample, size_t index) {
  if (!sample.messages.empty()) {
    throw Error(fmt::format("{}: the checkpoint has no chat template, so a conversation cannot be formatted; "
                            "give the sample as prompt and response text",
                            sample_name(sample, index)));
  }
}

}  // namespace

SampleFormatter SampleFormatter::load(const std::string& model_dir, const ChatOptions& chat_options) {
  std::shared_ptr<const Tokenizer> tokenizer = load_tokenizer(model_dir);
  std::optional<ChatFormatter> chat;
  if (chat::load_chat_template(model_dir)) chat = ChatFormatter::load(model_dir);
  return SampleFormatter(std::move(tokenizer), std::move(chat), chat_options);
}

SampleFormatter::SampleFormatter(std::shared_ptr<const Tokenizer> tokenizer, std::optional<ChatFormatter> chat,
                                 ChatOptions options)
    : tokenizer_(std::move(tokenizer)), chat_(std::move(chat)), options_(std::move(options)) {}

std::vector<ChatMessage> SampleFormatter::conversation(const Sample& sample, size_t index, const char* last_role) const {
  if (sample.messages.empty()) {
    return {ChatMessage{"user", sample.prompt}, ChatMessage{"assistant", sample.response}};
  }
  if (sample.messages.back().role != last_role) {
    throw Error(fmt::format("{}: the last message is the one scored and must have role {:?}, not {:?}",
                            sample_name(sample, index), last_role, sample.messages.back().role));
  }
  return sample.messages;
}

TokenizedSample SampleFormatter::for_log_probs(const Sample& sample, size_t index, bool follow_up) const {
  TokenizedSample out;
  std::vector<int32_t> prompt_ids;
  if (chat_) {
    std::vector<ChatMessage> messages = conversation(sample, index, follow_up ? "user" : "assistant");
    ChatOptions prompt_options = options_;
    prompt_options.add_generation_prompt = !follow_up;
    ChatOptions full_options = options_;
    full_options.add_generation_prompt = false;
    const std::vector<ChatMessage> prompt_messages(messages.begin(), messages.end() - 1);
    try {
      prompt_ids = tokenizer_->encode(chat_->render(prompt_messages, prompt_options), false);
      out.ids = tokenizer_->encode(chat_->render(messages, full_options), false);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", sample_name(sample, index), e.what()));
    }
  } else {
    require_raw_text(sample, index);
    prompt_ids = tokenizer_->encode(sample.prompt, true);
    out.ids = tokenizer_->encode(sample.prompt + sample.response, true);
  }
  out.response_start = static_cast<int64_t>(std::min(prompt_ids.size(), out.ids.size()));
  return out;
}

TokenizedSample SampleFormatter::for_classifier(const Sample& sample, size_t index) const {
  TokenizedSample out;
  if (chat_) {
    ChatOptions options = options_;
    options.add_generation_prompt = false;
    try {
      const std::string text = chat_->render(conversation(sample, index), options);
      out.ids = encode_rendered_chat(*tokenizer_, text, chat_->bos_token());
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", sample_name(sample, index), e.what()));
    }
  } else {
    require_raw_text(sample, index);
    out.ids = tokenizer_->encode(sample.prompt + sample.response, true);
  }
  return out;
}

void fit_to_length(TokenizedSample& s, int64_t max_length, bool truncate, const std::string& name) {
  const auto n = static_cast<int64_t>(s.ids.size());
  if (n == 0) throw Error(fmt::format("{}: it has no tokens", name));
  if (max_length <= 0 || n <= max_length) return;
  const int64_t excess = n - max_length;
  if (!truncate) {
    throw Error(fmt::format("{}: {} tokens, longer than the model's limit of {}; enable truncation to drop prompt "
                            "tokens from the left",
                            name, n, max_length));
  }
  if (excess > s.response_start) {
    throw Error(fmt::format("{}: {} tokens, longer than the model's limit of {} even with the whole prompt dropped",
                            name, n, max_length));
  }
  s.ids.erase(s.ids.begin(), s.ids.begin() + excess);
  s.response_start -= excess;
  s.truncated = excess;
}

}  // namespace rewardkit::score
