#pragma once
// The record layouts `rewardkit eval` and `rewardkit annotate` read, recognized from the fields of
// the first record of each input (or forced with --format), and turned into one shape: a group of
// responses to one prompt, each marked correct (chosen) or not.
//
//   rewardbench         {"prompt": str, "chosen": str, "rejected": str, "subset": str, "id": ...}
//   trl                 TRL standard preference: {"prompt": str, "chosen": str, "rejected": str}
//   trl-conversational  {"prompt": [messages], "chosen": [messages], "rejected": [messages]}; without
//                       "prompt", the messages chosen and rejected share are the prompt (TRL's
//                       implicit prompt)
//   rewardbench2        {"prompt": str, "chosen": [str], "rejected": [str, ...], "subset": str}
//   candidates          {"prompt": str or [messages], "candidates": [{"response": str, "correct": bool,
//                       "reward": number (optional, for annotate)}, ...]}
// A string prompt and response are scored as a user turn and an assistant turn of the
// checkpoint's chat template (as RewardBench does), or as raw text when it has none.
#include <optional>
#include <string>
#include <vector>

#include "cli/record_reader.hpp"
#include "rewardkit/sample.hpp"

namespace rewardkit::cli {

enum class EvalFormat { rewardbench, trl, trl_conversational, rewardbench2, candidates };

const char* format_name(EvalFormat format);
// "auto" gives nullopt; an unknown name throws CLI::ValidationError-worthy rewardkit::Error.
std::optional<EvalFormat> parse_format_name(const std::string& name);
const std::vector<std::string>& format_names();  // with "auto" first

// The layout a record's fields say it has; throws rewardkit::Error naming what was found.
EvalFormat detect_format(const ojson& record);

struct EvalGroup {
  std::optional<ojson> id;
  std::string subset;                  // the record's "subset", or "" when it has none
  bool prompt_is_text = true;          // the prompt was a string (else a message list)
  std::string prompt_text;             // when prompt_is_text
  std::vector<ChatMessage> prompt_messages;  // otherwise
  std::vector<Sample> responses;       // prompt + each response, ready to score
  std::vector<std::string> response_texts;
  std::vector<bool> correct;           // chosen / correct candidates
  bool labeled = true;                 // false: candidates without "correct" (annotate best-vs-worst)
  std::vector<std::optional<double>> given_rewards;  // candidates' "reward" fields
};

// Throws rewardkit::Error naming the field at fault. Candidates need "correct" unless
// `labels_required` is false.
EvalGroup parse_eval_record(const ojson& record, EvalFormat format, bool labels_required = true);

}  // namespace rewardkit::cli
