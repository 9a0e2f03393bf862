// The public chat API (rewardkit/chat.hpp): ChatFormatter against what transformers 5.24 renders
// for the real Qwen3 template (tests/fixtures/chat/expected.json), its validation and errors, and
// encode_rendered_chat's duplicate-BOS rule on a real sentencepiece tokenizer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "rewardkit/chat.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "test_support.hpp"

namespace {

using rewardkit::testing::message_of;

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
using rewardkit::ChatFormatter;
using rewardkit::ChatMessage;
using rewardkit::ChatOptions;
using rewardkit::testing::fixtures_dir;
using rewardkit::testing::TempDir;
using rewardkit::testing::write_text;

const ojson& chat_fixtures() {
  static const ojson j = [] {
    std::ifstream in(fixtures_dir() / "chat" / "expected.json");
    if (!in) throw std::runtime_error("missing tests/fixtures/chat/expected.json");
    return ojson::parse(in);
  }();
  return j;
}


// The directory holding the Qwen3 package's tokenizer_config.json, or empty with *why set.
fs::path qwen3_dir(std::string* why) {
  const ojson& pkg = chat_fixtures()["packages"]["qwen3"];
  fs::path cfg = rewardkit::testing::npm_package_file(pkg["package"].get<std::string>(), pkg["version"].get<std::string>(),
                                                      pkg["config"].get<std::string>(), why);
  return cfg.empty() ? cfg : cfg.parent_path();
}

// Messages a ChatMessage can carry: only string role, content and reasoning_content.
std::optional<std::vector<ChatMessage>> as_chat_messages(const ojson& messages) {
  std::vector<ChatMessage> out;
  for (const auto& m : messages) {
    ChatMessage msg;
    for (const auto& [k, v] : m.items()) {
      if (!v.is_string()) return std::nullopt;
      if (k == "role") msg.role = v.get<std::string>();
      else if (k == "content") msg.content = v.get<std::string>();
      else if (k == "reasoning_content") msg.reasoning_content = v.get<std::string>();
      else return std::nullopt;
    }
    if (!m.contains("content")) return std::nullopt;
    out.push_back(std::move(msg));
  }
  return out;
}

// A checkpoint directory with the committed tiny sentencepiece model and a tokenizer_config.json.
void write_tiny_checkpoint(const fs::path& dir, bool add_bos, const std::string& chat_template) {
  fs::create_symlink(fixtures_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.model", dir / "tokenizer.model");
  ojson cfg = {{"tokenizer_class", "LlamaTokenizer"}, {"bos_token", "<s>"},  {"eos_token", "</s>"},
               {"unk_token", "<unk>"},                {"add_bos_token", add_bos}, {"add_eos_token", false}};
  if (!chat_template.empty()) cfg["chat_template"] = chat_template;
  write_text(dir / "tokenizer_config.json", cfg.dump(2));
}

const char* kBosTemplate =
    "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% endif %}";

}  // namespace

TEST(ChatFormatter, Qwen3MatchesTransformersThroughLoadRenderAndRenderJson) {
  std::string why;
  const fs::path dir = qwen3_dir(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  const ChatFormatter loaded = ChatFormatter::load(dir.string());
  EXPECT_FALSE(loaded.bos_token().has_value()) << "Qwen3's tokenizer_config.json has bos_token null";
  ASSERT_TRUE(loaded.eos_token().has_value());
  // The formatter built by hand gets pad_token through extra_json, as the fixture generator passed it.
  int json_checked = 0, struct_checked = 0;
  for (const auto& c : chat_fixtures()["cases"]) {
    if (c["family"] != "qwen3" || c.contains("error")) continue;
    const ojson& o = c["options"];
    const std::string label = c["name"].get<std::string>() + " agp=" + o["add_generation_prompt"].dump() +
                              " extra=" + o["extra"].dump();
    SCOPED_TRACE(label);
    ASSERT_EQ(*loaded.eos_token(), o["eos_token"].get<std::string>());
    ChatOptions options;
    options.add_generation_prompt = o["add_generation_prompt"].get<bool>();
    options.extra_json = o["extra"].dump();
    const std::string expected = c["expected"].get<std::string>();
    EXPECT_EQ(loaded.render_json(c["messages"].dump(), options), expected);
    ++json_checked;
    if (auto msgs = as_chat_messages(c["messages"])) {
      EXPECT_EQ(loaded.render(*msgs, options), expected);
      ChatFormatter by_hand(loaded.template_source(), std::nullopt, o["eos_token"].get<std::string>());
      ojson extra = o["extra"];
      extra["pad_token"] = o["pad_token"];
      options.extra_json = extra.dump();
      EXPECT_EQ(by_hand.render(*msgs, options), expected);
      ++struct_checked;
    }
  }
  EXPECT_GE(json_checked, 90);
  EXPECT_GE(struct_checked, 60);
}

TEST(ChatFormatter, Qwen3EnableThinkingAndReasoningField) {
  std::string why;
  const fs::path dir = qwen3_dir(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  const ChatFormatter f = ChatFormatter::load(dir.string());
  const std::vector<ChatMessage> msgs = {{"user", "What is 2+2?", std::nullopt}, {"assistant", "4", "simple sum"}};
  const std::string text = f.render(msgs);
  EXPECT_NE(text.find("<think>\nsimple sum\n</think>"), std::string::npos) << text;
  ChatOptions o;
  o.add_generation_prompt = true;
  o.extra_json = R"({"enable_thinking": false})";
  const std::string prompt = f.render({msgs[0]}, o);
  const std::string tail = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
  ASSERT_GE(prompt.size(), tail.size()) << prompt;
  EXPECT_EQ(prompt.substr(prompt.size() - tail.size()), tail) << prompt;
}

TEST(ChatFormatter, ConstructorTokensOptionsAndKeyOrder) {
  ChatFormatter f(
      "{{ bos_token is defined }}|{{ eos_token }}|{% for m in messages %}{{ m.role }}:{{ m.content }}"
      "[{{ m.reasoning_content }}|{{ m.thinking }}]{% endfor %}|{{ flag }}{% if add_generation_prompt %}>{% endif %}",
      std::nullopt, "</s>");
  EXPECT_FALSE(f.bos_token().has_value());
  EXPECT_EQ(f.eos_token().value(), "</s>");
  ChatOptions o;
  o.add_generation_prompt = true;
  o.extra_json = R"({"flag": "F", "eos_token": "E"})";  // extra wins, even over eos_token
  EXPECT_EQ(f.render({{"assistant", "c", "r"}}, o), "False|E|assistant:c[r|r]|F>");
  EXPECT_EQ(f.render({{"user", "u", std::nullopt}}), "False|</s>|user:u[|]|");
  // render_json keeps the key order of the messages (what tojson prints) and drops null keys.
  ChatFormatter j("{{ messages[0]|tojson }}", "<s>", std::nullopt);
  EXPECT_EQ(j.render_json(R"([{"role": "user", "zeta": 1, "alpha": [2, "x"], "gone": null}])"),
            R"({"role": "user", "zeta": 1, "alpha": [2, "x"]})");
}

TEST(ChatFormatter, BadMessagesAndOptionsAreClearErrors) {
  ChatFormatter f("{% for m in messages %}{{ m.content }}{% endfor %}", std::nullopt, std::nullopt);
  std::string msg = message_of([&] { f.render({{"user", "a", std::nullopt}, {"", "b", std::nullopt}}); });
  EXPECT_NE(msg.find("messages[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("role"), std::string::npos) << msg;
  msg = message_of([&] { f.render_json(R"([{"role": "user", "content": "x"},)"); });
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  msg = message_of([&] { f.render_json(R"({"role": "user", "content": "x"})"); });
  EXPECT_NE(msg.find("JSON array"), std::string::npos) << msg;
  msg = message_of([&] { f.render_json(R"([{"role": "user"}, "hello"])"); });
  EXPECT_NE(msg.find("messages[1]: expected a JSON object"), std::string::npos) << msg;
  msg = message_of([&] { f.render_json(R"([{"content": "no role"}])"); });
  EXPECT_NE(msg.find("messages[0]: \"role\" must be a non-empty string"), std::string::npos) << msg;
  msg = message_of([&] { f.render_json(R"([{"role": 7, "content": "x"}])"); });
  EXPECT_NE(msg.find("\"role\" must be a non-empty string"), std::string::npos) << msg;
  ChatOptions o;
  o.extra_json = "[1]";
  msg = message_of([&] { f.render({{"user", "x", std::nullopt}}, o); });
  EXPECT_NE(msg.find("extra_json must be a JSON object"), std::string::npos) << msg;
  o.extra_json = "{nope";
  msg = message_of([&] { f.render_json("[]", o); });
  EXPECT_NE(msg.find("extra_json is not valid JSON"), std::string::npos) << msg;
  // Errors the template raises come through with their text.
  ChatFormatter strict("{% if messages|length == 0 %}{{ raise_exception('need a message') }}{% endif %}", std::nullopt,
                       std::nullopt);
  msg = message_of([&] { strict.render({}); });
  EXPECT_NE(msg.find("need a message"), std::string::npos) << msg;
  msg = message_of([] { ChatFormatter("{% for m in messages %}", std::nullopt, std::nullopt); });
  EXPECT_NE(msg.find("endfor"), std::string::npos) << msg;
}

TEST(ChatFormatter, LoadReadsTemplateAndSpecialTokens) {
  TempDir d;
  write_tiny_checkpoint(d.path(), true, "{{ bos_token }}{{ eos_token }}{{ unk_token }}{{ pad_token is defined }}");
  ChatFormatter f = ChatFormatter::load(d.path().string());
  EXPECT_EQ(f.bos_token().value(), "<s>");
  EXPECT_EQ(f.eos_token().value(), "</s>");
  EXPECT_EQ(f.render({}), "<s></s><unk>False");  // unk_token too, as transformers' special_tokens_map
  // chat_template.jinja wins over tokenizer_config.json, as in transformers 5.
  write_text(d.path() / "chat_template.jinja", "J{{ bos_token }}");
  EXPECT_EQ(ChatFormatter::load(d.path().string()).render({}), "J<s>");
}

TEST(ChatFormatter, LoadErrorsNameTheDirectory) {
  TempDir d;
  write_tiny_checkpoint(d.path(), true, "");
  std::string msg = message_of([&] { ChatFormatter::load(d.path().string()); });
  EXPECT_NE(msg.find(d.path().string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("no chat template"), std::string::npos) << msg;
  const std::string missing = (d.path() / "nope").string();
  msg = message_of([&] { ChatFormatter::load(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  write_text(d.path() / "chat_template.jinja", "line one\n{% if x %}");
  msg = message_of([&] { ChatFormatter::load(d.path().string()); });
  EXPECT_NE(msg.find(d.path().string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("endif"), std::string::npos) << msg;
}

TEST(EncodeRenderedChat, DropsTheBosStringOnlyWhenTheTokenizerAddsBos) {
  TempDir with_bos, without_bos;
  write_tiny_checkpoint(with_bos.path(), true, kBosTemplate);
  write_tiny_checkpoint(without_bos.path(), false, kBosTemplate);
  auto tok = rewardkit::load_tokenizer(with_bos.path().string());
  auto plain = rewardkit::load_tokenizer(without_bos.path().string());
  const ChatFormatter f = ChatFormatter::load(with_bos.path().string());
  const std::string text = f.render({{"user", "Hello world"}, {"assistant", "the cat sat"}});
  ASSERT_EQ(text.rfind("<s>", 0), 0u) << text;
  const int32_t bos = tok->bos_id().value();
  // Encoding the text as it is would give two BOS ids: the one in the text and the added one.
  const std::vector<int32_t> naive = tok->encode(text, true);
  ASSERT_GE(naive.size(), 3u);
  ASSERT_EQ(naive[0], bos);
  ASSERT_EQ(naive[1], bos);

  const std::vector<int32_t> ids = rewardkit::encode_rendered_chat(*tok, text, f.bos_token());
  EXPECT_EQ(ids, tok->encode(text.substr(3), true));
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], bos);
  EXPECT_NE(ids[1], bos);

  // A tokenizer that does not add BOS keeps the text's own BOS: still exactly one.
  const std::vector<int32_t> kept = rewardkit::encode_rendered_chat(*plain, text, f.bos_token());
  EXPECT_EQ(kept, plain->encode(text, true));
  ASSERT_GE(kept.size(), 2u);
  EXPECT_EQ(kept[0], bos);
  EXPECT_NE(kept[1], bos);

  // No bos_token string, or a text that does not start with it: nothing is dropped.
  EXPECT_EQ(rewardkit::encode_rendered_chat(*tok, text, std::nullopt), naive);
  EXPECT_EQ(rewardkit::encode_rendered_chat(*tok, "Hello <s>", f.bos_token()), tok->encode("Hello <s>", true));
  EXPECT_EQ(rewardkit::encode_rendered_chat(*tok, "", f.bos_token()), tok->encode("", true));
}
