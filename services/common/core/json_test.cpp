#include "common/core/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synchub {
namespace {

std::string Nested(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "[";
  for (int i = 0; i < depth; ++i) text += "]";
  return text;
}

TEST(ParseJsonStrict, ParsesAnObject) {
  auto value = ParseJsonStrict(R"({"a":1,"b":[true,null,"x"]})");
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ((*value)["a"], 1);
  EXPECT_EQ((*value)["b"][2], "x");
}

TEST(ParseJsonStrict, DepthLimitIsInclusive) {
  EXPECT_TRUE(ParseJsonStrict(Nested(32)).ok());
  auto too_deep = ParseJsonStrict(Nested(33));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.status().reason(), "too_deep");
}

TEST(ParseJsonStrict, DepthErrorNamesTheTopLevelKey) {
  std::string text = R"({"ok":1,"address":)" + Nested(31) + "}";
  EXPECT_TRUE(ParseJsonStrict(text).ok());  // object + 31 arrays = 32 levels
  text = R"({"ok":1,"address":)" + Nested(32) + "}";
  auto parsed = ParseJsonStrict(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "too_deep");
  EXPECT_EQ(parsed.status().key(), "address");
}

TEST(ParseJsonStrict, RejectsBodiesOverTheLimit) {
  JsonLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_TRUE(ParseJsonStrict(R"({"a":12345})", limits).ok() == false);
  EXPECT_EQ(ParseJsonStrict(R"({"a":12345})", limits).status().reason(), "body_too_large");
  EXPECT_TRUE(ParseJsonStrict(R"({"a":1234})", limits).ok());
}

TEST(ParseJsonStrict, DefaultBodyLimitIsOneMebibyte) {
  std::string body = R"({"a":")" + std::string(1024 * 1024, 'x') + R"("})";
  EXPECT_EQ(ParseJsonStrict(body).status().reason(), "body_too_large");
}

TEST(ParseJsonStrict, RejectsDuplicateKeysAtAnyDepth) {
  auto top = ParseJsonStrict(R"({"a":1,"a":2})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.status().reason(), "duplicate_key");
  EXPECT_EQ(top.status().key(), "a");
  auto nested = ParseJsonStrict(R"({"f":{"x":1,"y":{"x":2},"x":3}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().key(), "x");
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseJsonStrict(R"([{"x":1},{"x":2}])").ok());
}

TEST(ParseJsonStrict, RejectsWhatIsNotJson) {
  for (const char* text : {"", "{", "{\"a\":}", "{\"a\":1} x", "NaN", "{\"a\":NaN}",
                           "{\"a\":Infinity}", "{'a':1}", "{\"a\":1,}", "/*c*/{}"}) {
    auto parsed = ParseJsonStrict(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().reason(), "invalid_json") << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseJsonStrict, RejectsInvalidUtf8) {
  EXPECT_EQ(ParseJsonStrict("{\"a\":\"\xff\xfe\"}").status().reason(), "invalid_json");
  EXPECT_EQ(ParseJsonStrict("{\"a\":\"\xc3\"}").status().reason(), "invalid_json");
  EXPECT_TRUE(ParseJsonStrict("{\"a\":\"\xc3\xa9\"}").ok());  // é
}

TEST(JsonEquality, IsJsonEquality) {
  auto equal = [](const char* a, const char* b) {
    return JsonEqual(ParseStoredJson(a), ParseStoredJson(b));
  };
  EXPECT_TRUE(equal("1", "1.0"));
  EXPECT_TRUE(equal("1", "1.00"));
  EXPECT_TRUE(equal("100", "1e2"));
  EXPECT_TRUE(equal("[1.50]", "[1.5]"));
  EXPECT_TRUE(equal(R"({"a":1,"b":2.0})", R"({"b":2,"a":1})"));
  EXPECT_FALSE(equal("1", "\"1\""));
  EXPECT_FALSE(equal("[1,2]", "[2,1]"));
  EXPECT_FALSE(equal("123456789012345678901234567890", "123456789012345678901234567891"));
  EXPECT_FALSE(equal("0.1", "0.10000000000000001"));
  EXPECT_FALSE(equal("null", "0"));
  EXPECT_TRUE(JsonEqual(Json(2.5), ParseStoredJson("2.50")));  // a double built in code
}

TEST(ParseJsonStrict, KeepsEveryDigitOfEveryNumber) {
  const char* text =
      R"({"big":123456789012345678901234567890,"dec":12345678901234567890.12345678901234567890,)"
      R"("neg":-0.000000000000000000001,"int":42,"u64":18446744073709551615,"sci":1.5E+3,)"
      R"("small":1e-300,"frac":0.1,"scale":2.50})";
  auto parsed = ParseJsonStrict(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(NumberText((*parsed)["big"]), "123456789012345678901234567890");
  EXPECT_EQ(NumberText((*parsed)["dec"]), "12345678901234567890.12345678901234567890");
  EXPECT_EQ(NumberText((*parsed)["neg"]), "-0.000000000000000000001");
  EXPECT_TRUE((*parsed)["int"].is_number_integer());
  EXPECT_TRUE((*parsed)["u64"].is_number_unsigned());
  EXPECT_EQ(NumberText((*parsed)["sci"]), "1500");
  EXPECT_TRUE((*parsed)["sci"].is_number_integer());  // one representation per value text
  EXPECT_EQ(NumberText((*parsed)["small"]), "0." + std::string(299, '0') + "1");
  EXPECT_EQ(NumberText((*parsed)["frac"]), "0.1");
  EXPECT_EQ(NumberText((*parsed)["scale"]), "2.50");
  EXPECT_EQ(JsonText((*parsed)["dec"]), "12345678901234567890.12345678901234567890");
  EXPECT_EQ(JsonText(ParseStoredJson(JsonText(*parsed))), JsonText(*parsed));
}

TEST(ParseJsonStrict, ANumberBeyondWhatCanBeReadIsRejectedNamingTheField) {
  auto parsed = ParseJsonStrict(R"({"version":1e400})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "number_not_storable");
  EXPECT_EQ(parsed.status().key(), "version");
  auto nested = ParseJsonStrict(R"({"fields":{"ok":1,"amount":1e-2000}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().reason(), "number_not_storable");
  EXPECT_EQ(nested.status().key(), "amount");
  auto long_integer = ParseJsonStrict("{\"n\":" + std::string(400, '9') + "}");
  ASSERT_FALSE(long_integer.ok());
  EXPECT_EQ(long_integer.status().key(), "n");
}

TEST(ParseJsonStrict, AStringHoldingNulIsRejectedNamingTheField) {
  auto parsed = ParseJsonStrict(R"({"externalId":"A","note":"a\u0000b"})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "value_not_storable");
  EXPECT_EQ(parsed.status().key(), "note");
  auto in_fields = ParseJsonStrict(R"({"fields":{"tags":["x","\u0000"]}})");
  ASSERT_FALSE(in_fields.ok());
  EXPECT_EQ(in_fields.status().key(), "tags");
}

TEST(ParseJsonStrict, NumbersThatExpandPastTheLimitAreRefused) {
  JsonLimits limits;
  limits.max_body_bytes = 4096;
  std::string text = "[";
  for (int i = 0; i < 20; ++i) text += std::string(i ? "," : "") + "1e-900";
  text += "]";
  auto parsed = ParseJsonStrict(text, limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "value_too_large");
}

TEST(JsonText, WritesExactNumbersAsTheirDigits) {
  Json value = {{"a", ExactNumber("1.10")},
                {"b", ExactNumber("99999999999999999999")},
                {"c", ExactNumber("7")}};
  EXPECT_EQ(JsonText(value), R"({"a":1.10,"b":99999999999999999999,"c":7})");
  EXPECT_TRUE(value["c"].is_number_integer());
}

}  // namespace
}  // namespace synchub
