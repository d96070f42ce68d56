#include "common/core/event_parse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synchub {
namespace {

StatusOr<Event> Parse(const std::string& body) { return ParseEvent(body, Catalog::Demo()); }

TEST(ParseEvent, CanonicalForm) {
  auto event = Parse(R"({"eventId":"e-1","entity":"order","externalId":"ORD-1","source":"ERP",
                         "version":7,"op":"upsert","fields":{"clientId":"CUST-1","total":9.5}})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->event_id, "e-1");
  EXPECT_EQ(event->entity, "order");
  EXPECT_EQ(event->external_id, "ORD-1");
  EXPECT_EQ(event->source, "ERP");
  EXPECT_EQ(event->version, 7);
  EXPECT_EQ(event->op, Op::kUpsert);
  EXPECT_EQ(event->fields, (FieldMap{{"clientId", "CUST-1"}, {"total", ExactNumber("9.5")}}));
}

TEST(ParseEvent, FlatFormFromTheSeed) {
  auto event = Parse(
      R"({"externalId":"CUST-004","source":"CRM","version":6,"fullName":"David Brown",
          "email":"david.corrected@crm.com"})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->entity, "client");  // the default
  EXPECT_EQ(event->op, Op::kUpsert);   // the default
  EXPECT_EQ(event->event_id, "");
  EXPECT_EQ(event->fields,
            (FieldMap{{"fullName", "David Brown"}, {"email", "david.corrected@crm.com"}}));
}

TEST(ParseEvent, BothFormsGiveTheSameEvent) {
  auto flat = Parse(R"({"externalId":"X","source":"CRM","version":1,"a":{"b":[1,2]},"c":null})");
  auto canonical =
      Parse(R"({"externalId":"X","source":"CRM","version":1,"fields":{"a":{"b":[1,2]},"c":null}})");
  ASSERT_TRUE(flat.ok());
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*flat, *canonical);
}

TEST(ParseEvent, DeleteWithAndWithoutFields) {
  auto bare = Parse(R"({"externalId":"X","source":"CRM","version":2,"op":"delete"})");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->op, Op::kDelete);
  EXPECT_TRUE(bare->deleted());
  EXPECT_TRUE(bare->fields.empty());
  auto with_fields =
      Parse(R"({"externalId":"X","source":"CRM","version":2,"op":"delete","fields":{"a":1}})");
  ASSERT_TRUE(with_fields.ok());
  EXPECT_EQ(with_fields->fields.size(), 1u);
}

TEST(ParseEvent, VersionBoundaries) {
  auto with_version = [](const std::string& version) {
    return Parse(R"({"externalId":"X","source":"CRM","version":)" + version + "}");
  };
  EXPECT_EQ(with_version("1")->version, 1);
  EXPECT_EQ(with_version("9007199254740992")->version, 9007199254740992);  // 2^53
  EXPECT_EQ(with_version("6.0")->version, 6);  // JSON equality: 6.0 is the integer 6
  EXPECT_EQ(with_version("1e3")->version, 1000);
}

TEST(ParseEvent, EveryEmptyOrNullOptionalIsHandled) {
  auto event = Parse(R"({"externalId":"X","source":"CRM","version":1,"fields":{}})");
  ASSERT_TRUE(event.ok());
  EXPECT_TRUE(event->fields.empty());
}

TEST(ParseEvent, FieldCountBoundary) {
  auto body_with = [](int count) {
    std::string body = R"({"externalId":"X","source":"CRM","version":1,"fields":{)";
    for (int i = 0; i < count; ++i) {
      if (i) body += ",";
      body += "\"f" + std::to_string(i) + "\":" + std::to_string(i);
    }
    return body + "}}";
  };
  EXPECT_TRUE(Parse(body_with(256)).ok());
  auto too_many = Parse(body_with(257));
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().key(), "fields");
  EXPECT_EQ(too_many.status().reason(), "too_many_fields");
}

TEST(ParseEvent, LengthBoundaries) {
  std::string id256(256, 'a');
  EXPECT_TRUE(Parse(R"({"externalId":")" + id256 + R"(","source":"CRM","version":1})").ok());
  std::string name64 = "a" + std::string(63, 'b');
  EXPECT_TRUE(Parse(R"({"externalId":"X","source":"CRM","version":1,")" + name64 + R"(":1})").ok());
}

TEST(IsValidFieldName, FollowsTheSpecPattern) {
  EXPECT_TRUE(IsValidFieldName("a"));
  EXPECT_TRUE(IsValidFieldName("Z9_x"));
  EXPECT_TRUE(IsValidFieldName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidFieldName(std::string(65, 'a')));
  EXPECT_FALSE(IsValidFieldName(""));
  EXPECT_FALSE(IsValidFieldName("9a"));
  EXPECT_FALSE(IsValidFieldName("a-b"));
  EXPECT_FALSE(IsValidFieldName("a b"));
  EXPECT_FALSE(IsValidFieldName("_a"));  // reserved, checked separately
  EXPECT_FALSE(IsValidFieldName("\xc3\xa9"));
}

// Every rejection rule of SPEC section 2: the body, the key named, the reason.
struct Rejection {
  const char* name;
  std::string body;
  const char* key;
  const char* reason;
};

std::string Base(const std::string& extra) {
  return R"({"externalId":"X","source":"CRM","version":1)" + extra + "}";
}

class ParseEventRejects : public testing::TestWithParam<Rejection> {};

TEST_P(ParseEventRejects, NamesTheOffendingKey) {
  const Rejection& rejection = GetParam();
  auto event = Parse(rejection.body);
  ASSERT_FALSE(event.ok()) << rejection.body;
  EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(event.status().key(), rejection.key) << event.status().ToString();
  EXPECT_EQ(event.status().reason(), rejection.reason) << event.status().ToString();
  // The message starts with the key so a human sees it first.
  if (!std::string(rejection.key).empty()) {
    EXPECT_EQ(event.status().message().rfind(rejection.key, 0), 0u) << event.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    SpecSection2, ParseEventRejects,
    testing::Values(
        Rejection{"NotJson", "{nope", "", "invalid_json"},
        Rejection{"EmptyBody", "", "", "invalid_json"},
        Rejection{"NotObjectArray", "[1,2]", "", "not_object"},
        Rejection{"NotObjectString", "\"x\"", "", "not_object"},
        Rejection{"TooDeep", Base(R"(,"deep":)" + std::string(32, '[') + std::string(32, ']')),
                  "deep", "too_deep"},
        Rejection{"DuplicateKey", Base(R"(,"a":1,"a":2)"), "a", "duplicate_key"},
        Rejection{"MissingExternalId", R"({"source":"CRM","version":1})", "externalId", "missing"},
        Rejection{"EmptyExternalId", R"({"externalId":"","source":"CRM","version":1})",
                  "externalId", "empty"},
        Rejection{"ExternalIdNotString", R"({"externalId":5,"source":"CRM","version":1})",
                  "externalId", "wrong_type"},
        Rejection{"ExternalIdTooLong",
                  R"({"externalId":")" + std::string(257, 'a') + R"(","source":"CRM","version":1})",
                  "externalId", "too_long"},
        Rejection{"MissingSource", R"({"externalId":"X","version":1})", "source", "missing"},
        Rejection{"EmptySource", R"({"externalId":"X","source":"","version":1})", "source",
                  "empty"},
        Rejection{"SourceNotString", R"({"externalId":"X","source":["CRM"],"version":1})", "source",
                  "wrong_type"},
        Rejection{"UnknownSource", R"({"externalId":"X","source":"SAP","version":1})", "source",
                  "unknown_source"},
        Rejection{"MissingVersion", R"({"externalId":"X","source":"CRM"})", "version", "missing"},
        Rejection{"VersionString", R"({"externalId":"X","source":"CRM","version":"1"})", "version",
                  "wrong_type"},
        Rejection{"VersionNull", R"({"externalId":"X","source":"CRM","version":null})", "version",
                  "wrong_type"},
        Rejection{"VersionFraction", R"({"externalId":"X","source":"CRM","version":1.5})",
                  "version", "not_integer"},
        Rejection{"VersionZero", R"({"externalId":"X","source":"CRM","version":0})", "version",
                  "out_of_range"},
        Rejection{"VersionNegative", R"({"externalId":"X","source":"CRM","version":-3})", "version",
                  "out_of_range"},
        Rejection{"VersionPast2To53",
                  R"({"externalId":"X","source":"CRM","version":9007199254740993})", "version",
                  "out_of_range"},
        Rejection{"VersionHuge", R"({"externalId":"X","source":"CRM","version":1e300})", "version",
                  "out_of_range"},
        Rejection{"VersionPastUint64",
                  R"({"externalId":"X","source":"CRM","version":99999999999999999999999})",
                  "version", "out_of_range"},
        Rejection{"UnknownEntity", Base(R"(,"entity":"invoice")"), "entity", "unknown_entity"},
        Rejection{"EmptyEntity", Base(R"(,"entity":"")"), "entity", "empty"},
        Rejection{"EntityNotString", Base(R"(,"entity":1)"), "entity", "wrong_type"},
        Rejection{"BadOp", Base(R"(,"op":"merge")"), "op", "invalid_op"},
        Rejection{"OpNotString", Base(R"(,"op":true)"), "op", "wrong_type"},
        Rejection{"EventIdNotString", Base(R"(,"eventId":12)"), "eventId", "wrong_type"},
        Rejection{"EventIdTooLong", Base(R"(,"eventId":")" + std::string(257, 'e') + "\""),
                  "eventId", "too_long"},
        Rejection{"FieldsNotObject", Base(R"(,"fields":[1])"), "fields", "wrong_type"},
        Rejection{"FieldsNull", Base(R"(,"fields":null)"), "fields", "wrong_type"},
        Rejection{"MixedForms", Base(R"(,"fields":{"a":1},"b":2)"), "b", "mixed_forms"},
        Rejection{"FieldNameWithDash", Base(R"(,"full-name":"x")"), "full-name",
                  "invalid_field_name"},
        Rejection{"FieldNameStartsWithDigit", Base(R"(,"fields":{"1a":1})"), "1a",
                  "invalid_field_name"},
        Rejection{"FieldNameTooLong", Base(",\"" + std::string(65, 'a') + "\":1"),
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  "invalid_field_name"},
        Rejection{"FieldNameEmpty", Base(R"(,"fields":{"":1})"), "", "invalid_field_name"},
        Rejection{"ReservedFieldFlat", Base(R"(,"_deleted":true)"), "_deleted", "reserved_field"},
        Rejection{"ReservedFieldNested", Base(R"(,"fields":{"_x":1})"), "_x", "reserved_field"},
        Rejection{
            "ReferenceNotAnId",
            R"({"entity":"order","externalId":"O","source":"CRM","version":1,"clientId":{"id":1}})",
            "clientId", "invalid_reference"},
        Rejection{"ReferenceEmpty",
                  R"({"entity":"order","externalId":"O","source":"CRM","version":1,"clientId":""})",
                  "clientId", "invalid_reference"},
        Rejection{"OperatorIsReserved", R"({"externalId":"K","source":"operator","version":1})",
                  "source", "reserved_source"},
        Rejection{
            "ReferenceAFraction",
            R"({"entity":"order","externalId":"O","source":"CRM","version":1,"clientId":5.5})",
            "clientId", "invalid_reference"}),
    [](const testing::TestParamInfo<Rejection>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ReferencedId, IsTheIntegerInDecimalWhateverItsSize) {
  EXPECT_EQ(ReferencedId(Json(5)), "5");
  EXPECT_EQ(ReferencedId(ExactNumber("5.00")), "5");
  EXPECT_EQ(ReferencedId(ExactNumber("12345678901234567890123")), "12345678901234567890123");
  EXPECT_EQ(ReferencedId(ExactNumber("5.5")), std::nullopt);
  EXPECT_EQ(ReferencedId(Json("C-1")), "C-1");
  EXPECT_EQ(ReferencedId(Json()), std::nullopt);
}

TEST(ParseEvent, BodyOverOneMebibyteIsTooLarge) {
  auto event = Parse(Base(R"(,"blob":")" + std::string(1024 * 1024, 'x') + "\""));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().reason(), "body_too_large");
}

TEST(ValidateEvent, AppliesTheSameRulesToStructuredEvents) {
  Event event;
  event.external_id = "X";
  event.source = "CRM";
  event.version = 1;
  EXPECT_TRUE(ValidateEvent(event, Catalog::Demo()).ok());
  event.fields.emplace("_deleted", true);
  EXPECT_EQ(ValidateEvent(event, Catalog::Demo()).reason(), "reserved_field");
  event.fields.clear();
  event.version = 0;
  EXPECT_EQ(ValidateEvent(event, Catalog::Demo()).key(), "version");
}

TEST(EventToJson, RoundTripsThroughTheParser) {
  auto event = Parse(R"({"eventId":"e","entity":"order","externalId":"O","source":"ERP",
                         "version":3,"op":"delete","fields":{"clientId":7,"x":[1,{"y":null}]}})");
  ASSERT_TRUE(event.ok());
  auto again = EventFromJson(EventToJson(*event), Catalog::Demo());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *event);
}

TEST(EventJsonText, IsTheSameValueAsEventToJson) {
  Event event;
  event.event_id = "e\\1";
  event.entity = "order";
  event.external_id = "O-1";
  event.source = "ERP";
  event.version = 9;
  event.op = Op::kDelete;
  event.fields = {{"clientId", "C"}, {"n", Json::array({1, 2.5, nullptr})}};
  EXPECT_EQ(Json::parse(EventJsonText(event)), EventToJson(event));
  event.event_id.clear();
  EXPECT_EQ(Json::parse(EventJsonText(event)), EventToJson(event));
}

}  // namespace
}  // namespace synchub
