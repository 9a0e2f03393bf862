#include "nn/widening_matmul.hpp"

#ifdef REWARDKIT_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#endif

namespace rewardkit::nn {

#ifdef REWARDKIT_HAVE_ONEDNN
namespace {

// Cleared at the first refusal (a CPU without bf16 support): no primitive is asked for again.
std::atomic<bool> onednn_usable{true};

dnnl::memory::dims dims_of(const at::Tensor& t) { return dnnl::memory::dims(t.sizes().begin(), t.sizes().end()); }
dnnl::memory::dims strides_of(const at::Tensor& t) {
  return dnnl::memory::dims(t.strides().begin(), t.strides().end());
}

}  // namespace

bool widening_matmul_built() { return true; }

at::Tensor widening_matmul(const at::Tensor& a_in, const at::Tensor& b_in, float alpha) {
  if (!onednn_usable.load(std::memory_order_relaxed)) return {};
  if (!a_in.device().is_cpu() || !b_in.device().is_cpu() || a_in.scalar_type() != at::kBFloat16 ||
      b_in.scalar_type() != at::kBFloat16 || a_in.dim() < 2 || a_in.dim() != b_in.dim() ||
      a_in.size(-1) != b_in.size(-2))
    return {};
  for (int64_t d = 0; d + 2 < b_in.dim(); ++d)
    if (b_in.size(d) != a_in.size(d) && b_in.size(d) != 1) return {};
  // oneDNN takes any positive strides; an expanded (stride 0) dimension is materialized first.
  const auto plain = [](const at::Tensor& t) {
    for (int64_t d = 0; d < t.dim(); ++d)
      if (t.stride(d) == 0 && t.size(d) > 1) return t.contiguous();
    return t;
  };
  const at::Tensor a = plain(a_in), b = plain(b_in);
  std::vector<int64_t> out_sizes(a.sizes().begin(), a.sizes().end());
  out_sizes.back() = b.size(-1);
  at::Tensor out = at::empty(out_sizes, a.options().dtype(at::kFloat));
  if (out.numel() == 0) return out;
  if (a.size(-1) == 0) return out.zero_();
  try {
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    using dt = dnnl::memory::data_type;
    const dnnl::memory::desc a_desc(dims_of(a), dt::bf16, strides_of(a));
    const dnnl::memory::desc b_desc(dims_of(b), dt::bf16, strides_of(b));
    const dnnl::memory::desc out_desc(dims_of(out), dt::f32, strides_of(out));
    dnnl::primitive_attr attr;
    if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
    // oneDNN caches the primitives it builds by shape: a repeated shape costs a lookup.
    const dnnl::matmul::primitive_desc desc(dnnl::matmul::desc(a_desc, b_desc, out_desc), attr, engine);
    dnnl::stream stream(engine);
    dnnl::matmul(desc).execute(stream, {{DNNL_ARG_SRC, dnnl::memory(a_desc, engine, a.data_ptr())},
                                        {DNNL_ARG_WEIGHTS, dnnl::memory(b_desc, engine, b.data_ptr())},
                                        {DNNL_ARG_DST, dnnl::memory(out_desc, engine, out.data_ptr())}});
    stream.wait();
  } catch (const dnnl::error&) {
    onednn_usable.store(false, std::memory_order_relaxed);
    return {};
  }
  return out;
}

#else

bool widening_matmul_built() { return false; }
at::Tensor widening_matmul(const at::Tensor&, const at::Tensor&, float) { return {}; }

#endif

}  // namespace rewardkit::nn
