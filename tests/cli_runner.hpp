#pragma once
// Running the built `rewardkit` program from the CLI tests: stdin from a string, stdout and
// stderr captured, the exit status decoded. REWARDKIT_CLI_PATH comes from tests/CMakeLists.txt.
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace rewardkit::testing {

struct CliResult {
  int status = -1;  // the exit status, or -1 when the program did not exit normally
  std::string out, err;
};

// `args` go to the shell as they are (quote paths yourself).
inline CliResult run_cli(const std::string& args, const std::string& stdin_text = "") {
  TempDir d;
  write_text(d.path() / "in.jsonl", stdin_text);
  const std::string cmd = std::string("'") + REWARDKIT_CLI_PATH + "' " + args + " < '" +
                          (d.path() / "in.jsonl").string() + "' > '" + (d.path() / "out").string() + "' 2> '" +
                          (d.path() / "err").string() + "'";
  CliResult r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(d.path() / "out");
  r.err = read_text(d.path() / "err");
  return r;
}

// One JSON value per output line (key order kept with Json = nlohmann::ordered_json).
template <class Json = nlohmann::json>
std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(Json::parse(line));
  return out;
}

}  // namespace rewardkit::testing
