#pragma once
// Ctrl-C and SIGTERM as a request to stop: the commands finish the chunk in hand, write its
// complete lines and exit with status 130, so an interrupted run leaves a valid prefix of its
// output. A second signal kills the process as usual.
namespace rewardkit::cli {

void stop_on_interrupt();  // installs the handlers
bool interrupted();
constexpr int kInterruptedStatus = 130;

}  // namespace rewardkit::cli
