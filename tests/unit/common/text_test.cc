// Text from outside: UTF-8 well-formedness (overlongs, surrogates, beyond U+10FFFF, truncated
// sequences) and control characters, with the offset of the first bad byte.
#include "common/text.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(Text, ValidUtf8PassesAndEachIllFormedKindIsFoundAtItsOffset) {
  EXPECT_FALSE(InvalidUtf8At("plain ascii"));
  EXPECT_FALSE(InvalidUtf8At("算网 \xF0\x9F\x98\x80"));  // 3- and 4-byte sequences
  EXPECT_EQ(InvalidUtf8At("ab\xff"), 2u);
  EXPECT_EQ(InvalidUtf8At("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(InvalidUtf8At("x\xe0\x80\xaf"), 1u);      // overlong 3-byte
  EXPECT_EQ(InvalidUtf8At("\xed\xa0\x80"), 0u);       // a surrogate (U+D800)
  EXPECT_EQ(InvalidUtf8At("\xf4\x90\x80\x80"), 0u);   // above U+10FFFF
  EXPECT_EQ(InvalidUtf8At("ok\xe7\xae"), 2u);         // cut short
}

TEST(Text, TheFirstFaultIsReportedWhicheverKindItIs) {
  EXPECT_FALSE(FirstTextFault("a\tb\nc\r", ControlChars::kWhitespace));
  auto tab = FirstTextFault("a\tb", ControlChars::kNone);
  ASSERT_TRUE(tab);
  EXPECT_EQ(tab->offset, 1u);
  EXPECT_EQ(tab->reason, "control character 0x09 at byte 1");
  auto nul = FirstTextFault(std::string("ab\0\xff", 4), ControlChars::kWhitespace);
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->offset, 2u);  // the NUL comes before the bad byte
  auto bad = FirstTextFault("a\xff\x01", ControlChars::kNone);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->reason, "invalid UTF-8 at byte 1");
  EXPECT_EQ(TextProblem("\x7f", ControlChars::kWhitespace), "control character 0x7f at byte 0");
  EXPECT_EQ(TextProblem("fine", ControlChars::kNone), "");
}

TEST(Text, SanitizedTextIsValidAndKeepsWhatWasValid) {
  EXPECT_EQ(SanitizedUtf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitizedUtf8("算网"), "算网");
  EXPECT_FALSE(InvalidUtf8At(SanitizedUtf8("\xe7\xae\xc0\xaf\xed\xa0\x80")));
}

}  // namespace
}  // namespace suanwang
