#pragma once
// Matrix products of bfloat16 inputs with a float32 result, never rounded to bf16 in between.
// Attention scores need this: rounded to bf16 (steps of 1/16 at 10) the softmax of a sharp row
// is visibly off, and widening q and k to float32 first runs the product at a twentieth of the
// bf16 rate on these CPUs. libtorch has no such product; oneDNN (which libtorch itself calls for
// bf16) has, so this calls it directly when the build found its headers.
#include <ATen/ATen.h>

namespace rewardkit::nn {

// alpha * (a @ b) as a new contiguous float32 tensor [..., M, N], for bfloat16 CPU tensors
// a [..., M, K] and b [..., K, N] of any strides whose leading dimensions are a's or 1 (b is then
// read for every index there: grouped-query attention's keys). Products
// accumulate in float32. Returns an undefined tensor when this build has no oneDNN or oneDNN
// refuses the shape or this CPU; the caller then computes the product in float32 itself.
at::Tensor widening_matmul(const at::Tensor& a, const at::Tensor& b, float alpha);

// Whether this build calls oneDNN for widening_matmul (a CPU without bf16 support still gets an
// undefined result from it).
bool widening_matmul_built();

}  // namespace rewardkit::nn
