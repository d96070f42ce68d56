#include "common/core/exact_number.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "common/core/json.hpp"

namespace synchub {
namespace {

std::string Normal(std::string_view text) {
  auto normal = NormalizeNumberText(text);
  EXPECT_TRUE(normal.ok()) << text << ": " << normal.status().ToString();
  return normal.ok() ? *normal : "";
}

TEST(NormalizeNumberText, IsPostgresNumericTextForm) {
  EXPECT_EQ(Normal("0"), "0");
  EXPECT_EQ(Normal("-0"), "0");
  EXPECT_EQ(Normal("-0.0"), "0.0");
  EXPECT_EQ(Normal("1.50"), "1.50");
  EXPECT_EQ(Normal("1.5e3"), "1500");
  EXPECT_EQ(Normal("1.50e1"), "15.0");
  EXPECT_EQ(Normal("100e-2"), "1.00");
  EXPECT_EQ(Normal("1e-3"), "0.001");
  EXPECT_EQ(Normal("-12.345E+2"), "-1234.5");
  EXPECT_EQ(Normal("1E+30"), "1000000000000000000000000000000");
  EXPECT_EQ(Normal("123456789012345678901234567890"), "123456789012345678901234567890");
  EXPECT_EQ(Normal("0.1"), "0.1");
  EXPECT_EQ(Normal("0e5"), "0");
  EXPECT_EQ(Normal("5e0"), "5");
}

TEST(NormalizeNumberText, RejectsWhatIsNotAJsonNumber) {
  for (const char* text : {"", "-", "01", "1.", ".5", "1e", "+1", "1e+", "0x1", "1 "}) {
    auto normal = NormalizeNumberText(text);
    ASSERT_FALSE(normal.ok()) << text;
    EXPECT_EQ(normal.status().reason(), "invalid_number");
  }
}

TEST(NormalizeNumberText, BoundsDigitsOnBothSidesOfThePoint) {
  EXPECT_TRUE(NormalizeNumberText("1e-1000").ok());
  auto too_fine = NormalizeNumberText("1e-1001");
  ASSERT_FALSE(too_fine.ok());
  EXPECT_EQ(too_fine.status().reason(), "number_not_storable");
  EXPECT_TRUE(NormalizeNumberText("1e999").ok());
  EXPECT_FALSE(NormalizeNumberText("1e1000").ok());
  EXPECT_FALSE(NormalizeNumberText("1e99999999999999999999999").ok());
}

TEST(CompareNumberTexts, ComparesByValue) {
  EXPECT_EQ(CompareNumberTexts("1", "1.0"), 0);
  EXPECT_EQ(CompareNumberTexts("1.00", "100e-2"), 0);
  EXPECT_EQ(CompareNumberTexts("0", "-0.000"), 0);
  EXPECT_LT(CompareNumberTexts("-2", "-1"), 0);
  EXPECT_GT(CompareNumberTexts("10", "9.999"), 0);
  EXPECT_LT(CompareNumberTexts("0.0001", "0.001"), 0);
  EXPECT_GT(CompareNumberTexts("123456789012345678901234567891", "123456789012345678901234567890"),
            0);
  EXPECT_LT(CompareNumberTexts("-1e30", "1"), 0);
}

TEST(IsMachineInteger, CoversSignedAndUnsigned64BitRanges) {
  EXPECT_TRUE(IsMachineInteger("18446744073709551615"));
  EXPECT_FALSE(IsMachineInteger("18446744073709551616"));
  EXPECT_TRUE(IsMachineInteger("-9223372036854775808"));
  EXPECT_FALSE(IsMachineInteger("-9223372036854775809"));
  EXPECT_FALSE(IsMachineInteger("1.0"));
}

// A random decimal text: sign, up to 60 integer digits, up to 60 fraction digits, exponent.
std::string RandomNumberText(bool negative, const std::string& integer, const std::string& fraction,
                             int exponent) {
  std::string text = negative ? "-" : "";
  const std::size_t first = integer.find_first_not_of('0');
  text += first == std::string::npos ? "0" : integer.substr(first);
  if (!fraction.empty()) text += "." + fraction;
  if (exponent != 0) text += "e" + std::to_string(exponent);
  return text;
}

std::string Digits(const std::vector<int>& raw) {
  std::string out;
  for (int d : raw) out.push_back(static_cast<char>('0' + ((d % 10) + 10) % 10));
  return out;
}

RC_GTEST_PROP(ExactNumbers, RoundTripThroughParseAndTextExactly,
              (bool negative, std::vector<int> integer, std::vector<int> fraction, int exponent)) {
  if (integer.size() > 60) integer.resize(60);
  if (fraction.size() > 60) fraction.resize(60);
  exponent = exponent % 100;
  const std::string text = RandomNumberText(negative, Digits(integer), Digits(fraction), exponent);
  const std::string normal = *NormalizeNumberText(text);
  // Parsing the text gives the normal form; writing it back gives the same text; parsing
  // that again gives an equal value with the same text (a fixed point).
  auto parsed = ParseJsonStrict("[" + text + "]");
  RC_ASSERT(parsed.ok());
  RC_ASSERT(JsonText(*parsed) == "[" + normal + "]");
  auto again = ParseJsonStrict(JsonText(*parsed));
  RC_ASSERT(again.ok());
  RC_ASSERT(JsonText(*again) == JsonText(*parsed));
  RC_ASSERT(JsonEqual(*again, *parsed));
  RC_ASSERT(CompareNumberTexts(text, normal) == 0);
}

RC_GTEST_PROP(ExactNumbers, BigIntegersKeepEveryDigit, (std::vector<int> raw, bool negative)) {
  if (raw.empty()) raw.push_back(7);
  if (raw.size() > 300) raw.resize(300);
  std::string digits = Digits(raw);
  digits[0] = '1';  // no leading zero
  const std::string text = (negative ? "-" : "") + digits;
  auto parsed = ParseJsonStrict(R"({"n":)" + text + "}");
  RC_ASSERT(parsed.ok());
  RC_ASSERT(NumberText((*parsed)["n"]) == text);
  RC_ASSERT(JsonText(*parsed) == R"({"n":)" + text + "}");
}

RC_GTEST_PROP(ExactNumbers, TrailingZerosAndExponentsCompareEqual,
              (std::vector<int> raw, unsigned zeros)) {
  if (raw.empty()) raw.push_back(3);
  if (raw.size() > 40) raw.resize(40);
  zeros %= 20;
  std::string digits = Digits(raw);
  digits[0] = '4';
  const std::string plain = digits + "." + std::string(zeros + 1, '0');
  const std::string scientific = digits + "e0";
  auto a = ParseJsonStrict(plain);
  auto b = ParseJsonStrict(scientific);
  RC_ASSERT(a.ok() && b.ok());
  RC_ASSERT(JsonEqual(*a, *b));
  RC_ASSERT(CompareNumberTexts(plain, digits + "1") < 0);
}

}  // namespace
}  // namespace synchub
