#pragma once
// Every failure rewardkit reports is a rewardkit::Error carrying enough context (file, tensor,
// field) to find the problem without a debugger.
#include <stdexcept>
#include <string>

namespace rewardkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rewardkit
