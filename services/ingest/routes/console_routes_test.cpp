#include "ingest/routes/console_routes.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace synchub {
namespace {

std::string Header(const HttpAnswer& answer, const std::string& name) {
  for (const auto& [key, value] : answer.headers) {
    if (key == name) return value;
  }
  return "";
}

void ExpectSecurityHeaders(const HttpAnswer& answer) {
  EXPECT_EQ(Header(answer, "Content-Security-Policy"), kConsoleContentSecurityPolicy);
  EXPECT_EQ(Header(answer, "X-Content-Type-Options"), "nosniff");
}

TEST(ConsoleAnswer, RedirectsTheBarePathToTheFolder) {
  const HttpAnswer answer = ConsoleAnswer("/console");
  EXPECT_EQ(answer.status, 301);
  EXPECT_EQ(Header(answer, "Location"), "/console/");
  ExpectSecurityHeaders(answer);
}

TEST(ConsoleAnswer, ServesTheIndexAndEachFileWithItsType) {
  const HttpAnswer index = ConsoleAnswer("/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.get<std::string>().find("<script src=\"app.js\""), std::string::npos);
  ExpectSecurityHeaders(index);
  EXPECT_EQ(ConsoleAnswer("/console/index.html").body, index.body);
  EXPECT_EQ(ConsoleAnswer("/console/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(ConsoleAnswer("/console/console.css").content_type, "text/css; charset=utf-8");
}

TEST(ConsoleAnswer, NoInlineScriptOrStyleInThePages) {
  for (const ConsoleFile& file : ConsoleFiles()) {
    const std::string text = file.text;
    if (std::string(file.name).find(".html") == std::string::npos) continue;
    EXPECT_EQ(text.find("<script>"), std::string::npos) << file.name;
    EXPECT_EQ(text.find("style=\""), std::string::npos) << file.name;
    EXPECT_EQ(text.find("<style"), std::string::npos) << file.name;
    EXPECT_FALSE(std::regex_search(text, std::regex(R"(\son[a-z]+=)"))) << file.name;
  }
}

TEST(ConsoleAnswer, UnknownFilesAndPathsAreNotFound) {
  for (const char* path : {"/console/nope.js", "/console/../openapi.yaml", "/consolex",
                           "/console/README", "/console/a/b.js"}) {
    const HttpAnswer answer = ConsoleAnswer(path);
    EXPECT_EQ(answer.status, 404) << path;
    EXPECT_TRUE(answer.problem) << path;
    ExpectSecurityHeaders(answer);
  }
}

}  // namespace
}  // namespace synchub
