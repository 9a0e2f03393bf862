#include "util/device.hpp"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::util {

namespace {

// OpenBLAS, when it is the BLAS libtorch calls (Debian's libblas.so.3 alternatives), found by
// symbol so that rewardkit runs on any BLAS.
struct OpenBlas {
  int (*get_parallel)() = nullptr;  // 0 serial, 1 pthreads, 2 OpenMP
  void (*set_num_threads)(int) = nullptr;
  int (*get_num_threads)() = nullptr;
};

const OpenBlas& openblas() {
  static const OpenBlas blas = [] {
    OpenBlas b;
    b.get_parallel = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
    b.set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    b.get_num_threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return b;
  }();
  return blas;
}

int cuda_device_count() {
  if (!at::hasCUDA()) return 0;
  return static_cast<int>(at::detail::getCUDAHooks().getNumGPUs());
}
}  // namespace

at::Device resolve_device(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  const int n = cuda_device_count();
  if (name == "auto") return n > 0 ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4)
        throw Error(fmt::format("device \"{}\": expected cuda:N with N a device number", name));
      index = std::stoi(digits);
    }
    if (!at::hasCUDA())
      throw Error(fmt::format("device \"{}\": this libtorch build has no CUDA support or no GPU is visible; "
                              "use --device cpu or auto",
                              name));
    if (index >= n)
      throw Error(fmt::format("device \"{}\": only {} CUDA device(s) visible", name, n));
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw Error(fmt::format("device \"{}\": expected cpu, cuda, cuda:N or auto", name));
}

bool cpu_has_native_bf16() {
  static const bool has = [] {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) == 0) {
        std::istringstream words(line);
        std::string w;
        while (words >> w)
          if (w == "amx_bf16" || w == "avx512_bf16") return true;
        return false;
      }
    }
    return false;
  }();
  return has;
}

bool cpu_can_multiply_half() {
  // Debian's libtorch 1.13 has none ("addmm_impl_cpu_" not implemented for 'Half'): a model would
  // load and fail at its first score, so this is asked once, at load.
  static const bool can = [] {
    try {
      const at::Tensor a = at::ones({2, 2}, at::kHalf);
      at::mm(a, a);
      return true;
    } catch (const c10::Error&) {
      return false;
    }
  }();
  return can;
}

at::ScalarType resolve_dtype(const std::string& name, const at::Device& device, const std::string& stored) {
  if (name == "float32" || name == "fp32" || name == "float") return at::kFloat;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  if (name == "float16" || name == "fp16" || name == "half") {
    if (device.is_cpu() && !cpu_can_multiply_half())
      throw Error(fmt::format("dtype \"{}\" on the CPU: this libtorch ({}) has no float16 matrix product on the "
                              "CPU; use bfloat16 or float32",
                              name, TORCH_VERSION));
    return at::kHalf;
  }
  if (name == "auto") {
    if (device.is_cuda()) return at::kBFloat16;
    const bool stored_16bit = stored == "bfloat16" || stored == "float16";
    return stored_16bit && cpu_has_native_bf16() ? at::kBFloat16 : at::kFloat;
  }
  throw Error(fmt::format("dtype \"{}\": expected float32, bfloat16, float16 or auto", name));
}

void apply_threads(int threads, at::ScalarType dtype) {
  if (threads < 0) throw Error(fmt::format("threads = {}: must be 0 (all cores) or positive", threads));
  int n = threads;
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // A pthreads OpenBLAS keeps a pool of its own beside ATen's OpenMP one, and on the same cores
  // the two pools' waiting threads spin against each other (scoring ran 1.7x to 3x slower). So
  // one pool gets the n threads, the one that does the model's matrix products: OpenBLAS for
  // float32, ATen's (oneDNN) for bfloat16 and float16, whose float32 attention scores then run on
  // one OpenBLAS thread. Measured on the small shape, 2 cores, against the other split: bf16 bt
  // 1.4x and density ratio 1.35x faster, fp32 bt 1.3x and density ratio 1.2x faster. An OpenMP
  // OpenBLAS shares ATen's pool, and gets n threads either way.
  const OpenBlas& blas = openblas();
  int blas_threads = n, aten_threads = n;
  if (blas_threads_apart()) (dtype == at::kFloat ? aten_threads : blas_threads) = 1;
  if (blas.set_num_threads) blas.set_num_threads(blas_threads);  // OpenBLAS otherwise takes every core
  if (at::get_num_threads() != aten_threads) at::set_num_threads(aten_threads);
}

bool blas_threads_apart() {
  const OpenBlas& blas = openblas();
  return blas.get_parallel && blas.get_parallel() == 1;
}

int blas_threads() {
  const OpenBlas& blas = openblas();
  return blas.get_num_threads ? blas.get_num_threads() : -1;
}

std::string blas_name() {
  const OpenBlas& blas = openblas();
  if (!blas.get_parallel) return "not OpenBLAS";
  switch (blas.get_parallel()) {
    case 0: return "OpenBLAS (serial)";
    case 1: return "OpenBLAS (pthreads)";
    case 2: return "OpenBLAS (OpenMP)";
    default: return "OpenBLAS";
  }
}

std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    default: return c10::toString(t);
  }
}

}  // namespace rewardkit::util
