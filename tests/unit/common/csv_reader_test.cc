#include "common/csv_reader.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(CsvReaderTest, ReadsTypedFieldsByHeaderName) {
  auto csv = CsvReader::FromText("t.csv", "a,b,c\n1,x,2.5\n\n-3,,7\n");
  ASSERT_TRUE(csv);
  int a = *csv->Column("a"), b = *csv->Column("b"), c = *csv->Column("c");
  ASSERT_TRUE(csv->Next());
  EXPECT_EQ(*csv->Int(a), 1);
  EXPECT_EQ(csv->Field(b), "x");
  EXPECT_DOUBLE_EQ(*csv->Double(c), 2.5);
  ASSERT_TRUE(csv->Next());  // the blank line is skipped
  EXPECT_EQ(csv->line(), 4);
  EXPECT_EQ(*csv->Int(a), -3);
  EXPECT_EQ(*csv->IntOr(b, 9), 9);
  EXPECT_FALSE(csv->Next());
}

TEST(CsvReaderTest, AcceptsIntegralFloatsAndCrlf) {
  auto csv = CsvReader::FromText("t.csv", "n\r\n1000.0\r\n");
  ASSERT_TRUE(csv);
  ASSERT_TRUE(csv->Next());
  EXPECT_EQ(*csv->Int(0), 1000);
}

// Found by fuzz/csv_fuzz: a float beyond int64's range was converted (undefined behaviour).
TEST(CsvReaderTest, FloatsBeyondTheIntegerRangeAreNotIntegers) {
  auto csv = CsvReader::FromText("t.csv", "n\n9223372036854775808\n-1e300\n9.2e18\n");
  ASSERT_TRUE(csv);
  ASSERT_TRUE(csv->Next());
  auto huge = csv->Int(0);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message, "t.csv:2: column 'n': '9223372036854775808' is not an integer");
  ASSERT_TRUE(csv->Next());
  EXPECT_FALSE(csv->Int(0));
  ASSERT_TRUE(csv->Next());
  EXPECT_EQ(*csv->Int(0), 9'200'000'000'000'000'000);
}

// Found by fuzz/csv_fuzz: "inf" and "nan" were read as numbers.
TEST(CsvReaderTest, InfinityAndNanAreNotNumbers) {
  auto csv = CsvReader::FromText("t.csv", "x\ninf\nnan\n-INF\n1e308\n");
  ASSERT_TRUE(csv);
  for (const char* bad : {"inf", "nan", "-INF"}) {
    ASSERT_TRUE(csv->Next());
    auto v = csv->Double(0);
    ASSERT_FALSE(v) << bad;
    EXPECT_EQ(v.error().message, "t.csv:" + std::to_string(csv->line()) + ": column 'x': '" + bad + "' is not a finite number");
  }
  ASSERT_TRUE(csv->Next());
  EXPECT_EQ(*csv->Double(0), 1e308);
}

TEST(CsvReaderTest, NonIntegerNamesFileLineAndColumn) {
  auto csv = CsvReader::FromText("pods.csv", "name,cpu\np1,12\np2,lots\n");
  ASSERT_TRUE(csv);
  ASSERT_TRUE(csv->Next());
  ASSERT_TRUE(csv->Next());
  auto v = csv->Int(1);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(v.error().message, "pods.csv:3: column 'cpu': 'lots' is not an integer");
}

TEST(CsvReaderTest, MissingColumnIsAnError) {
  auto csv = CsvReader::FromText("n.csv", "a,b\n");
  ASSERT_TRUE(csv);
  auto col = csv->Column("gpu");
  ASSERT_FALSE(col);
  EXPECT_EQ(col.error().message, "n.csv:1: missing column 'gpu' in the header");
}

TEST(CsvReaderTest, WrongWidthIsAnError) {
  auto csv = CsvReader::FromText("n.csv", "a,b\n1,2,3\n");
  ASSERT_TRUE(csv);
  ASSERT_TRUE(csv->Next());
  auto w = csv->CheckWidth();
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "n.csv:2: expected 2 fields as in the header, found 3");
}

TEST(CsvReaderTest, EmptyFileAndDuplicateHeader) {
  EXPECT_EQ(CsvReader::FromText("e.csv", "").error().code, ErrorCode::kInvalidArgument);
  auto dup = CsvReader::FromText("d.csv", "a,a\n");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "d.csv:1: column 'a' appears twice in the header");
}

TEST(CsvReaderTest, UnreadableFileIsUnavailable) {
  auto csv = CsvReader::Open("/nonexistent/file.csv");
  ASSERT_FALSE(csv);
  EXPECT_EQ(csv.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(csv.error()), 2);
}

}  // namespace
}  // namespace suanwang
