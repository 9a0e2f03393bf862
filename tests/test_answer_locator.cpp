// Answer locators: \boxed{...} with nested and unbalanced braces, "The answer is", regular
// expressions with and without a group, and the errors for bad patterns and bad text.
#include <gtest/gtest.h>

#include <string>

#include "rewardkit/answer_locator.hpp"
#include "rewardkit/error.hpp"
#include "tokenize/onig_regex.hpp"

using namespace rewardkit;

namespace {

// The located answer as a string, or "<none>".
std::string answer(const AnswerLocator& locate, std::string_view text) {
  const std::optional<AnswerSpan> span = locate(text);
  if (!span) return "<none>";
  EXPECT_LT(span->begin, span->end);
  EXPECT_LE(span->end, text.size());
  return std::string(span->in(text));
}

}  // namespace

TEST(BoxedAnswer, NestedBracesAreBalanced) {
  const auto locate = boxed_answer();
  EXPECT_EQ(answer(locate, "so \\boxed{\\frac{1}{2}} is it"), "\\frac{1}{2}");
  EXPECT_EQ(answer(locate, "\\boxed{{a}{b{c}}}"), "{a}{b{c}}");
  const std::string text = "x = \\boxed{42}.";
  const auto span = locate(text);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->begin, text.find("42"));
  EXPECT_EQ(span->end, text.find("42") + 2);
}

TEST(BoxedAnswer, TheLastBoxCounts) {
  const auto locate = boxed_answer();
  EXPECT_EQ(answer(locate, "first \\boxed{1}, then \\boxed{2}, finally \\boxed{3}"), "3");
  // The inner box of a nested pair starts last.
  EXPECT_EQ(answer(locate, "\\boxed{a + \\boxed{b}}"), "b");
  // Braces before the last box, balanced or not, do not matter.
  EXPECT_EQ(answer(locate, "{ { } \\boxed{7} }"), "7");
  EXPECT_EQ(answer(locate, "} } \\boxed{7}"), "7");
}

TEST(BoxedAnswer, NoneAndEmpty) {
  const auto locate = boxed_answer();
  EXPECT_EQ(answer(locate, ""), "<none>");
  EXPECT_EQ(answer(locate, "no box here {x}"), "<none>");
  EXPECT_EQ(answer(locate, "\\boxed"), "<none>");
  EXPECT_EQ(answer(locate, "\\boxed {5}"), "<none>");  // only the literal "\boxed{" opens a box
  EXPECT_EQ(answer(locate, "\\fbox{5}"), "<none>");
  // An empty last box is no answer, and the earlier box is not used instead.
  EXPECT_EQ(answer(locate, "\\boxed{1} \\boxed{}"), "<none>");
  // Content is verbatim, spaces included.
  EXPECT_EQ(answer(locate, "\\boxed{ 12 }"), " 12 ");
}

TEST(BoxedAnswer, UnbalancedBoxes) {
  const auto locate = boxed_answer();
  EXPECT_EQ(answer(locate, "\\boxed{2"), "<none>");
  EXPECT_EQ(answer(locate, "\\boxed{\\frac{1}{2}"), "<none>");
  // A truncated last box is skipped: the last complete box counts.
  EXPECT_EQ(answer(locate, "\\boxed{1} and then \\boxed{2 {"), "1");
  // An unclosed outer box around a complete inner one.
  EXPECT_EQ(answer(locate, "\\boxed{a \\boxed{b} c"), "b");
  // A stray '}' inside a box closes it (braces are counted, not parsed).
  EXPECT_EQ(answer(locate, "\\boxed{a}b}"), "a");
}

TEST(BoxedAnswer, UnicodeAroundAndInside) {
  const auto locate = boxed_answer();
  const std::string text = "Réponse : \\boxed{π²/6} ✓ 答え";
  const auto span = locate(text);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->in(text), "π²/6");
  EXPECT_EQ(span->begin, text.find("π"));
}

TEST(BoxedAnswer, ManyUnclosedBoxesStayFast) {
  std::string text = "\\boxed{ok}";
  for (int i = 0; i < 200000; ++i) text += "\\boxed{";
  EXPECT_EQ(answer(boxed_answer(), text), "ok");
}

TEST(AnswerIsAnswer, AfterTheLastPhrase) {
  const auto locate = answer_is_answer();
  EXPECT_EQ(answer(locate, "The answer is 3.\nWait, no. The answer is 4."), "4");
  EXPECT_EQ(answer(locate, "The answer is: 42."), "42");
  EXPECT_EQ(answer(locate, "The answer is   :  42"), "42");
  EXPECT_EQ(answer(locate, "The answer is 7\nbecause reasons."), "7");
  EXPECT_EQ(answer(locate, "The answer is 7.\r\nNext line"), "7");
  // Only one trailing '.' goes.
  EXPECT_EQ(answer(locate, "The answer is 3.14.."), "3.14.");
  EXPECT_EQ(answer(locate, "The answer is 3.14"), "3.14");
  const std::string text = "So. The answer is x = 5.";
  const auto span = locate(text);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->begin, text.find("x = 5"));
  EXPECT_EQ(span->end, text.size() - 1);
}

TEST(AnswerIsAnswer, NoneEmptyAndCase) {
  const auto locate = answer_is_answer();
  EXPECT_EQ(answer(locate, "no phrase here"), "<none>");
  EXPECT_EQ(answer(locate, "the answer is 5"), "<none>");  // case-sensitive
  EXPECT_EQ(answer(locate, "The answer is"), "<none>");
  EXPECT_EQ(answer(locate, "The answer is: ."), "<none>");
  EXPECT_EQ(answer(locate, "The answer is 5. The answer is\nsix"), "<none>");  // the last one is empty
  EXPECT_THROW(answer_is_answer(""), Error);
}

TEST(AnswerIsAnswer, CustomPhraseAndUnicode) {
  const auto locate = answer_is_answer("Antwort:");
  EXPECT_EQ(answer(locate, "Die Antwort: größer als 5."), "größer als 5");
  EXPECT_EQ(answer(answer_is_answer(), "« The answer is ½ » — fin"), "½ » — fin");
}

TEST(RegexAnswer, WholeMatchWithoutGroup) {
  const auto locate = regex_answer("\\d+");
  EXPECT_EQ(answer(locate, "3 apples and 12 pears"), "12");
  EXPECT_EQ(answer(locate, "no digits"), "<none>");
  // Empty matches are no location: the last run of digits counts.
  EXPECT_EQ(answer(regex_answer("\\d*"), "7 then 42 then nothing"), "42");
}

TEST(RegexAnswer, GroupOneOfTheLastMatch) {
  const auto locate = regex_answer("Answer: ([A-D])");
  const std::string text = "Answer: B\nHmm. Answer: C";
  const auto span = locate(text);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->begin, text.size() - 1);
  EXPECT_EQ(span->in(text), "C");
  // Group 2 exists but group 1 is the answer.
  EXPECT_EQ(answer(regex_answer("(\\w+)=(\\d+)"), "a=1 b=2"), "b");
  // Group 1 took no part in the last match: no answer, even though an earlier match had one.
  EXPECT_EQ(answer(regex_answer("x(\\d)?;"), "x1; x;"), "<none>");
  // Oniguruma syntax: Unicode classes and lookahead.
  EXPECT_EQ(answer(regex_answer("(\\p{L}+)(?=!)"), "héllo! wörld!"), "wörld");
  EXPECT_EQ(answer(regex_answer("(?i:answer is )(\\S+)"), "ANSWER IS 9"), "9");
}

TEST(RegexAnswer, Errors) {
  EXPECT_THROW(regex_answer("(unclosed"), Error);
  EXPECT_THROW(regex_answer("[z-a]"), Error);
  try {
    regex_answer("a(");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a("), std::string::npos) << e.what();
  }
  EXPECT_THROW(regex_answer("\\d+")("12 \xff 34"), Error);
}

TEST(OnigRegexGroups, SameMatchesAsFindAll) {
  const tokenize::OnigRegex re("(a)|(b)|c*");
  EXPECT_EQ(re.capture_count(), 2);
  const std::string text = "xabcc a";
  const auto plain = re.find_all(text);
  const auto groups = re.find_all_groups(text);
  ASSERT_EQ(plain.size(), groups.size());
  ASSERT_FALSE(plain.empty());
  for (size_t i = 0; i < plain.size(); ++i) {
    ASSERT_EQ(groups[i].size(), 3u);
    EXPECT_EQ(groups[i][0], plain[i]);
  }
  const auto npos = std::string_view::npos;
  // The match "a" at 1: group 1 set, group 2 not.
  bool saw_a = false;
  for (const auto& m : groups) {
    if (m[0] == std::pair<size_t, size_t>{1, 2}) {
      saw_a = true;
      EXPECT_EQ(m[1], (std::pair<size_t, size_t>{1, 2}));
      EXPECT_EQ(m[2], (std::pair<size_t, size_t>{npos, npos}));
    }
  }
  EXPECT_TRUE(saw_a);
}
