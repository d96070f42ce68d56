#include "common/core/json_writer.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

TEST(JsonWriter, BuildsNestedValuesThatParseBack) {
  JsonWriter writer;
  writer.BeginArray();
  writer.BeginObject().Key("a").Int(-7).Key("b").Bool(true).Key("c").Null();
  writer.Key("d").BeginArray().String("x").Value(Json{{"k", 1.5}}).Raw("[1,2]").EndArray();
  writer.EndObject();
  writer.BeginObject().EndObject();
  writer.EndArray();
  Json parsed = Json::parse(writer.text());
  EXPECT_EQ(parsed, Json::parse(R"([{"a":-7,"b":true,"c":null,"d":["x",{"k":1.5},[1,2]]},{}])"));
}

TEST(AppendJsonString, EscapesWhatJsonRequiresAndKeepsUtf8) {
  const std::string tricky = std::string("q\"b\\n\n\t\x01 é ü ") + std::string(1, '\0') + "end";
  std::string out;
  AppendJsonString(tricky, &out);
  EXPECT_EQ(Json::parse(out).get<std::string>(), tricky);
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace synchub
