#include "cli/interrupt.hpp"

#include <csignal>

namespace rewardkit::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void on_signal(int sig) {
  stop_requested = 1;
  std::signal(sig, SIG_DFL);  // the next one is not caught
}

}  // namespace

void stop_on_interrupt() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() { return stop_requested != 0; }

}  // namespace rewardkit::cli
