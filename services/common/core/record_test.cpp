#include "common/core/record.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

CanonicalRecord Sample() {
  CanonicalRecord record;
  record.entity = "client";
  record.external_id = "CUST-001";
  record.fields = {{"fullName", "Ann"}, {"age", 41}, {"_deleted", false}};
  record.provenance = {{"fullName", "CRM"}, {"age", "ERP"}, {"_deleted", "CRM"}};
  record.field_versions = {{"fullName", 3}, {"age", 2}, {"_deleted", 1}};
  record.version = 3;
  record.last_source = "CRM";
  return record;
}

TEST(Record, DeletedReadsTheReservedField) {
  CanonicalRecord record = Sample();
  EXPECT_FALSE(record.deleted());
  record.fields["_deleted"] = true;
  EXPECT_TRUE(record.deleted());
  record.fields.erase("_deleted");
  EXPECT_FALSE(record.deleted());
}

TEST(Record, JsonHidesTheReservedFieldButKeepsItsProvenance) {
  Json json = RecordToJson(Sample());
  EXPECT_EQ(json["fields"], Json::parse(R"({"fullName":"Ann","age":41})"));
  EXPECT_EQ(json["deleted"], false);
  EXPECT_EQ(json["provenance"]["_deleted"], "CRM");
  EXPECT_EQ(json["externalId"], "CUST-001");
  EXPECT_EQ(json["lastSource"], "CRM");
  EXPECT_EQ(json["version"], 3);
  EXPECT_EQ(json["fieldVersions"], Json::parse(R"({"fullName":3,"age":2,"_deleted":1})"));
}

TEST(Record, FieldsWithoutAVersionCountAsWrittenAtTheRecordsVersion) {
  Json json = RecordToJson(Sample());
  json.erase("fieldVersions");
  auto back = RecordFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->FieldVersion("age"), 3);
  EXPECT_EQ(back->FieldVersion("_deleted"), 3);
}

TEST(Record, JsonRoundTrips) {
  auto back = RecordFromJson(RecordToJson(Sample()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
}

TEST(Record, FromJsonNamesTheBadKey) {
  Json json = RecordToJson(Sample());
  json.erase("version");
  EXPECT_EQ(RecordFromJson(json).status().key(), "version");
  json = RecordToJson(Sample());
  json["fields"] = 3;
  EXPECT_EQ(RecordFromJson(json).status().key(), "fields");
  json = RecordToJson(Sample());
  json["provenance"]["age"] = 7;
  EXPECT_EQ(RecordFromJson(json).status().key(), "provenance");
  EXPECT_EQ(RecordFromJson(Json::array()).status().reason(), "not_object");
}

TEST(RecordJsonText, IsTheSameValueAsRecordToJson) {
  CanonicalRecord record;
  record.entity = "client";
  record.external_id = "K \"1\"";
  record.version = 3;
  record.last_source = "CRM";
  record.fields = {{"a", 1}, {"b", Json{{"x", Json::array({1, "two"})}}}, {"_deleted", true}};
  record.provenance = {{"a", "CRM"}, {"b", "ERP"}, {"_deleted", "CRM"}};
  EXPECT_EQ(Json::parse(RecordJsonText(record)), RecordToJson(record));
}

}  // namespace
}  // namespace synchub
