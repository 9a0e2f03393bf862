#pragma once
// Turning LoadOptions strings into a device, a dtype and a thread count.
#include <ATen/ATen.h>

#include <string>

namespace rewardkit::util {

// "cpu", "cuda", "cuda:N", "auto". Asking for CUDA without a usable GPU is an Error.
at::Device resolve_device(const std::string& name);
// "float32"/"fp32", "bfloat16"/"bf16", "float16"/"fp16"/"half", "auto" (see LoadOptions).
// `stored` is the checkpoint's own dtype (config.json torch_dtype), possibly empty.
at::ScalarType resolve_dtype(const std::string& name, const at::Device& device, const std::string& stored);
// Sets the threads that score: `threads`, or every core when 0. With OpenBLAS both its threads and
// ATen's; with a pthreads OpenBLAS (a thread pool apart from ATen's), ATen's other ops get one.
void apply_threads(int threads);
// Whether the BLAS runs a thread pool apart from ATen's (a pthreads OpenBLAS).
bool blas_threads_apart();
// OpenBLAS's thread count, or -1 when the BLAS is not OpenBLAS.
int blas_threads();
// The BLAS libtorch calls, for reports: "OpenBLAS (OpenMP)", "OpenBLAS (pthreads)", ...
std::string blas_name();
// Whether this CPU multiplies bf16 natively (AMX-BF16 or AVX512-BF16).
bool cpu_has_native_bf16();
std::string dtype_name(at::ScalarType t);

}  // namespace rewardkit::util
