#pragma once
// Input records to rewardkit Samples: the message lists and prompt/response fields the CLI
// reads, each wrong field reported by its name (and index).
#include <string>
#include <vector>

#include "cli/record_reader.hpp"
#include "rewardkit/sample.hpp"

namespace rewardkit::cli {

// A JSON array of {"role", "content", "reasoning_content"?} objects. `field` names it in errors
// ("messages", "chosen", ...). Throws rewardkit::Error.
std::vector<ChatMessage> parse_messages(const ojson& value, const std::string& field);

// The string value of rec[key]; throws rewardkit::Error naming the key when it is missing or not
// a string.
std::string string_field(const ojson& rec, const char* key);

// A `score` record: {"messages": [...]} (the last, assistant message is the response) or
// {"prompt": ..., "response": ...}, with an optional "domain". Throws rewardkit::Error.
Sample parse_sample(const ojson& rec);

}  // namespace rewardkit::cli
