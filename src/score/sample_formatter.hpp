#pragma once
// Samples -> token ids, the way each reference formats them (DESIGN.md section 2):
// - log-prob methods (CDR code): prompt = chat template of all but the response with the
//   generation prompt, full = chat template of everything, both tokenized without special
//   tokens (what apply_chat_template(tokenize=True) does); the response is the positions from
//   the prompt's length on. A checkpoint without a chat template takes prompt and
//   prompt + response as given, with the tokenizer's own special tokens, and the same rule.
// - classifiers (RewardBench): the whole conversation through the template, a duplicated BOS
//   string dropped, tokenized with special tokens.
// Raw prompt/response samples become a user and an assistant message when there is a template.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rewardkit/chat.hpp"
#include "rewardkit/scorer.hpp"
#include "rewardkit/tokenizer.hpp"

namespace rewardkit::score {

// "sample 3" or "sample 3 (id \"abc\")", for error messages.
std::string sample_name(const Sample& sample, size_t index);

struct TokenizedSample {
  std::vector<int32_t> ids;
  int64_t response_start = 0;  // first response position (classifiers: 0)
  int64_t truncated = 0;       // prompt tokens dropped from the left
};

class SampleFormatter {
 public:
  // The tokenizer and, when the directory has one, the chat template of a checkpoint.
  static SampleFormatter load(const std::string& model_dir, const ChatOptions& chat_options);
  SampleFormatter(std::shared_ptr<const Tokenizer> tokenizer, std::optional<ChatFormatter> chat, ChatOptions options);

  // `follow_up`: the last message is a user turn scored after the conversation (no generation
  // prompt before it) instead of an assistant response.
  TokenizedSample for_log_probs(const Sample& sample, size_t index, bool follow_up = false) const;
  TokenizedSample for_classifier(const Sample& sample, size_t index) const;

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<const Tokenizer>& shared_tokenizer() const { return tokenizer_; }
  bool has_chat_template() const { return chat_.has_value(); }
  const std::optional<ChatFormatter>& chat() const { return chat_; }

 private:
  // The conversation to render: the sample's messages, or prompt/response as user/assistant.
  std::vector<ChatMessage> conversation(const Sample& sample, size_t index, const char* last_role = "assistant") const;

  std::shared_ptr<const Tokenizer> tokenizer_;
  std::optional<ChatFormatter> chat_;
  ChatOptions options_;
};

// Applies the length limit: an error naming the sample, or (truncate) prompt tokens dropped
// from the left; never cuts into the response.
void fit_to_length(TokenizedSample& s, int64_t max_length, bool truncate, const std::string& name);

}  // namespace rewardkit::score
