#pragma once
// Umbrella header for the rewardkit library.
#include "rewardkit/error.hpp"
#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/tokenizer.hpp"
