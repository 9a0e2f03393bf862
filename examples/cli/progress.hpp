#pragma once
// A one-line progress report on stderr, "label  120/400  30%  45.2/s  ETA 0:06", redrawn at most
// ten times a second, for runs long enough to wonder about. Off when stderr is not a terminal
// (logs and pipes get no control characters) or when the command was given --quiet.
#include <chrono>
#include <cstdint>
#include <string>

namespace rewardkit::cli {

class Progress {
 public:
  // total 0: unknown (the count and rate are shown, no percentage or ETA).
  Progress(std::string label, int64_t total, bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t n = 1);
  // Clears the line (call before writing other messages to stderr, and at the end).
  void clear();
  bool enabled() const { return enabled_; }

 private:
  void draw(bool force);

  std::string label_;
  int64_t total_, done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace rewardkit::cli
