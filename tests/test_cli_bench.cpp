// `rewardkit bench` runs (a tiny count: this checks what it reports, not how fast): its token
// count is the emitted workload's, each workload gives the fields the comparison script reads.
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

TEST(CliBench, ReportsTheEmittedWorkload) {
  TempDir d;
  for (const char* workload : {"bt", "density-ratio", "best-of-n"}) {
    SCOPED_TRACE(workload);
    const fs::path w = d.path() / "w.json";
    const CliResult r = run_cli(std::string("bench --shape small --count 1 --candidates 3 --threads 2 --json --workload ") +
                                workload + " --emit-workload '" + w.string() + "'");
    ASSERT_EQ(r.status, 0) << r.err;
    const json out = json::parse(r.out);
    const json emitted = json::parse(read_text(w));
    int64_t tokens = 0, sequences = 0;
    for (const json& g : emitted["layout"]) {
      if (std::string(workload) == "bt") {
        tokens += 2 * g[0].get<int64_t>() + g[1].get<int64_t>() + g[2].get<int64_t>();
        sequences += 2;
      } else if (std::string(workload) == "density-ratio") {
        tokens += g[0].get<int64_t>() + g[1].get<int64_t>();
        sequences += 1;
      } else {
        for (const json& resp : g[1]) tokens += g[0].get<int64_t>() + resp.get<int64_t>();
        sequences += static_cast<int64_t>(g[1].size());
      }
    }
    EXPECT_EQ(out["tokens"], tokens);
    EXPECT_EQ(out["sequences"], sequences);
    EXPECT_EQ(emitted["config"]["architectures"][0],
              std::string(workload) == "bt" ? "Qwen3ForSequenceClassification" : "Qwen3ForCausalLM");
    for (const char* key : {"tokens_per_s", "model_flops_per_s", "matmul_flops_per_s", "fraction_of_matmul_rate",
                            "peak_rss_over_baseline_bytes", "weight_bytes"}) {
      ASSERT_TRUE(out[key].is_number()) << key;
      EXPECT_GT(out[key].get<double>(), 0) << key;
    }
    EXPECT_EQ(out["weight_bytes"].get<int64_t>(),
              out["parameters"].get<int64_t>() * 2 * (std::string(workload) == "density-ratio" ? 2 : 1));  // bf16
  }
}
