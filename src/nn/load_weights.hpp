#pragma once
// Reads a checkpoint's tensors into DecoderWeights: every expected tensor by its HF name and
// shape, converted to the target device and dtype. A missing, mis-shaped or unexpected tensor
// is an error that names it.
#include <ATen/ATen.h>

#include "io/safetensors.hpp"
#include "nn/arch_config.hpp"
#include "nn/decoder.hpp"

namespace rewardkit::nn {

DecoderWeights load_decoder_weights(const io::Checkpoint& checkpoint, const ArchConfig& config,
                                    at::Device device, at::ScalarType dtype);

// The same tensors with random values (benchmarks and tests that need no checkpoint).
DecoderWeights random_decoder_weights(const ArchConfig& config, at::Device device, at::ScalarType dtype,
                                      uint64_t seed);

}  // namespace rewardkit::nn
