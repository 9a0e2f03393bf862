#pragma once
// An eval/annotate input file read whole into groups, its format detected from the first good
// record (or forced), every bad record kept with its error so that none is lost.
#include <optional>
#include <string>
#include <vector>

#include "cli/eval_records.hpp"

namespace rewardkit::cli {

struct ParsedRecord {
  int64_t line = 0;
  std::string where;                // "<source>:<line>"
  std::optional<EvalGroup> group;   // empty when the record is bad
  std::string error;
};

struct InputGroups {
  std::string path;    // as given
  std::string name;    // the file name without directories and extensions, the default subset
  EvalFormat format = EvalFormat::rewardbench;
  bool detected = false;  // the format was detected rather than forced
  std::vector<ParsedRecord> records;
};

// Throws rewardkit::Error when the file cannot be read, or when no record tells its format.
InputGroups read_input_groups(const std::string& path, std::optional<EvalFormat> forced, bool labels_required);

// Writes each bad record's error to stderr ("rewardkit: <where>: <error>"); without skip_errors,
// throws rewardkit::Error saying how many there were. Returns their number.
int64_t report_bad_records(const std::vector<InputGroups>& inputs, bool skip_errors);

}  // namespace rewardkit::cli
