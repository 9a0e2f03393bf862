#pragma once
// The committed scorer fixtures (tests/fixtures/scorers, made by tools/make_scorer_fixtures.py):
// their expected.json and its samples, as library Samples and as the CLI's JSONL records.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rewardkit/scorer.hpp"
#include "test_support.hpp"

namespace rewardkit::testing {

inline const fs::path& scorer_fixture_dir() {
  static const fs::path d = fixtures_dir() / "scorers";
  return d;
}

inline const nlohmann::json& scorer_fixture() {
  static const nlohmann::json j = nlohmann::json::parse(read_text(scorer_fixture_dir() / "expected.json"));
  return j;
}

struct FixtureSample {
  Sample sample;          // with the fixture's id
  nlohmann::json record;  // {"id", "messages"} or {"id", "prompt", "response"}, as `rewardkit score` reads
};

// The fixture's samples of one kind ("chat" or "raw"), in file order.
inline std::vector<FixtureSample> fixture_samples(const std::string& kind) {
  std::vector<FixtureSample> out;
  for (const nlohmann::json& s : scorer_fixture()["samples"]) {
    if (s["kind"] != kind) continue;
    FixtureSample f;
    f.record = {{"id", s["id"]}};
    if (kind == "chat") {
      std::vector<ChatMessage> messages;
      for (const nlohmann::json& m : s["messages"]) messages.push_back({m["role"], m["content"]});
      f.sample = Sample::conversation(std::move(messages), s["id"]);
      f.record["messages"] = s["messages"];
    } else {
      f.sample = Sample::text(s["prompt"], s["response"], s["id"]);
      f.record["prompt"] = s["prompt"];
      f.record["response"] = s["response"];
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace rewardkit::testing
