// GPT-2 style checkpoints: vocab.json + merges.txt and no tokenizer.json, tokenized as
// transformers 5.24's GPT2Tokenizer does. The real GPT-2 vocabulary from the shared assets
// (tokenizers/gpt2/encoder.json, vocab.bpe), linked into temporary checkpoint directories, against
// the ids and decodes recorded by tools/make_gpt2_fixtures.py for the texts of
// tokenizer_json_expected.json. Exact equality everywhere. Malformed files: errors naming file and line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "test_support.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/vocab_merges.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using rewardkit::testing::message_of;
using rewardkit::testing::TempDir;
using rewardkit::testing::write_text;

const json& load_fixture(const char* name) {
  static std::map<std::string, json> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::ifstream in(rewardkit::testing::fixtures_dir() / "tokenizers" / name);
    it = cache.emplace(name, json::parse(in)).first;
  }
  return it->second;
}
const json& fixture() { return load_fixture("gpt2_expected.json"); }
const json& shared_texts() { return load_fixture("tokenizer_json_expected.json")["texts"]; }

std::string show(const std::string& s) { return json(s).dump(); }
std::string show(const std::vector<int32_t>& v) { return json(v).dump(); }

// <assets>/tokenizers/gpt2, or empty with *why set.
fs::path gpt2_assets(std::string* why) {
  const fs::path assets = rewardkit::testing::shared_assets_dir();
  if (assets.empty()) {
    *why = "the shared assets (../shared/assets or REWARDKIT_SHARED_ASSETS) are absent";
    return {};
  }
  const fs::path d = assets / "tokenizers" / "gpt2";
  if (!fs::is_regular_file(d / "encoder.json") || !fs::is_regular_file(d / "vocab.bpe")) {
    *why = d.string() + " has no encoder.json + vocab.bpe";
    return {};
  }
  return d;
}

class Gpt2VocabMerges : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    const fs::path assets = gpt2_assets(&why);
    if (assets.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(shared_texts().size(), fixture()["texts_count"].get<size_t>())
        << "tokenizer_json_expected.json's texts changed: rerun tools/make_gpt2_fixtures.py";
    // A checkpoint directory: the asset files under the names transformers looks for.
    fs::create_symlink(assets / "encoder.json", dir_.path() / "vocab.json");
    fs::create_symlink(assets / "vocab.bpe", dir_.path() / "merges.txt");
    for (const auto& [name, content] : expected()["files"].items()) write_text(dir_.path() / name, content.dump(1));
  }
  const json& expected() const { return fixture()["variants"][GetParam()]; }
  std::vector<std::string> texts() const {
    std::vector<std::string> t = shared_texts().get<std::vector<std::string>>();
    for (const json& x : expected()["extra_texts"]) t.push_back(x.get<std::string>());
    return t;
  }
  TempDir dir_;
};

// Compares every case; reports the first few differences in full and the total.
TEST_P(Gpt2VocabMerges, MatchesTransformersOnEveryText) {
  auto tok = rewardkit::load_tokenizer(dir_.path().string());
  const std::vector<std::string> all = texts();
  const json& cases = expected()["cases"];
  ASSERT_EQ(all.size(), cases.size());
  int wrong = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string& text = all[i];
    const json& c = cases[i];
    const auto ids = tok->encode(text, true);
    const auto ids_ns = tok->encode(text, false);
    const std::string dec = tok->decode(c["ids_no_special"].get<std::vector<int32_t>>(), false);
    const std::string dec_skip = tok->decode(c["ids"].get<std::vector<int32_t>>(), true);
    const bool ok = ids == c["ids"].get<std::vector<int32_t>>() &&
                    ids_ns == c["ids_no_special"].get<std::vector<int32_t>>() && dec == c["decoded"].get<std::string>() &&
                    dec_skip == c["decoded_skip_special"].get<std::string>();
    if (!ok && ++wrong <= 5) {
      ADD_FAILURE() << GetParam() << " text " << i << " " << show(text) << "\n  ids      " << show(ids) << "\n  expected "
                    << c["ids"].dump() << "\n  no-special " << show(ids_ns) << "\n  expected   "
                    << c["ids_no_special"].dump() << "\n  decoded " << show(dec) << " expected " << c["decoded"].dump()
                    << "\n  decoded(skip) " << show(dec_skip) << " expected " << c["decoded_skip_special"].dump();
    }
  }
  EXPECT_EQ(wrong, 0) << "of " << all.size() << " texts";
}

TEST_P(Gpt2VocabMerges, SpecialIdsVocabularyAndPieces) {
  auto tok = rewardkit::load_tokenizer(dir_.path().string());
  const json& e = expected();
  auto opt = [](const json& v) { return v.is_null() ? std::optional<int32_t>() : std::optional<int32_t>(v.get<int32_t>()); };
  EXPECT_EQ(tok->bos_id(), opt(e["bos_id"]));
  EXPECT_EQ(tok->eos_id(), opt(e["eos_id"]));
  EXPECT_EQ(tok->pad_id(), opt(e["pad_id"]));
  EXPECT_EQ(tok->vocab_size(), e["vocab_size"].get<int64_t>());
  for (const json& p : e["id_to_token"]) {
    const int32_t id = p["id"].get<int32_t>();
    const std::string token = p["token"].get<std::string>();
    EXPECT_EQ(tok->id_to_token(id), token) << "id " << id;
    EXPECT_EQ(tok->token_to_id(token), std::optional<int32_t>(id)) << show(token);
  }
  EXPECT_THROW(tok->id_to_token(static_cast<int32_t>(tok->vocab_size()) + 10), rewardkit::Error);
}

// The pipeline rewardkit builds is, component for component, the one transformers serializes.
TEST_P(Gpt2VocabMerges, BuildsTheSamePipelineAsGpt2Tokenizer) {
  const auto config = rewardkit::tokenize::read_tokenizer_config(dir_.path().string());
  const json tj = rewardkit::tokenize::gpt2_tokenizer_json((dir_.path() / "vocab.json").string(),
                                                           (dir_.path() / "merges.txt").string(), config);
  const json& want = expected()["pipeline"];
  for (const char* key : {"normalizer", "pre_tokenizer", "decoder"}) EXPECT_EQ(tj[key], want[key]) << key;
  json model = tj["model"];
  EXPECT_EQ(model["vocab"].size(), 50257u);
  EXPECT_EQ(model["merges"].size(), 50000u);
  model.erase("vocab");
  model.erase("merges");
  EXPECT_EQ(model, want["model"]);
}

INSTANTIATE_TEST_SUITE_P(RealGpt2Vocabulary, Gpt2VocabMerges,
                         ::testing::Values("default", "add_prefix_space", "bos_eos_added_tokens"));

// ---- small hand-made files: settings measured with transformers 5.24, and errors ----

const char* kVocab = R"({"a": 0, "b": 1, "ab": 2, "c": 3, "abc": 4, "<|endoftext|>": 5, "\u0120": 6, "\u0120a": 7})";

struct Checkpoint {
  TempDir dir;
  Checkpoint(const std::string& vocab, const std::string& merges, const std::string& config = "") {
    write_text(dir.path() / "vocab.json", vocab);
    write_text(dir.path() / "merges.txt", merges);
    if (!config.empty()) write_text(dir.path() / "tokenizer_config.json", config);
  }
  std::string path() const { return dir.path().string(); }
  std::string error() const {
    return message_of([&] { rewardkit::load_tokenizer(path()); });
  }
};

TEST(Gpt2VocabMergesFiles, SettingsFromTokenizerConfig) {
  using V = std::vector<int32_t>;
  // Values from GPT2Tokenizer / AutoTokenizer on the same files.
  {
    Checkpoint c(kVocab, "#version: 0.2\na b\nab c\n");
    auto tok = rewardkit::load_tokenizer(c.path());
    EXPECT_EQ(tok->encode("abc a"), (V{4, 6, 0}));
    EXPECT_EQ(tok->decode({4, 6, 0}), "abc a");
    EXPECT_EQ(tok->vocab_size(), 8);
    EXPECT_EQ(tok->bos_id(), 5);
    EXPECT_EQ(tok->eos_id(), 5);
    EXPECT_EQ(tok->pad_id(), std::nullopt);
  }
  {
    Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": true})");
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->encode("abc a"), (V{6, 4, 6, 0}));
  }
  {
    Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2Tokenizer", "add_bos_token": true})");
    auto tok = rewardkit::load_tokenizer(c.path());
    EXPECT_EQ(tok->encode("abc a"), (V{5, 4, 6, 0}));
    EXPECT_EQ(tok->encode("abc a", false), (V{4, 6, 0}));
  }
  {
    Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2TokenizerFast", "add_eos_token": true})");
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->encode("abc a"), (V{4, 6, 0, 5}));
  }
  {  // a BOS that is not in the vocabulary gets the next id, and the template uses it
    Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2Tokenizer", "add_bos_token": true, "bos_token": "<s>"})");
    auto tok = rewardkit::load_tokenizer(c.path());
    EXPECT_EQ(tok->encode("abc a"), (V{8, 4, 6, 0}));
    EXPECT_EQ(tok->vocab_size(), 9);
  }
  {  // add_bos_token with a null bos_token adds nothing
    Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2Tokenizer", "add_bos_token": true, "bos_token": null})");
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->encode("abc a"), (V{4, 6, 0}));
  }
}

TEST(Gpt2VocabMergesFiles, MergesFileLinesAsTokenizersReadsThem) {
  using V = std::vector<int32_t>;
  for (const char* merges : {"#version: 0.2\na b\nab c\n", "a b\nab c", "#version: 0.2\r\na b\r\nab c\r\n",
                             "a b\n#version: 0.2\nab c\n", "#version: 0.2\na b\nab c\n\n\n"}) {
    Checkpoint c(kVocab, merges);
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->encode("abc a"), (V{4, 6, 0})) << show(merges);
  }
}

TEST(Gpt2VocabMergesFiles, MalformedMergesLineNamesFileAndLine) {
  for (const char* merges : {"#version: 0.2\na b\na b c\n", "#version: 0.2\na b\nab\n", "#version: 0.2\na b\na  b\n",
                             "#version: 0.2\na b\n#comment\n", "#version: 0.2\na b\n\nab c\n"}) {
    Checkpoint c(kVocab, merges);
    const std::string what = c.error();
    EXPECT_NE(what.find("merges.txt:3:"), std::string::npos) << show(merges) << ": " << what;
  }
}

TEST(Gpt2VocabMergesFiles, MergeWithAnUnknownTokenNamesIt) {
  {
    Checkpoint c(kVocab, "#version: 0.2\na b\na z\n");
    const std::string what = c.error();
    EXPECT_NE(what.find("merges.txt:3:"), std::string::npos) << what;
    EXPECT_NE(what.find("\"z\""), std::string::npos) << what;
    EXPECT_NE(what.find("vocab.json"), std::string::npos) << what;
  }
  {  // both parts known, the merged token not
    Checkpoint c(kVocab, "b c\n");
    const std::string what = c.error();
    EXPECT_NE(what.find("merges.txt:1:"), std::string::npos) << what;
    EXPECT_NE(what.find("\"bc\""), std::string::npos) << what;
  }
}

TEST(Gpt2VocabMergesFiles, VocabMustBeAnObjectOfIds) {
  for (const char* vocab : {R"(["a", "b"])", R"("a")"}) {
    Checkpoint c(vocab, "a b\n");
    const std::string what = c.error();
    EXPECT_NE(what.find("vocab.json"), std::string::npos) << what;
    EXPECT_NE(what.find("object"), std::string::npos) << what;
  }
  {
    Checkpoint c(R"({"a": 0, "b": "1"})", "a b\n");
    const std::string what = c.error();
    EXPECT_NE(what.find("vocab.json"), std::string::npos) << what;
    EXPECT_NE(what.find("\"b\""), std::string::npos) << what;
  }
  {
    Checkpoint c("{not json", "a b\n");
    const std::string what = c.error();
    EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
    EXPECT_NE(what.find("vocab.json"), std::string::npos) << what;
  }
}

TEST(Gpt2VocabMergesFiles, OtherTokenizerClassesAreRefused) {
  for (const char* cls : {"RobertaTokenizer", "CLIPTokenizerFast", "Qwen2Tokenizer"}) {
    Checkpoint c(kVocab, "a b\n", json{{"tokenizer_class", cls}}.dump());
    const std::string what = c.error();
    EXPECT_NE(what.find(std::string("\"") + cls + "\""), std::string::npos) << what;
    EXPECT_NE(what.find("GPT2Tokenizer"), std::string::npos) << what;
    EXPECT_NE(what.find("tokenizer_config.json"), std::string::npos) << what;
  }
}

TEST(Gpt2VocabMergesFiles, LegacyAddedTokensJson) {
  using V = std::vector<int32_t>;
  // Measured: ids re-derived in index order; <|x|> is not a named special token, so normalized
  // and not special (kept by skip_special_tokens); added_tokens_decoder in the config disables the file.
  Checkpoint c(kVocab, "a b\nab c\n", R"({"tokenizer_class": "GPT2Tokenizer"})");
  write_text(c.dir.path() / "added_tokens.json", R"({"<|x|>": 20, "<|y|>": 10, "<|endoftext|>": 5})");
  auto tok = rewardkit::load_tokenizer(c.path());
  EXPECT_EQ(tok->encode("a<|x|>b<|y|><|endoftext|>"), (V{0, 9, 1, 8, 5}));
  EXPECT_EQ(tok->decode({0, 9, 1, 8, 5}, true), "a<|x|>b<|y|>");
  EXPECT_EQ(tok->vocab_size(), 10);

  write_text(c.dir.path() / "tokenizer_config.json", R"({"tokenizer_class": "GPT2Tokenizer", "added_tokens_decoder": {}})");
  EXPECT_EQ(rewardkit::load_tokenizer(c.path())->vocab_size(), 8);
}

TEST(Gpt2VocabMergesFiles, FactoryChoosesAndExplains) {
  {  // vocab.json alone is not a tokenizer
    TempDir dir;
    write_text(dir.path() / "vocab.json", kVocab);
    const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
    EXPECT_NE(what.find("no tokenizer"), std::string::npos) << what;
    EXPECT_NE(what.find("vocab.json but no merges.txt"), std::string::npos) << what;
    EXPECT_NE(what.find("tokenizer.model"), std::string::npos) << what;
  }
  {  // a tokenizer.json wins over vocab.json + merges.txt
    Checkpoint c(kVocab, "a b\n");
    write_text(c.dir.path() / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"x": 0}, "merges": []}})");
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->vocab_size(), 1);
  }
  {  // a LlamaTokenizer checkpoint with stray vocab.json + merges.txt reads its tokenizer.model
    const fs::path spm = rewardkit::testing::fixtures_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.model";
    Checkpoint c(kVocab, "a b\n", R"({"tokenizer_class": "LlamaTokenizer"})");
    fs::copy_file(spm, c.dir.path() / "tokenizer.model");
    EXPECT_NE(rewardkit::load_tokenizer(c.path())->vocab_size(), 8);
    write_text(c.dir.path() / "tokenizer_config.json", "{}");  // no class: vocab.json + merges.txt first
    EXPECT_EQ(rewardkit::load_tokenizer(c.path())->vocab_size(), 8);
  }
}

}  // namespace
