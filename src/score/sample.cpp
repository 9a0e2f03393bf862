// Sample's constructors, apart from the scoring code so that programs which only read samples
// (the CLI's record parsers, their fuzz target) need no libtorch.
#include "rewardkit/sample.hpp"

namespace rewardkit {

Sample Sample::conversation(std::vector<ChatMessage> messages, std::string id) {
  Sample s;
  s.id = std::move(id);
  s.messages = std::move(messages);
  return s;
}

Sample Sample::text(std::string prompt, std::string response, std::string id) {
  Sample s;
  s.id = std::move(id);
  s.prompt = std::move(prompt);
  s.response = std::move(response);
  return s;
}

}  // namespace rewardkit
