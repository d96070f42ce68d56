#include "resolver/core/conflict_staleness.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

const Json kEvent = Json::parse(
    R"({"externalId":"CUST-004","source":"CRM","version":5,
        "fields":{"email":"david.b@crm.example","fullName":"David Brown"}})");
const Json kThen = Json::parse(
    R"({"version":5,"deleted":false,
        "fields":{"email":"david@crm.example","fullName":"David Brown"}})");

TEST(FieldChangedSinceConflict, NothingChangedIsNotStale) {
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, kThen), std::nullopt);
}

TEST(FieldChangedSinceConflict, ALaterVersionOfAnEventFieldIsStaleNamingTheField) {
  Json now = kThen;
  now["version"] = 6;
  now["fields"]["email"] = "david.corrected@crm.com";
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, now), "email");
}

TEST(FieldChangedSinceConflict, AChangeOfAFieldTheEventDoesNotWriteIsNotStale) {
  Json now = kThen;
  now["fields"]["phone"] = "555-0100";
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, now), std::nullopt);
}

TEST(FieldChangedSinceConflict, AFieldAddedOrRemovedSinceCountsAsChanged) {
  Json then_without_name = kThen;
  then_without_name["fields"].erase("fullName");
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, then_without_name, kThen), "fullName");
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, then_without_name), "fullName");
}

TEST(FieldChangedSinceConflict, ADeletionOrRestoreSinceIsStale) {
  Json now = kThen;
  now["deleted"] = true;
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, now), "_deleted");
}

TEST(FieldChangedSinceConflict, TheFirstChangedFieldInNameOrderIsNamed) {
  Json now = kThen;
  now["fields"]["email"] = "x@example";
  now["fields"]["fullName"] = "X";
  EXPECT_EQ(FieldChangedSinceConflict(kEvent, kThen, now), "email");
}

}  // namespace
}  // namespace synchub
