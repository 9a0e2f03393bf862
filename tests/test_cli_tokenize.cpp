// `rewardkit tokenize` end to end: ids equal to the library's tokenizer on the real stories260K
// sentencepiece model, chat rendering with the duplicate-BOS drop on the committed tiny model,
// and the error lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "rewardkit/chat.hpp"
#include "rewardkit/tokenizer.hpp"
#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;

namespace {

using ojson = nlohmann::ordered_json;

std::vector<int32_t> ids_of(const ojson& j) { return j.at("ids").get<std::vector<int32_t>>(); }

std::string quoted(const fs::path& p) {
  std::string s = "'";  // built by appending: g++ 12 warns falsely (-Wrestrict) on "'" + std::string
  s += p.string();
  s += "'";
  return s;
}

fs::path stories() {
  fs::path a = shared_assets_dir();
  return a.empty() ? a : a / "stories260K";
}

const char* kTemplate =
    "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% endif %}";

// A checkpoint of the committed tiny sentencepiece model whose template starts with the BOS string.
void write_chat_checkpoint(const fs::path& dir, const std::string& chat_template = kTemplate) {
  fs::create_symlink(fixtures_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.model", dir / "tokenizer.model");
  ojson cfg = {{"tokenizer_class", "LlamaTokenizer"}, {"bos_token", "<s>"}, {"eos_token", "</s>"},
               {"add_bos_token", true}, {"add_eos_token", false}};
  if (!chat_template.empty()) cfg["chat_template"] = chat_template;
  write_text(dir / "tokenizer_config.json", cfg.dump(2));
}

const std::vector<std::string> kTexts = {
    "Once upon a time, there was a little girl named Lily.", "", " leading space", "two  spaces\nand a newline",
    "Ünïcödé 你好 🙂", "<s> a literal BOS string </s>", "Tom and Sam were friends."};

}  // namespace

TEST(CliTokenize, Stories260KIdsEqualTheLibrarysTokenizer) {
  if (stories().empty()) GTEST_SKIP() << "../shared/assets/stories260K is absent";
  auto tok = rewardkit::load_tokenizer(stories().string());
  std::string input;
  for (const auto& t : kTexts) input += ojson{{"text", t}}.dump() + "\n";
  for (const bool no_special : {false, true}) {
    SCOPED_TRACE(no_special ? "--no-special" : "with special tokens");
    CliResult r = run_cli(std::string("tokenize ") + "--model " + quoted(stories()) + (no_special ? " --no-special" : ""), input);
    ASSERT_EQ(r.status, 0) << r.err;
    auto got = json_lines<ojson>(r.out);
    ASSERT_EQ(got.size(), kTexts.size());
    for (size_t i = 0; i < kTexts.size(); ++i) {
      EXPECT_EQ(ids_of(got[i]), tok->encode(kTexts[i], !no_special)) << kTexts[i];
      EXPECT_EQ(got[i]["line"], i + 1);
      EXPECT_FALSE(got[i].contains("text")) << "text is echoed only with --chat";
    }
    // The two modes really differ: stories260K adds BOS.
    EXPECT_EQ(ids_of(got[0]).front() == tok->bos_id().value(), !no_special);
  }
}

TEST(CliTokenize, Stories260KReadsInputFileAndSkipsBlankLines) {
  if (stories().empty()) GTEST_SKIP() << "../shared/assets/stories260K is absent";
  auto tok = rewardkit::load_tokenizer(stories().string());
  TempDir d;
  write_text(d.path() / "in.jsonl", "{\"text\": \"Lily saw a cat.\", \"id\": 7}\n\n   \n{\"text\": \"The end.\"}\n");
  CliResult r = run_cli(std::string("tokenize ") + "--model " + quoted(stories()) + " --input " + quoted(d.path() / "in.jsonl"), "");
  ASSERT_EQ(r.status, 0) << r.err;
  auto got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(ids_of(got[0]), tok->encode("Lily saw a cat.", true));
  EXPECT_EQ(got[0]["id"], 7);
  EXPECT_EQ(ids_of(got[1]), tok->encode("The end.", true));
  EXPECT_EQ(got[1]["line"], 4);
}

TEST(CliTokenize, ChatRendersAndKeepsExactlyOneBos) {
  TempDir d;
  write_chat_checkpoint(d.path());
  auto tok = rewardkit::load_tokenizer(d.path().string());
  const int32_t bos = tok->bos_id().value();
  const auto formatter = rewardkit::ChatFormatter::load(d.path().string());
  const ojson messages = ojson::parse(R"([{"role": "user", "content": "Hello world"},
                                          {"role": "assistant", "content": "the cat sat"}])");
  const std::string input = ojson{{"messages", messages}}.dump() + "\n" + ojson{{"text", "the cat sat"}}.dump() + "\n";
  const std::string expected_text = "<s>[user] Hello world</s>[assistant] the cat sat</s>";
  ASSERT_EQ(formatter.render_json(messages.dump()), expected_text);

  CliResult r = run_cli(std::string("tokenize ") + "--chat --model " + quoted(d.path()), input);
  ASSERT_EQ(r.status, 0) << r.err;
  auto got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["text"], expected_text);
  const std::vector<int32_t> ids = ids_of(got[0]);
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], bos);
  EXPECT_NE(ids[1], bos) << "the template's own <s> must not give a second BOS";
  EXPECT_EQ(ids, tok->encode(expected_text.substr(3), true));
  ASSERT_EQ(tok->encode(expected_text, true)[1], bos) << "without the drop there would be two";
  // A text line under --chat is encoded as text and echoed.
  EXPECT_EQ(got[1]["text"], "the cat sat");
  EXPECT_EQ(ids_of(got[1]), tok->encode("the cat sat", true));

  // --add-generation-prompt appends the assistant header.
  const std::string open_input = ojson{{"messages", ojson::parse(R"([{"role": "user", "content": "Hi"}])")}}.dump();
  r = run_cli(std::string("tokenize ") + "--chat --add-generation-prompt --model " + quoted(d.path()), open_input + "\n");
  ASSERT_EQ(r.status, 0) << r.err;
  got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["text"], "<s>[user] Hi</s>[assistant]");
  EXPECT_EQ(ids_of(got[0]), tok->encode("[user] Hi</s>[assistant]", true));
  r = run_cli(std::string("tokenize ") + "--chat --model " + quoted(d.path()), open_input + "\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json_lines<ojson>(r.out).at(0)["text"], "<s>[user] Hi</s>");

  // --no-special: the rendered text as it is, without added tokens (its own <s> stays).
  r = run_cli(std::string("tokenize ") + "--chat --no-special --model " + quoted(d.path()), input);
  ASSERT_EQ(r.status, 0) << r.err;
  got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(ids_of(got[0]), tok->encode(expected_text, false));
  EXPECT_EQ(ids_of(got[0]).at(0), bos);
  EXPECT_NE(ids_of(got[0]).at(1), bos);
  EXPECT_EQ(ids_of(got[1]), tok->encode("the cat sat", false));
}

TEST(CliTokenize, BadLinesStopWithTheirNumber) {
  TempDir d;
  write_chat_checkpoint(d.path());
  const std::string good = "{\"text\": \"ok\"}\n";
  // messages without --chat
  CliResult r = run_cli(std::string("tokenize ") + "--model " + quoted(d.path()),
                             good + "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n" + good);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("<stdin>:2: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--chat"), std::string::npos) << r.err;
  EXPECT_EQ(json_lines<ojson>(r.out).size(), 1u) << "output before the bad line is complete";
  // bad JSON, named by the file it came from, after a blank line that still counts
  TempDir in;
  write_text(in.path() / "x.jsonl", good + "\n{\"text\": \"unclosed\n");
  r = run_cli(std::string("tokenize ") + "--model " + quoted(d.path()) + " --input " + quoted(in.path() / "x.jsonl"), "");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find((in.path() / "x.jsonl").string() + ":3: not valid JSON"), std::string::npos) << r.err;
}

TEST(CliTokenize, SkipErrorsKeepsOneLinePerInputAndExits3) {
  TempDir d;
  write_chat_checkpoint(d.path());
  auto tok = rewardkit::load_tokenizer(d.path().string());
  const std::vector<std::string> input = {
      R"({"text": "one"})",                                 // 1 ok
      R"(not json)",                                         // 2 bad JSON
      R"({"text": 5})",                                      // 3 wrong type
      R"({"txt": "typo"})",                                  // 4 neither key
      R"({"messages": "hello"})",                            // 5 messages not an array
      R"({"messages": [{"content": "no role"}]})",           // 6 message without role
      R"([1, 2])",                                           // 7 not an object
      R"({"text": "a", "messages": []})",                    // 8 both keys
      R"({"messages": [{"role": "user", "content": "hi"}]})",  // 9 ok
  };
  std::string text;
  for (const auto& l : input) text += l + "\n";
  CliResult r = run_cli(std::string("tokenize ") + "--chat --skip-errors --model " + quoted(d.path()), text);
  EXPECT_EQ(r.status, 3) << r.err;
  auto got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), input.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]["line"], i + 1);
  EXPECT_EQ(ids_of(got[0]), tok->encode("one", true));
  for (size_t i = 1; i <= 7; ++i) EXPECT_TRUE(got[i].contains("error")) << input[i];
  EXPECT_NE(got[2]["error"].get<std::string>().find("\"text\" must be a string"), std::string::npos);
  EXPECT_NE(got[3]["error"].get<std::string>().find("missing field"), std::string::npos);
  EXPECT_NE(got[5]["error"].get<std::string>().find("role"), std::string::npos);
  EXPECT_EQ(got[8]["text"], "<s>[user] hi</s>");
  EXPECT_EQ(ids_of(got[8]), tok->encode("[user] hi</s>", true));
  EXPECT_NE(r.err.find("<stdin>:6: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("7 of 9 records had errors"), std::string::npos) << r.err;

  // Without --chat, a messages line is an error line too, and the others are still printed.
  r = run_cli(std::string("tokenize ") + "--skip-errors --model " + quoted(d.path()), input[8] + "\n" + input[0] + "\n");
  EXPECT_EQ(r.status, 3);
  got = json_lines<ojson>(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0]["error"].get<std::string>().find("--chat"), std::string::npos);
  EXPECT_EQ(ids_of(got[1]), tok->encode("one", true));
}

TEST(CliTokenize, ClearErrorsForBadOptions) {
  TempDir no_template;
  write_chat_checkpoint(no_template.path(), "");
  CliResult r = run_cli(std::string("tokenize ") + "--chat --model " + quoted(no_template.path()), "");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(no_template.path().string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no chat template"), std::string::npos) << r.err;
  // Without --chat the same checkpoint tokenizes text.
  r = run_cli(std::string("tokenize ") + "--model " + quoted(no_template.path()), "{\"text\": \"hi\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_cli(std::string("tokenize ") + "--model /nonexistent/dir", "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/nonexistent/dir"), std::string::npos) << r.err;
  r = run_cli(std::string("tokenize ") + "--add-generation-prompt --model " + quoted(no_template.path()), "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--chat"), std::string::npos) << r.err;
  r = run_cli(std::string("tokenize ") + "", "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}
