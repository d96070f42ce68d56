#include "resolver/core/event_digest.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "common/core/json.hpp"
#include "resolver/core/ladder_test_util.hpp"

namespace synchub {
namespace {

using testing_util::MakeEvent;

// Fields from JSON text, numbers parsed exactly as the gateway parses them.
FieldMap Fields(const std::string& text) {
  auto value = ParseJsonStrict(text);
  EXPECT_TRUE(value.ok()) << text;
  FieldMap fields;
  for (auto it = value->begin(); it != value->end(); ++it) fields.insert_or_assign(it.key(), *it);
  return fields;
}

TEST(EventDigestTest, NormalFormNamesEveryPartOfTheContent) {
  Event event = MakeEvent("CRM", 6, Fields(R"({"b":[1.50,{"y":2,"x":"s"}],"a":null})"), "CUST-1");
  event.event_id = "E-1";
  EXPECT_EQ(
      EventNormalForm(event),
      R"({"entity":"client","externalId":"CUST-1","fields":{"a":null,"b":[1.5,{"x":"s","y":2}]},)"
      R"("op":"upsert","source":"CRM","version":6})");
}

TEST(EventDigestTest, JsonEqualContentHasOneDigest) {
  const Event a = MakeEvent("CRM", 2, Fields(R"({"n":1,"m":1.50,"z":-0.0,"o":{"k":1,"j":[10]}})"));
  const Event b =
      MakeEvent("CRM", 2, Fields(R"({"o":{"j":[1e1],"k":1.000},"z":0,"m":15e-1,"n":1.0})"));
  EXPECT_EQ(EventDigest(a), EventDigest(b));
  EXPECT_EQ(EventDigest(a).size(), 32u);
  Event with_id = a;
  with_id.event_id = "another id";  // the id is the key, not the content
  EXPECT_EQ(EventDigest(with_id), EventDigest(a));
}

TEST(EventDigestTest, EveryDifferenceChangesTheDigest) {
  const Event base = MakeEvent("CRM", 2, Fields(R"({"email":"first","n":1.5})"), "K1");
  const std::string digest = EventDigest(base);
  std::vector<Event> others;
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"SECOND","n":1.5})"), "K1"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first","n":1.50001})"), "K1"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first","n":"1.5"})"), "K1"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first"})"), "K1"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first","n":1.5,"x":null})"), "K1"));
  others.push_back(MakeEvent("CRM", 3, Fields(R"({"email":"first","n":1.5})"), "K1"));
  others.push_back(MakeEvent("ERP", 2, Fields(R"({"email":"first","n":1.5})"), "K1"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first","n":1.5})"), "K2"));
  others.push_back(MakeEvent("CRM", 2, Fields(R"({"email":"first","n":1.5})"), "K1", Op::kDelete));
  Event other_entity = base;
  other_entity.entity = "order";
  others.push_back(other_entity);
  for (const Event& other : others) {
    EXPECT_NE(EventDigest(other), digest) << EventNormalForm(other);
  }
}

TEST(EventDigestTest, DigestHexIsLowerCaseSha256) {
  // SHA-256("abc") from FIPS 180-4's examples, through the hex writer.
  EXPECT_EQ(DigestHex(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(DigestHex(EventDigest(MakeEvent("CRM", 1, {}))).size(), 64u);
}

// Property: an integer written with any number of fractional zeros, in any field order, has
// the digest of the plain integer; a different integer never has it.
RC_GTEST_PROP(EventDigestProperty, ScaleAndOrderNeverMatterValuesAlways,
              (std::int32_t value, std::uint8_t zeros, std::int32_t other)) {
  const std::string plain = std::to_string(value);
  const std::string scaled = plain + "." + std::string(zeros % 20 + 1, '0');
  const Event a = MakeEvent("CRM", 1, Fields(R"({"a":)" + plain + R"(,"b":"x"})"));
  const Event b = MakeEvent("CRM", 1, Fields(R"({"b":"x","a":)" + scaled + "}"));
  RC_ASSERT(EventDigest(a) == EventDigest(b));
  RC_PRE(other != value);
  const Event c = MakeEvent("CRM", 1, Fields(R"({"a":)" + std::to_string(other) + R"(,"b":"x"})"));
  RC_ASSERT(EventDigest(a) != EventDigest(c));
}

}  // namespace
}  // namespace synchub
