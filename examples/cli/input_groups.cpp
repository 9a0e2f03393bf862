#include "cli/input_groups.hpp"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::cli {

namespace {

std::string base_name(const std::string& path) {
  if (path == "-") return "stdin";
  std::string name = std::filesystem::path(path).filename().string();
  for (const char* ext : {".gz", ".jsonl", ".json"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      name.erase(name.size() - e.size());
  }
  return name;
}

}  // namespace

InputGroups read_input_groups(const std::string& path, std::optional<EvalFormat> forced, bool labels_required) {
  RecordReader reader(path);
  InputGroups in;
  in.path = path;
  in.name = base_name(path);
  std::vector<InputRecord> records = reader.read_all();
  if (forced) {
    in.format = *forced;
  } else {
    std::string first_error;
    for (const InputRecord& r : records) {
      if (!r.value) continue;
      try {
        in.format = detect_format(*r.value);
        in.detected = true;
        break;
      } catch (const Error& e) {
        if (first_error.empty()) first_error = fmt::format("{}: {}", reader.where(r.line), e.what());
      }
    }
    if (!in.detected) {
      if (records.empty()) throw Error(fmt::format("{}: no records", reader.source()));
      throw Error(first_error.empty() ? fmt::format("{}: no record is valid JSON", reader.source())
                                      : first_error);
    }
  }
  for (InputRecord& r : records) {
    ParsedRecord p;
    p.line = r.line;
    p.where = reader.where(r.line);
    try {
      if (!r.value) throw Error(r.error);
      if (!forced) {
        const EvalFormat f = detect_format(*r.value);
        // RewardBench and TRL records differ only by "subset": read such a record as the file's
        // format says, so that a missing subset is reported as such.
        const auto family = [](EvalFormat x) { return x == EvalFormat::trl ? EvalFormat::rewardbench : x; };
        if (family(f) != family(in.format))
          throw Error(fmt::format("a {} record in a {} file (the format is the first record's; see --format)",
                                  format_name(f), format_name(in.format)));
      }
      p.group = parse_eval_record(*r.value, in.format, labels_required);
    } catch (const Error& e) {
      p.error = e.what();
    }
    in.records.push_back(std::move(p));
  }
  if (in.records.empty()) throw Error(fmt::format("{}: no records", reader.source()));
  return in;
}

int64_t report_bad_records(const std::vector<InputGroups>& inputs, bool skip_errors) {
  int64_t bad = 0, total = 0;
  for (const InputGroups& in : inputs) {
    for (const ParsedRecord& r : in.records) {
      ++total;
      if (r.group) continue;
      ++bad;
      std::cerr << fmt::format("rewardkit: {}: {}\n", r.where, r.error);
    }
  }
  if (bad > 0 && !skip_errors)
    throw Error(fmt::format("{} of {} records are bad (listed above); nothing was scored. --skip-errors scores the "
                            "rest and reports the bad ones",
                            bad, total));
  return bad;
}

}  // namespace rewardkit::cli
