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
// Sets the threads that score a model of `dtype`: `threads`, or every core when 0. With a pthreads
// OpenBLAS (a thread pool apart from ATen's), the pool that runs the dtype's matrix products gets
// them and the other one thread: OpenBLAS for float32, ATen's for bfloat16 and float16. The
// setting is process-wide: the last model loaded sets it.
void apply_threads(int threads, at::ScalarType dtype);
// Whether the BLAS runs a thread pool apart from ATen's (a pthreads OpenBLAS).
bool blas_threads_apart();
// OpenBLAS's thread count, or -1 when the BLAS is not OpenBLAS.
int blas_threads();
// The BLAS libtorch calls, for reports: "OpenBLAS (OpenMP)", "OpenBLAS (pthreads)", ...
std::string blas_name();
// Whether this libtorch multiplies float16 matrices on the CPU (resolve_dtype refuses float16 there
// otherwise).
bool cpu_can_multiply_half();
// Whether this CPU multiplies bf16 natively (AMX-BF16 or AVX512-BF16).
bool cpu_has_native_bf16();
std::string dtype_name(at::ScalarType t);

}  // namespace rewardkit::util
