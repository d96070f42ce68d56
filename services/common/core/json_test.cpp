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
  EXPECT_EQ(Json::parse("1"), Json::parse("1.0"));
  EXPECT_EQ(Json::parse(R"({"a":1,"b":2})"), Json::parse(R"({"b":2,"a":1})"));
  EXPECT_NE(Json::parse("1"), Json::parse("\"1\""));
  EXPECT_NE(Json::parse("[1,2]"), Json::parse("[2,1]"));
}

TEST(ParseJsonStrict, ANumberTooLargeForADoubleIsInvalidJsonNotAnException) {
  auto parsed = ParseJsonStrict(R"({"version":1e400})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "invalid_json");
}

}  // namespace
}  // namespace synchub
