#include "display_text.h"

#include <gtest/gtest.h>

#include "control_characters.h"

namespace vq {
namespace {

bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

TEST(DisplayText, EscapesNewlinesAndTerminalEscapesThatWouldForgeOrRepaint) {
  // A title change, a screen clear and a forged status line.
  std::string hostile = "/tmp/a\x1b]0;owned\x07\x1b[2J\nPID 1 (Agent: root)\r\t\x7f";
  std::string shown = display_text(hostile);
  EXPECT_EQ(shown, "/tmp/a\\x1b]0;owned\\x07\\x1b[2J\\nPID 1 (Agent: root)\\r\\t\\x7f");
  EXPECT_EQ(test::control_characters(shown), 0);
}

TEST(DisplayText, EscapesC1ControlsAsRawBytesAndAsUtf8) {
  // 0x9b alone is CSI on a terminal in an 8-bit mode; U+009B is its UTF-8 form.
  EXPECT_EQ(display_text("a\x9b"
                         "2Jb"),
            "a\\x9b2Jb");
  EXPECT_EQ(display_text("a\xc2\x9b"
                         "2J\xc2\x85"),
            "a\\xc2\\x9b2J\\xc2\\x85");
  EXPECT_EQ(display_text("\xc2\xa0"), "\xc2\xa0") << "U+00A0 is not a control";
}

TEST(DisplayText, KeepsPrintableUtf8AndBackslashes) {
  std::string text = "/home/jürgen/测试/🦀 vitest -t \"adds \\d+\"";
  EXPECT_EQ(display_text(text), text);
  EXPECT_EQ(json_text(text), text);
}

TEST(DisplayText, WritesEachByteThatIsNotUtf8AsHexSoDistinctBytesStayDistinct) {
  EXPECT_EQ(display_text("dir\xff"), "dir\\xff");
  EXPECT_EQ(json_text("dir\xff"), "dir\\xff");
  EXPECT_EQ(json_text("dir\xfe"), "dir\\xfe");
  // A character cut after two of its three bytes, an overlong '/', a UTF-16 surrogate.
  EXPECT_EQ(json_text("x\xe2\x82"), "x\\xe2\\x82");
  EXPECT_EQ(json_text("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(json_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_TRUE(valid_utf8(json_text("\xff\xe2\x82\xc0\xaf\xf4\x90\x80\x80")));
}

TEST(DisplayText, JsonTextKeepsControlCharactersForTheEncoderToEscape) {
  EXPECT_EQ(json_text("a\nb\x1b"), "a\nb\x1b");
}

TEST(DisplayText, EscapingTwiceChangesNothingMore) {
  std::string once = display_text("a\x1b\n\xff\xc2\x85");
  EXPECT_EQ(display_text(once), once);
}

TEST(DisplayText, CutsAtACharacterBoundary) {
  std::string euro = "\xe2\x82\xac";  // three bytes
  std::string text = "ab" + euro + "cd";
  EXPECT_EQ(utf8_prefix_length(text, 2), 2u);
  EXPECT_EQ(utf8_prefix_length(text, 3), 2u) << "inside the euro sign";
  EXPECT_EQ(utf8_prefix_length(text, 4), 2u) << "inside the euro sign";
  EXPECT_EQ(utf8_prefix_length(text, 5), 5u);
  EXPECT_EQ(utf8_prefix_length(text, 99), text.size());
  EXPECT_EQ(utf8_prefix_length("\xf0\x9f\xa6\x80", 3), 0u) << "a four-byte character";
  // Stray continuation bytes are not UTF-8 anyway: no reason to cut earlier.
  EXPECT_EQ(utf8_prefix_length("a\x80\x80\x80\x80", 3), 3u);
}

}  // namespace
}  // namespace vq
