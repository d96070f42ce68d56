#include "common/core/entity_tags.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

EntityTag Strong(std::string opaque) { return EntityTag{std::move(opaque), false}; }
EntityTag Weak(std::string opaque) { return EntityTag{std::move(opaque), true}; }

EntityTagList Tags(std::vector<EntityTag> tags) { return EntityTagList{false, std::move(tags)}; }
EntityTagList Any() { return EntityTagList{true, {}}; }

EntityTagList Parsed(std::string_view value) {
  auto list = ParseEntityTagList(value, "If-Match");
  EXPECT_TRUE(list.ok()) << value << ": " << list.status().ToString();
  return list.ok() ? *list : EntityTagList{};
}

TEST(RecordEntityTag, IsTheStrongDecimalRowVersion) {
  EXPECT_EQ(RecordEntityTag(17), Strong("17"));
  EXPECT_EQ(FormatEntityTag(RecordEntityTag(17)), "\"17\"");
  EXPECT_EQ(FormatEntityTag(Weak("17")), "W/\"17\"");
  EXPECT_EQ(FormatEntityTag(Strong("")), "\"\"");
}

TEST(ParseEntityTagList, AcceptsTheStarAlone) {
  EXPECT_EQ(Parsed("*"), Any());
  EXPECT_EQ(Parsed("  *\t"), Any());
}

TEST(ParseEntityTagList, AcceptsStrongAndWeakTags) {
  EXPECT_EQ(Parsed("\"17\""), Tags({Strong("17")}));
  EXPECT_EQ(Parsed("W/\"17\""), Tags({Weak("17")}));
  EXPECT_EQ(Parsed("\"\""), Tags({Strong("")}));
  EXPECT_EQ(Parsed("\"abc\""), Tags({Strong("abc")}));
  // etagc is %x21, %x23-7E and obs-text (%x80-FF): a comma, a star or W/ inside the quotes
  // are part of the tag.
  EXPECT_EQ(Parsed("\"!#,*W/~\x80\xff\""), Tags({Strong("!#,*W/~\x80\xff")}));
}

TEST(ParseEntityTagList, AcceptsListsWithOptionalWhitespaceAndEmptyElements) {
  const EntityTagList three = Tags({Strong("1"), Weak("2"), Strong("3")});
  EXPECT_EQ(Parsed("\"1\",W/\"2\",\"3\""), three);
  EXPECT_EQ(Parsed("\"1\" , W/\"2\",\t\"3\""), three);
  EXPECT_EQ(Parsed("  \"1\", W/\"2\", \"3\"  "), three);
  EXPECT_EQ(Parsed(", \"1\",, W/\"2\" ,\"3\","), three);
  EXPECT_EQ(Parsed("\"1\", \"1\""), Tags({Strong("1"), Strong("1")}));
}

TEST(ParseEntityTagList, RefusesWhatIsNotAnEntityTagListNamingTheHeader) {
  const std::vector<std::string_view> malformed = {
      "",              // no element
      "   ",           // no element
      ",",             // only empty elements
      " , ,",          // only empty elements
      "17",            // unquoted
      "abc",           // unquoted
      "\"17",          // unterminated
      "\"17\", \"18",  // unterminated second tag
      "17\"",          // no opening quote
      "W/",            // W/ without a tag
      "W/17",          // W/ with an unquoted tag
      "W/ \"17\"",     // space between W/ and the tag
      "w/\"17\"",      // W is case-sensitive
      "W\"17\"",       // W without the slash
      "\"1\" \"2\"",   // no comma
      "\"1\"\"2\"",    // no comma
      "\"1\";\"2\"",   // not a comma
      "*, \"1\"",      // * beside a tag
      "\"1\", *",      // * beside a tag
      "**",            // not *
      "\"a b\"",       // space inside the tag
      "\"a\tb\"",      // tab inside the tag
      "\"a\x01\"",     // control character inside the tag
      "\"a\x7f\"",     // DEL inside the tag
      "'17'",          // single quotes
  };
  for (std::string_view value : malformed) {
    auto list = ParseEntityTagList(value, "If-None-Match");
    ASSERT_FALSE(list.ok()) << "[" << value << "]";
    EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument) << value;
    EXPECT_EQ(list.status().reason(), "invalid_etag") << value;
    EXPECT_EQ(list.status().key(), "If-None-Match") << value;
  }
}

TEST(ParseEntityTagList, SaysWhereTheValueWentWrong) {
  EXPECT_EQ(ParseEntityTagList("\"1\", 17", "If-Match").status().message(),
            "If-Match is neither \"*\" nor a list of entity-tags (\"17\", W/\"17\"): an unquoted "
            "tag at offset 5");
}

TEST(Comparison, FollowsTheTableOfRfc9110Section8_8_3_2) {
  // ETag 1 / ETag 2 / strong / weak, as the RFC's table writes them.
  EXPECT_FALSE(StrongMatch(Weak("1"), Weak("1")));
  EXPECT_TRUE(WeakMatch(Weak("1"), Weak("1")));
  EXPECT_FALSE(StrongMatch(Weak("1"), Weak("2")));
  EXPECT_FALSE(WeakMatch(Weak("1"), Weak("2")));
  EXPECT_FALSE(StrongMatch(Weak("1"), Strong("1")));
  EXPECT_TRUE(WeakMatch(Weak("1"), Strong("1")));
  EXPECT_TRUE(StrongMatch(Strong("1"), Strong("1")));
  EXPECT_TRUE(WeakMatch(Strong("1"), Strong("1")));
}

TEST(IfMatchHolds, NeedsAStrongMatchOrTheStarAndARepresentation) {
  const std::optional<EntityTag> current = RecordEntityTag(17);
  EXPECT_TRUE(IfMatchHolds(Any(), current));
  EXPECT_TRUE(IfMatchHolds(Tags({Strong("17")}), current));
  EXPECT_TRUE(IfMatchHolds(Tags({Strong("16"), Weak("17"), Strong("17")}), current));
  EXPECT_FALSE(IfMatchHolds(Tags({Weak("17")}), current));    // weak never matches
  EXPECT_FALSE(IfMatchHolds(Tags({Strong("16")}), current));  // an old tag
  EXPECT_FALSE(IfMatchHolds(Tags({Strong("abc")}), current));
  EXPECT_FALSE(IfMatchHolds(Tags({Strong("017")}), current));  // opaque: no number parsing
  EXPECT_FALSE(IfMatchHolds(Tags({Strong("")}), current));
  // No current representation: false, "*" included.
  EXPECT_FALSE(IfMatchHolds(Any(), std::nullopt));
  EXPECT_FALSE(IfMatchHolds(Tags({Strong("17")}), std::nullopt));
}

TEST(IfNoneMatchHolds, IsFalseOnAWeakMatchOrTheStarWithARepresentation) {
  const std::optional<EntityTag> current = RecordEntityTag(17);
  EXPECT_FALSE(IfNoneMatchHolds(Any(), current));
  EXPECT_FALSE(IfNoneMatchHolds(Tags({Strong("17")}), current));
  EXPECT_FALSE(IfNoneMatchHolds(Tags({Weak("17")}), current));  // weak comparison
  EXPECT_FALSE(IfNoneMatchHolds(Tags({Strong("1"), Weak("17")}), current));
  EXPECT_TRUE(IfNoneMatchHolds(Tags({Strong("16"), Weak("18")}), current));
  EXPECT_TRUE(IfNoneMatchHolds(Tags({Strong("abc")}), current));
  // No current representation: true, "*" included.
  EXPECT_TRUE(IfNoneMatchHolds(Any(), std::nullopt));
  EXPECT_TRUE(IfNoneMatchHolds(Tags({Strong("17")}), std::nullopt));
}

TEST(EvaluatePreconditions, ChecksIfMatchFirstThenIfNoneMatch) {
  const std::optional<EntityTag> current = RecordEntityTag(17);
  Preconditions none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(EvaluatePreconditions(none, current), PreconditionOutcome::kProceed);
  EXPECT_EQ(EvaluatePreconditions(none, std::nullopt), PreconditionOutcome::kProceed);

  Preconditions if_match{Tags({Strong("17")}), std::nullopt};
  EXPECT_FALSE(if_match.empty());
  EXPECT_EQ(EvaluatePreconditions(if_match, current), PreconditionOutcome::kProceed);
  EXPECT_EQ(EvaluatePreconditions(if_match, RecordEntityTag(18)),
            PreconditionOutcome::kIfMatchFailed);
  EXPECT_EQ(EvaluatePreconditions(if_match, std::nullopt), PreconditionOutcome::kIfMatchFailed);

  Preconditions create{std::nullopt, Any()};
  EXPECT_EQ(EvaluatePreconditions(create, std::nullopt), PreconditionOutcome::kProceed);
  EXPECT_EQ(EvaluatePreconditions(create, current), PreconditionOutcome::kIfNoneMatchFailed);

  // Both false: If-Match decides (step 1 before step 3).
  Preconditions both{Tags({Strong("16")}), Tags({Strong("17")})};
  EXPECT_EQ(EvaluatePreconditions(both, current), PreconditionOutcome::kIfMatchFailed);
  // If-Match holds, If-None-Match does not.
  Preconditions second{Any(), Any()};
  EXPECT_EQ(EvaluatePreconditions(second, current), PreconditionOutcome::kIfNoneMatchFailed);
  // Both hold.
  Preconditions hold{Tags({Strong("17")}), Tags({Strong("16")})};
  EXPECT_EQ(EvaluatePreconditions(hold, current), PreconditionOutcome::kProceed);
}

TEST(ParseThenEvaluate, TheRecordRoutesCases) {
  const std::optional<EntityTag> current = RecordEntityTag(17);
  EXPECT_TRUE(IfMatchHolds(Parsed("\"16\", \"17\""), current));
  EXPECT_FALSE(IfMatchHolds(Parsed("W/\"17\""), current));
  EXPECT_FALSE(IfNoneMatchHolds(Parsed("W/\"17\""), current));
  EXPECT_FALSE(IfNoneMatchHolds(Parsed("*"), current));
  EXPECT_TRUE(IfNoneMatchHolds(Parsed("\"16\""), current));
}

}  // namespace
}  // namespace synchub
