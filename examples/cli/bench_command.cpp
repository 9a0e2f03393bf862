// `rewardkit bench`: scoring speed and memory on random-weight models of any config.json shape
// (no checkpoint needed; --checkpoint loads one, for the load time), beside the machine's own matrix-multiply rate measured in the same run,
// so that each figure reads as a fraction of what the hardware does. tools/bench_hf.py runs the
// same workload (from --emit-workload) with transformers; tools/bench_compare.py runs both.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ATen/Parallel.h>

#include "cli/commands.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "score/batched_forward.hpp"
#include "util/device.hpp"

namespace rewardkit::cli {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Built-in shapes. qwen3-0.6b is Qwen3-0.6B's config.json (the architecture is set per workload).
const char* kQwen3_06B = R"({"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "hidden_size": 1024,
  "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
  "intermediate_size": 3072, "vocab_size": 151936, "max_position_embeddings": 40960, "rms_norm_eps": 1e-6,
  "rope_theta": 1000000, "tie_word_embeddings": true, "hidden_act": "silu", "attention_bias": false,
  "torch_dtype": "bfloat16", "pad_token_id": 151643, "eos_token_id": 151645})";
const char* kSmall = R"({"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "hidden_size": 256,
  "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
  "intermediate_size": 768, "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-6,
  "rope_theta": 1000000, "tie_word_embeddings": true, "hidden_act": "silu", "attention_bias": false,
  "torch_dtype": "bfloat16", "pad_token_id": 0, "eos_token_id": 1})";

struct BenchArgs {
  std::string shape = "small";
  std::string config;      // a config.json instead of a built-in shape
  std::string checkpoint;  // a checkpoint directory to load instead of random weights
  std::string workload = "bt";
  int64_t count = 32;   // pairs (bt), samples (density-ratio), prompts (best-of-n)
  int64_t candidates = 16;
  int64_t batch_tokens = 8192;
  uint64_t seed = 0;
  std::string emit_workload;
  bool json_out = false;
  bool share_prompts = true;
  LoadOptions load;
};

// The config with the head the workload needs.
json config_for(const json& base, bool classifier) {
  json c = base;
  std::string arch = c.contains("architectures") ? c["architectures"][0].get<std::string>() : "Qwen3ForCausalLM";
  const size_t at = arch.find("For");
  if (at != std::string::npos) arch.erase(at);
  c["architectures"] = {arch + (classifier ? "ForSequenceClassification" : "ForCausalLM")};
  if (classifier) {
    c["id2label"] = {{"0", "LABEL_0"}};
    c["label2id"] = {{"LABEL_0", 0}};
    c["tie_word_embeddings"] = false;
  }
  return c;
}

// A sequence of the workload: its length and where the response starts.
struct Seq {
  int64_t prompt = 0, response = 0;
};

std::vector<Seq> make_lengths(const BenchArgs& a, json& layout) {
  std::mt19937_64 rng(a.seed);
  auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<Seq> out;
  layout = json::array();
  for (int64_t i = 0; i < a.count; ++i) {
    if (a.workload == "bt") {  // a prompt and two responses
      const int64_t p = uniform(32, 256), c = uniform(16, 256), r = uniform(16, 256);
      out.push_back({p, c});
      out.push_back({p, r});
      layout.push_back({p, c, r});
    } else if (a.workload == "density-ratio") {
      const int64_t p = uniform(32, 256), r = uniform(16, 256);
      out.push_back({p, r});
      layout.push_back({p, r});
    } else {  // best-of-n: one prompt, N responses
      const int64_t p = uniform(64, 256);
      json responses = json::array();
      for (int64_t k = 0; k < a.candidates; ++k) {
        const int64_t r = uniform(16, 128);
        out.push_back({p, r});
        responses.push_back(r);
      }
      layout.push_back({p, responses});
    }
  }
  return out;
}

std::vector<score::TokenizedSample> make_samples(const std::vector<Seq>& seqs, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed + 1);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
  std::vector<score::TokenizedSample> out;
  std::vector<int32_t> prompt;
  int64_t last_prompt = -1;
  for (const Seq& s : seqs) {
    // Responses to the same prompt share its tokens (best-of-n, bt pairs).
    if (s.prompt != last_prompt) {
      prompt.resize(static_cast<size_t>(s.prompt));
      for (int32_t& t : prompt) t = token(rng);
      last_prompt = s.prompt;
    }
    score::TokenizedSample t;
    t.ids = prompt;
    for (int64_t i = 0; i < s.response; ++i) t.ids.push_back(token(rng));
    t.response_start = s.prompt;
    out.push_back(std::move(t));
  }
  return out;
}

// Forward FLOPs of `T` new tokens that follow `past` tokens already computed (a shared prompt):
// the projections (2 per weight per token), causal attention (QK^T and AV over the keys each query
// sees) and the vocabulary head on the `head_rows` positions whose log-prob is wanted (rewardkit
// runs the head on scored positions only).
double forward_flops(const json& c, int64_t T, int64_t head_rows, int64_t past = 0) {
  const double H = c["hidden_size"], I = c["intermediate_size"], L = c["num_hidden_layers"];
  const double nh = c["num_attention_heads"], nkv = c["num_key_value_heads"];
  const double hd = c.contains("head_dim") ? c["head_dim"].get<double>() : H / nh;
  const double V = c["vocab_size"];
  const double t = static_cast<double>(T), p = static_cast<double>(past);
  const double proj = 2.0 * t * (H * nh * hd + 2.0 * H * nkv * hd + nh * hd * H + 3.0 * H * I);
  const double attn = 2.0 * 2.0 * nh * hd * t * (p + (t + 1) / 2.0);
  return L * (proj + attn) + 2.0 * static_cast<double>(head_rows) * V * H;
}

// The machine's matrix-multiply rate in FLOP/s for a dtype, at a model-like shape.
double matmul_rate(at::ScalarType dtype, int64_t k, int64_t n) {
  const at::Tensor a = at::randn({2048, k}).to(dtype), b = at::randn({k, n}).to(dtype);
  at::mm(a, b);  // warm-up
  int64_t reps = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < 1.0 || reps < 3) {
    at::mm(a, b);
    ++reps;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return 2.0 * 2048 * k * n * reps / elapsed;
}

// A /proc/self/status field in bytes: VmHWM (peak resident set) or VmRSS (now).
int64_t status_bytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size())) * 1024;
  return -1;
}

int64_t weight_bytes(const Model& m) {
  const int64_t elem = m.dtype() == at::kFloat ? 4 : 2;
  return m.info().parameter_count * elem;
}

int run(const BenchArgs& a) {
  json base;
  std::string name = a.shape;
  const std::string config_file = !a.checkpoint.empty() ? a.checkpoint + "/config.json" : a.config;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) throw Error(fmt::format("{}: cannot open", config_file));
    try {
      base = json::parse(in);
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: not valid JSON ({})", config_file, e.what()));
    }
    name = a.checkpoint.empty() ? a.config : a.checkpoint;
  } else {
    base = json::parse(a.shape == "qwen3-0.6b" ? kQwen3_06B : kSmall);
  }
  const bool classifier = a.workload == "bt";
  const json config = a.checkpoint.empty() ? config_for(base, classifier) : base;
  if (!a.checkpoint.empty()) {
    const std::string arch = base.value("architectures", json::array({""}))[0].get<std::string>();
    const bool is_classifier = arch.find("ForSequenceClassification") != std::string::npos;
    if (is_classifier != classifier)
      throw Error(fmt::format("{}: architectures[0] is \"{}\", and the {} workload needs a {} checkpoint", config_file,
                              arch, a.workload, classifier ? "*ForSequenceClassification" : "*ForCausalLM"));
  }
  json layout;
  const std::vector<Seq> seqs = make_lengths(a, layout);
  if (!a.emit_workload.empty()) {
    std::ofstream out(a.emit_workload);
    out << json{{"config", config},      {"workload", a.workload},       {"layout", layout},
                {"dtype", a.load.dtype}, {"batch_tokens", a.batch_tokens}, {"seed", a.seed}}
               .dump(1)
        << "\n";
    if (!out) throw Error(fmt::format("{}: cannot write", a.emit_workload));
  }

  // What the process holds before any model (libtorch, its thread pools) is not the workload's.
  const int64_t baseline = status_bytes("VmRSS:");
  const auto load_start = Clock::now();
  std::vector<std::shared_ptr<Model>> models;
  const int n_models = a.workload == "density-ratio" ? 2 : 1;
  for (int m = 0; m < n_models; ++m)
    models.push_back(a.checkpoint.empty() ? Model::random(config.dump(), a.load, a.seed + 100 * m, name)
                                          : Model::load(a.checkpoint, a.load));
  const double build_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  const Model& model = *models[0];
  const std::vector<score::TokenizedSample> samples = make_samples(seqs, model.info().vocab_size, a.seed);

  int64_t tokens = 0;
  double flops = 0;
  for (const auto& s : samples) {
    tokens += static_cast<int64_t>(s.ids.size());
    const auto length = static_cast<int64_t>(s.ids.size());
    flops += forward_flops(config, length, classifier ? 0 : length - s.response_start) *
             static_cast<double>(models.size());
  }
  auto timed_run = [&](const std::vector<score::TokenizedSample>& batch, bool share) {
    const auto start = Clock::now();
    if (classifier) {
      score::classifier_scores(model, batch, a.batch_tokens);
    } else {
      for (const auto& m : models) score::response_logprobs(*m, batch, a.batch_tokens, share);
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // Warm-up: first-call allocations and kernel selection, with and without a shared prompt. The
  // first call is the first score: what a user waits for after asking to load.
  const double first_score_s = build_s + timed_run({samples.front()}, a.share_prompts);
  if (samples.size() >= 2) timed_run({samples[0], samples[1]}, a.share_prompts);
  const double wall = timed_run(samples, a.share_prompts);
  const int64_t peak = status_bytes("VmHWM:") - baseline;
  // Best-of-n: the same work without prompt sharing, for the speed-up it gives (FLOP figures
  // count every sequence whole, so with sharing they are effective rates).
  const bool compare_sharing = a.workload == "best-of-n" && a.share_prompts;
  const double unshared_wall = compare_sharing ? timed_run(samples, false) : wall;

  const double H = config["hidden_size"], I = config["intermediate_size"];
  const double rate_model_dtype = matmul_rate(model.dtype(), static_cast<int64_t>(H), static_cast<int64_t>(I));
  const double rate_fp32 =
      model.dtype() == at::kFloat ? rate_model_dtype : matmul_rate(at::kFloat, static_cast<int64_t>(H), static_cast<int64_t>(I));
  const double rate_bf16 = model.dtype() == at::kBFloat16
                               ? rate_model_dtype
                               : matmul_rate(at::kBFloat16, static_cast<int64_t>(H), static_cast<int64_t>(I));
  int64_t weights = 0;
  for (const auto& m : models) weights += weight_bytes(*m);
  const int threads = a.load.threads > 0 ? a.load.threads : static_cast<int>(std::thread::hardware_concurrency());

  json out = {{"engine", "rewardkit"},
              {"shape", name},
              {"workload", a.workload},
              {"dtype", model.info().dtype},
              {"threads", threads},
              {"aten_threads", at::get_num_threads()},
              {"blas", util::blas_name()},
              {"sequences", samples.size()},
              {"tokens", tokens},
              {"checkpoint", a.checkpoint},
              {"load_to_first_score_s", first_score_s},
              {"wall_s", wall},
              {"tokens_per_s", static_cast<double>(tokens) / wall},
              {"model_flops_per_s", flops / wall},
              {"matmul_flops_per_s", rate_model_dtype},
              {"matmul_fp32_flops_per_s", rate_fp32},
              {"matmul_bf16_flops_per_s", rate_bf16},
              {"fraction_of_matmul_rate", flops / wall / rate_model_dtype},
              {"peak_rss_over_baseline_bytes", peak},
              {"baseline_rss_bytes", baseline},
              {"weight_bytes", weights},
              {"build_s", build_s},
              {"parameters", model.info().parameter_count}};
  out["share_prompts"] = a.share_prompts;
  if (compare_sharing) {
    out["unshared_wall_s"] = unshared_wall;
    out["prompt_sharing_speedup"] = unshared_wall / wall;
  }
  if (a.workload == "best-of-n") {
    // The speed-up prompt sharing could give: N(P+R) / (P+NR), over this workload's lengths.
    double unshared = 0, shared = 0;
    for (const json& g : layout) {
      const double p = g[0];
      double r = 0;
      for (const json& x : g[1]) r += x.get<double>();
      unshared += static_cast<double>(g[1].size()) * p + r;
      shared += p + r;
    }
    out["ideal_prompt_sharing_speedup"] = unshared / shared;
    // The same by compute: the head runs on response tokens either way, so a prompt token saved
    // is worth less than a response token, and this ideal is the lower, reachable one.
    double unshared_flops = 0, shared_flops = 0;
    for (const json& g : layout) {
      const int64_t p = g[0];
      shared_flops += forward_flops(config, p, 0);
      for (const json& x : g[1]) {
        const int64_t r = x;
        unshared_flops += forward_flops(config, p + r, r);
        shared_flops += forward_flops(config, r, r, p);
      }
    }
    out["compute_ideal_prompt_sharing_speedup"] = unshared_flops / shared_flops;
  }
  if (a.json_out) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "rewardkit bench: {} workload on {} ({:.0f} M parameters, {}, {} threads, {})\n"
      "  {} sequences, {} tokens in {:.2f} s: {:.0f} tokens/s\n"
      "  model FLOP/s {:.1f} G = {:.0f}% of the measured {} matmul rate ({:.1f} G; fp32 {:.1f} G, bf16 {:.1f} G)\n"
      "  peak RSS {:.0f} MiB over the {:.0f} MiB before the models, weights {:.0f} MiB (ratio {:.2f})\n"
      "  {} in {:.2f} s, first score {:.2f} s after asking\n",
      a.workload, name, model.info().parameter_count / 1e6, model.info().dtype, threads, util::blas_name(), samples.size(),
      tokens, wall, static_cast<double>(tokens) / wall, flops / wall / 1e9, 100 * flops / wall / rate_model_dtype,
      model.info().dtype, rate_model_dtype / 1e9, rate_fp32 / 1e9, rate_bf16 / 1e9, peak / 1048576.0,
      baseline / 1048576.0, weights / 1048576.0, static_cast<double>(peak) / static_cast<double>(weights),
      a.checkpoint.empty() ? "built" : "loaded", build_s, first_score_s);
  if (compare_sharing) {
    const double ideal = out["ideal_prompt_sharing_speedup"], got = out["prompt_sharing_speedup"];
    const double compute_ideal = out["compute_ideal_prompt_sharing_speedup"];
    std::cout << fmt::format(
        "  prompt sharing: {:.2f}x faster than unshared ({:.2f} s): {:.0f}% of the ideal N(P+R)/(P+NR) = {:.2f}x, "
        "{:.0f}% of the ideal by FLOPs {:.2f}x\n",
        got, unshared_wall, 100 * got / ideal, ideal, 100 * got / compute_ideal, compute_ideal);
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  args->load.dtype = "bfloat16";
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Scoring speed and memory on a random-weight model of a config.json shape, beside the machine's matmul rate "
      "measured in the same run. Lengths (uniform, seeded): bt prompts 32-256 and two responses 16-256 tokens; "
      "density-ratio prompts 32-256, responses 16-256, two models; best-of-n prompts 64-256, N responses 16-128");
  cmd->add_option("--shape", args->shape, "built-in shape: small or qwen3-0.6b")
      ->capture_default_str()
      ->check(CLI::IsMember({"small", "qwen3-0.6b"}));
  cmd->add_option("--config", args->config, "a config.json to take the shape from instead of --shape");
  cmd->add_option("--checkpoint", args->checkpoint,
                  "load this checkpoint directory instead of building random weights (its architecture must "
                  "suit the workload), to time load and first score; tools/bench/bench_load.py makes one");
  cmd->add_option("--workload", args->workload, "bt, density-ratio or best-of-n")
      ->capture_default_str()
      ->check(CLI::IsMember({"bt", "density-ratio", "best-of-n"}));
  cmd->add_option("--count", args->count, "pairs (bt), samples (density-ratio) or prompts (best-of-n)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--candidates", args->candidates, "best-of-n: responses per prompt")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-tokens", args->batch_tokens, "padded tokens per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "weights, lengths and tokens")->capture_default_str();
  cmd->add_option("--emit-workload", args->emit_workload,
                  "write the config, lengths and settings as JSON, for tools/bench_hf.py");
  cmd->add_flag("--json", args->json_out, "print one JSON object");
  cmd->add_flag("!--no-share-prompts", args->share_prompts,
                "score each (prompt, response) whole instead of running a shared prompt once");
  add_load_options(*cmd, args->load);
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
