#pragma once
// The thing every reward method scores. No torch types here, so that programs which only read
// samples (the CLI's record parsers, their fuzz target) build without libtorch.
#include <string>
#include <vector>

#include "rewardkit/chat.hpp"

namespace rewardkit {

// One thing to score: a conversation whose last message is the response (role "assistant"), or
// raw prompt and response text (for checkpoints without a chat template, or to skip it).
struct Sample {
  std::string id;                     // reported in errors; free-form
  std::vector<ChatMessage> messages;  // when not empty, prompt/response are ignored
  std::string prompt;
  std::string response;
  std::string domain;  // density ratio: which criteria (system prompt, exemplars) apply

  static Sample conversation(std::vector<ChatMessage> messages, std::string id = "");
  static Sample text(std::string prompt, std::string response, std::string id = "");
};

}  // namespace rewardkit
