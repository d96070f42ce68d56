#include "ingest/core/path_target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace synchub {
namespace {

using Segments = std::vector<std::string_view>;

constexpr std::string_view kRecord = "/api/records/{entity}/{externalId}";
constexpr std::string_view kHistory = "/api/records/{entity}/{externalId}/history";

// The segments of `target`; fails the test when there are none.
Segments Split(std::string_view target) {
  auto segments = SplitRawPath(target);
  EXPECT_TRUE(segments.has_value()) << target;
  return segments.value_or(Segments{});
}

// The decoded parameters when `target` matches `path_template`; fails the test otherwise.
std::vector<std::string> Parameters(std::string_view path_template, std::string_view target) {
  auto match = MatchPathTemplate(path_template, Split(target));
  EXPECT_TRUE(match.has_value()) << target;
  if (!match) return {};
  EXPECT_TRUE(match->ok()) << target << ": " << match->status().ToString();
  if (!match->ok()) return {};
  return match->value();
}

TEST(SplitRawPath, SplitsThePathBeforeTheQueryOnEverySlashKeepingEscapes) {
  EXPECT_EQ(Split("/api/records/client/A%2Fb?x=1&y=%2F"),
            (Segments{"api", "records", "client", "A%2Fb"}));
  EXPECT_EQ(Split("/api/records/client/A%2Fhistory"),
            (Segments{"api", "records", "client", "A%2Fhistory"}));
  EXPECT_EQ(Split("/api/records/client/A/history"),
            (Segments{"api", "records", "client", "A", "history"}));
  EXPECT_EQ(Split("/healthz"), (Segments{"healthz"}));
}

TEST(SplitRawPath, KeepsEmptySegments) {
  EXPECT_EQ(Split("/"), (Segments{""}));
  EXPECT_EQ(Split("/?x=1"), (Segments{""}));
  EXPECT_EQ(Split("/a//b/"), (Segments{"a", "", "b", ""}));
  EXPECT_EQ(Split("//"), (Segments{"", ""}));
}

TEST(SplitRawPath, TheFirstQuestionMarkEndsThePath) {
  EXPECT_EQ(Split("/a?b/c?d"), (Segments{"a"}));
  EXPECT_EQ(Split("/a%3Fb/c"), (Segments{"a%3Fb", "c"}));
}

TEST(SplitRawPath, RefusesTargetsThatAreNotAnAbsolutePath) {
  EXPECT_FALSE(SplitRawPath(""));
  EXPECT_FALSE(SplitRawPath("*"));
  EXPECT_FALSE(SplitRawPath("http://host/api/records"));
  EXPECT_FALSE(SplitRawPath("api/records"));
  EXPECT_FALSE(SplitRawPath("?x=1"));
}

TEST(DecodePathSegment, DecodesEveryEscapeInEitherCase) {
  EXPECT_EQ(DecodePathSegment("A%2Fhistory"), "A/history");
  EXPECT_EQ(DecodePathSegment("A%2fB"), "A/B");
  EXPECT_EQ(DecodePathSegment("50%25"), "50%");
  EXPECT_EQ(DecodePathSegment("a%3Fb"), "a?b");
  EXPECT_EQ(DecodePathSegment("sp%20ace"), "sp ace");
  EXPECT_EQ(DecodePathSegment("%C3%BC%2F%C3%A9"), "\xC3\xBC/\xC3\xA9");  // ü/é
  EXPECT_EQ(DecodePathSegment("%2E%2E"), "..");
  EXPECT_EQ(DecodePathSegment("%23%26%3D%2B%3B%2C"), "#&=+;,");
  EXPECT_EQ(DecodePathSegment("%25%32%46"), "%2F");  // decoded once, not twice
}

TEST(DecodePathSegment, KeepsEveryOtherByteAsItIs) {
  EXPECT_EQ(DecodePathSegment(""), "");
  EXPECT_EQ(DecodePathSegment("CUST-001"), "CUST-001");
  EXPECT_EQ(DecodePathSegment(".."), "..");
  EXPECT_EQ(DecodePathSegment("a+b"), "a+b");  // "+" is a space only in a form's query
  EXPECT_EQ(DecodePathSegment("a:b@c!$'()*"), "a:b@c!$'()*");
  EXPECT_EQ(DecodePathSegment("\xC3\xBC"), "\xC3\xBC");  // raw UTF-8 a lenient client sent
}

TEST(DecodePathSegment, RefusesMalformedEscapes) {
  for (const std::string_view segment : {"%ZZ", "%", "%4", "a%", "a%4", "%G1", "%1G", "%%41", "%-1",
                                         "% 1", "%u00e9", "A%2", "50%"}) {
    EXPECT_FALSE(DecodePathSegment(segment)) << segment;
  }
}

TEST(DecodePathSegment, RefusesNul) {
  EXPECT_FALSE(DecodePathSegment("%00"));
  EXPECT_FALSE(DecodePathSegment("a%00b"));
  EXPECT_FALSE(DecodePathSegment(std::string_view("a\0b", 3)));
}

TEST(DecodePathSegment, RefusesWhatIsNotUtf8OnceDecoded) {
  for (const std::string_view segment : {
           "%FF",           // never in UTF-8
           "%C3",           // truncated sequence
           "%C3%28",        // bad continuation
           "%80",           // continuation without a lead
           "%C0%AF",        // overlong "/"
           "%E0%80%AF",     // overlong "/"
           "%ED%A0%80",     // surrogate U+D800
           "%F4%90%80%80",  // above U+10FFFF
           "%F8%88%80%80%80",
           "\xFF",  // raw
       }) {
    EXPECT_FALSE(DecodePathSegment(segment)) << segment;
  }
  EXPECT_EQ(DecodePathSegment("%F0%9F%98%80"), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(DecodePathSegment("%EF%BF%BF"), "\xEF\xBF\xBF");         // U+FFFF
  EXPECT_EQ(DecodePathSegment("%F4%8F%BF%BF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
  EXPECT_EQ(DecodePathSegment("%7F"), "\x7F");
}

TEST(MatchPathTemplate, AnEncodedSlashStaysInItsParameter) {
  EXPECT_EQ(Parameters(kRecord, "/api/records/client/A%2Fhistory"),
            (std::vector<std::string>{"client", "A/history"}));
  EXPECT_FALSE(MatchPathTemplate(kHistory, Split("/api/records/client/A%2Fhistory")));
  EXPECT_EQ(Parameters(kHistory, "/api/records/client/A/history"),
            (std::vector<std::string>{"client", "A"}));
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client/A/history")));
  EXPECT_EQ(Parameters(kRecord, "/api/records/client/A%2FB"),
            (std::vector<std::string>{"client", "A/B"}));
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client/A/B")));
  EXPECT_EQ(Parameters(kHistory, "/api/records/client/A%2Fhistory/history"),
            (std::vector<std::string>{"client", "A/history"}));
}

TEST(MatchPathTemplate, DecodesEveryParameterOnItsOwn) {
  const std::vector<std::pair<std::string_view, std::string>> cases = {
      {"50%25", "50%"},
      {"a%3Fb", "a?b"},
      {"sp%20ace", "sp ace"},
      {"%C3%BC%2F%C3%A9", "\xC3\xBC/\xC3\xA9"},
      {"..", ".."},
      {"%2E%2E", ".."},
      {".", "."},
      {"CUST-001", "CUST-001"},
  };
  for (const auto& [raw, id] : cases) {
    const std::string target = "/api/records/client/" + std::string(raw);
    EXPECT_EQ(Parameters(kRecord, target), (std::vector<std::string>{"client", id})) << raw;
    EXPECT_EQ(Parameters(kHistory, target + "/history?x=%2F"),
              (std::vector<std::string>{"client", id}))
        << raw;
  }
}

TEST(MatchPathTemplate, ComparesLiteralsWithTheDecodedSegment) {
  EXPECT_EQ(Parameters(kHistory, "/api/records/client/A/%68istory"),
            (std::vector<std::string>{"client", "A"}));
  EXPECT_EQ(Parameters("/healthz", "/healthz"), std::vector<std::string>{});
  EXPECT_EQ(Parameters("/healthz", "/healthz?verbose=1"), std::vector<std::string>{});
  EXPECT_FALSE(MatchPathTemplate("/healthz", Split("/healthz/")));
  EXPECT_FALSE(MatchPathTemplate("/healthz", Split("/Healthz")));
  EXPECT_FALSE(MatchPathTemplate(kHistory, Split("/api/records/client/A/history%2F")));
  // A literal that does not decode is another path, not a bad parameter.
  EXPECT_FALSE(MatchPathTemplate(kHistory, Split("/api/records/client/A/%ZZ")));
  EXPECT_FALSE(MatchPathTemplate(kHistory, Split("/api/records/client/A/histor%")));
}

TEST(MatchPathTemplate, NeedsTheTemplatesShape) {
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client")));
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client/")));    // empty id
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records//A")));         // empty entity
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client/A/")));  // trailing "/"
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/conflicts/client/A")));
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api//records/client/A")));
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/")));
  EXPECT_EQ(Parameters("/api/records/{entity}", "/api/records/client?after=A%2FB"),
            std::vector<std::string>{"client"});
}

TEST(MatchPathTemplate, NamesTheParameterThatDoesNotDecode) {
  for (const std::string_view id : {"%ZZ", "%4", "%", "A%2", "%00", "a%00b", "%FF"}) {
    for (const std::string_view path_template : {kRecord, kHistory}) {
      std::string target = "/api/records/client/" + std::string(id);
      if (path_template == kHistory) target += "/history";
      auto match = MatchPathTemplate(path_template, Split(target));
      ASSERT_TRUE(match.has_value()) << target;
      ASSERT_FALSE(match->ok()) << target;
      EXPECT_EQ(match->status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(match->status().reason(), "invalid_path_parameter");
      EXPECT_EQ(match->status().key(), "externalId") << target;
    }
  }
  // The first parameter from the left that does not decode.
  auto both = MatchPathTemplate(kRecord, Split("/api/records/%ZZ/%00"));
  ASSERT_TRUE(both.has_value());
  ASSERT_FALSE(both->ok());
  EXPECT_EQ(both->status().key(), "entity");
  auto named =
      MatchPathTemplate("/api/conflicts/{id}/resolve", Split("/api/conflicts/%G0/resolve"));
  ASSERT_TRUE(named.has_value());
  ASSERT_FALSE(named->ok());
  EXPECT_EQ(named->status().key(), "id");
  // Reported only for a target of the route's shape.
  EXPECT_FALSE(MatchPathTemplate(kRecord, Split("/api/records/client/%ZZ/history")));
}

}  // namespace
}  // namespace synchub
