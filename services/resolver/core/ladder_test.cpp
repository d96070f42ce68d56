#include "resolver/core/ladder.hpp"

#include <gtest/gtest.h>

#include "resolver/core/ladder_test_util.hpp"

namespace synchub {
namespace {

using testing_util::FixedOracle;
using testing_util::MakeEvent;
using testing_util::MakeRecord;
using Strings = std::vector<std::string>;

class LadderTest : public testing::Test {
 protected:
  Decision Run(const Event& event, const CanonicalRecord* canonical) {
    return Resolve(event, canonical, catalog_, oracle_);
  }
  Catalog catalog_ = Catalog::Demo();
  FixedOracle oracle_;
};

// Rung 1.
TEST_F(LadderTest, NoRecordIsNewRecord) {
  Decision decision = Run(MakeEvent("ERP", 1, {{"fullName", "A"}, {"age", 3}}), nullptr);
  EXPECT_EQ(decision.outcome, Outcome::kNewRecord);
  EXPECT_TRUE(decision.changed);
  ASSERT_TRUE(decision.record.has_value());
  EXPECT_EQ(decision.record->fields,
            (FieldMap{{"fullName", "A"}, {"age", 3}, {"_deleted", false}}));
  EXPECT_EQ(decision.record->provenance.at("fullName"), "ERP");
  EXPECT_EQ(decision.record->provenance.at("_deleted"), "ERP");
  EXPECT_EQ(decision.record->version, 1);
  EXPECT_EQ(decision.record->last_source, "ERP");
  EXPECT_EQ(decision.record->entity, "client");
  EXPECT_EQ(decision.record->external_id, "K");
  EXPECT_EQ(decision.written_fields, (Strings{"age", "fullName", "_deleted"}));
  EXPECT_EQ(decision.targets, (Strings{"CRM", "Portal", "LocalDB"}));
  EXPECT_TRUE(decision.conflicts.empty());
}

TEST_F(LadderTest, NewRecordFromADeleteIsADeletedRecord) {
  Decision decision = Run(MakeEvent("CRM", 1, {}, "K", Op::kDelete), nullptr);
  EXPECT_EQ(decision.outcome, Outcome::kNewRecord);
  EXPECT_TRUE(decision.record->deleted());
}

// Rung 2 and its boundary (version + 1).
TEST_F(LadderTest, HigherVersionPatchesTheRecord) {
  CanonicalRecord canonical = MakeRecord("CRM", 4, {{"fullName", "A"}, {"email", "a@x"}});
  Decision decision = Run(MakeEvent("LocalDB", 5, {{"email", "b@x"}, {"phone", "1"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kVersionWin);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.record->fields,
            (FieldMap{{"fullName", "A"}, {"email", "b@x"}, {"phone", "1"}, {"_deleted", false}}));
  EXPECT_EQ(decision.record->version, 5);
  EXPECT_EQ(decision.record->last_source, "LocalDB");
  EXPECT_EQ(decision.record->provenance.at("fullName"), "CRM");  // absent field kept
  EXPECT_EQ(decision.record->provenance.at("email"), "LocalDB");
  EXPECT_EQ(decision.record->provenance.at("_deleted"), "LocalDB");
  EXPECT_EQ(decision.written_fields, (Strings{"email", "phone", "_deleted"}));
  // Applied as sent: the originator gets nothing back, every other source does.
  EXPECT_EQ(decision.targets, (Strings{"CRM", "ERP", "Portal"}));
}

TEST_F(LadderTest, HigherVersionWithIdenticalValuesStillChangesTheVersion) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}});
  Decision decision = Run(MakeEvent("CRM", 2, {{"a", 1}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kVersionWin);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.record->version, 2);
}

TEST_F(LadderTest, LowerPrioritySourceWinsWithAHigherVersion) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}});
  Decision decision = Run(MakeEvent("LocalDB", 2, {{"a", 2}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kVersionWin);
  EXPECT_EQ(decision.record->fields.at("a"), 2);
}

TEST_F(LadderTest, DeleteIsAWriteOfTheReservedField) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}});
  Decision decision = Run(MakeEvent("ERP", 2, {}, "K", Op::kDelete), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kVersionWin);
  EXPECT_TRUE(decision.record->deleted());
  EXPECT_EQ(decision.record->fields.at("a"), 1);  // other fields are kept
  EXPECT_EQ(decision.written_fields, (Strings{"_deleted"}));
  // A later upsert revives it.
  Decision revive = Run(MakeEvent("ERP", 3, {}), &*decision.record);
  EXPECT_EQ(revive.outcome, Outcome::kVersionWin);
  EXPECT_FALSE(revive.record->deleted());
}

// Rung 3 and its boundary (version - 1).
TEST_F(LadderTest, LowerVersionIsStaleAndSendsTheRecordBack) {
  CanonicalRecord canonical = MakeRecord("CRM", 2, {{"a", 1}});
  Decision decision = Run(MakeEvent("CRM", 1, {{"a", 9}, {"b", 2}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kStaleSkip);
  EXPECT_FALSE(decision.changed);
  EXPECT_FALSE(decision.record.has_value());
  EXPECT_TRUE(decision.written_fields.empty());
  EXPECT_EQ(decision.targets, (Strings{"CRM"}));
}

// Rung 4.
TEST_F(LadderTest, SameVersionDisjointFieldsMerge) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"fullName", "A"}});
  Decision decision = Run(MakeEvent("ERP", 1, {{"email", "e"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kFieldMerge);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.record->fields,
            (FieldMap{{"fullName", "A"}, {"email", "e"}, {"_deleted", false}}));
  EXPECT_EQ(decision.record->provenance.at("fullName"), "CRM");
  EXPECT_EQ(decision.record->provenance.at("email"), "ERP");
  EXPECT_EQ(decision.record->provenance.at("_deleted"), "CRM");  // equal value: not written
  EXPECT_EQ(decision.record->last_source, "ERP");
  EXPECT_EQ(decision.record->version, 1);
  EXPECT_EQ(decision.written_fields, (Strings{"email"}));
  // The merge added a field ERP's event lacked: ERP gets the record back too.
  EXPECT_EQ(decision.targets, (Strings{"CRM", "Portal", "LocalDB", "ERP"}));
}

TEST_F(LadderTest, SameVersionEqualValuesAreNotConflicts) {
  CanonicalRecord canonical =
      MakeRecord("CRM", 1, {{"n", 1}, {"o", Json::parse(R"({"x":1,"y":2})")}});
  Decision decision =
      Run(MakeEvent("CRM", 1, {{"n", 1.0}, {"o", Json::parse(R"({"y":2,"x":1})")}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kFieldMerge);
  EXPECT_FALSE(decision.changed);  // an echo changes nothing ...
  EXPECT_FALSE(decision.record.has_value());
  EXPECT_TRUE(decision.targets.empty());  // ... and fans out nothing
}

TEST_F(LadderTest, RetryOfASubsetChangesNothingAndSendsNothing) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}, {"b", 2}});
  Decision decision = Run(MakeEvent("ERP", 1, {{"a", 1}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kFieldMerge);
  EXPECT_FALSE(decision.changed);
  EXPECT_TRUE(decision.targets.empty());
}

TEST_F(LadderTest, MergeThatCoversTheWholeRecordSendsNothingBack) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}});
  Decision decision = Run(MakeEvent("ERP", 1, {{"a", 1}, {"b", 2}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kFieldMerge);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.targets, (Strings{"CRM", "Portal", "LocalDB"}));
}

// Rung 5.
TEST_F(LadderTest, HigherPrioritySourceTakesTheConflictingField) {
  CanonicalRecord canonical = MakeRecord("ERP", 1, {{"fullName", "A"}, {"city", "Oslo"}});
  Decision decision = Run(MakeEvent("CRM", 1, {{"fullName", "B"}, {"phone", "7"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kPriorityWin);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.record->fields.at("fullName"), "B");
  EXPECT_EQ(decision.record->fields.at("phone"), "7");
  EXPECT_EQ(decision.record->fields.at("city"), "Oslo");
  EXPECT_EQ(decision.record->provenance.at("fullName"), "CRM");
  EXPECT_EQ(decision.record->last_source, "CRM");
  ASSERT_EQ(decision.conflicts.size(), 1u);
  EXPECT_EQ(decision.conflicts[0],
            (FieldConflict{"fullName", "B", "A", "ERP", FieldResolution::kTakeIncoming}));
  EXPECT_EQ(decision.written_fields, (Strings{"fullName", "phone"}));
  // CRM lacks "city": it gets the record back.
  EXPECT_EQ(decision.targets, (Strings{"ERP", "Portal", "LocalDB", "CRM"}));
}

TEST_F(LadderTest, LowerPrioritySourceLosesTheConflictButAddsNewFields) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"fullName", "B"}});
  Decision decision = Run(MakeEvent("ERP", 1, {{"fullName", "A"}, {"email", "e"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kPriorityWin);
  EXPECT_TRUE(decision.changed);
  EXPECT_EQ(decision.record->fields.at("fullName"), "B");
  EXPECT_EQ(decision.record->fields.at("email"), "e");
  EXPECT_EQ(decision.record->provenance.at("fullName"), "CRM");
  EXPECT_EQ(decision.record->last_source, "ERP");
  EXPECT_EQ(decision.conflicts[0].resolution, FieldResolution::kKeepCanonical);
  EXPECT_EQ(decision.written_fields, (Strings{"email"}));
  EXPECT_EQ(decision.targets, (Strings{"CRM", "Portal", "LocalDB", "ERP"}));
}

TEST_F(LadderTest, LowerPrioritySourceLosingEverythingChangesNothingButGetsTheRecord) {
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"fullName", "B"}});
  Decision decision = Run(MakeEvent("ERP", 1, {{"fullName", "A"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kPriorityWin);
  EXPECT_FALSE(decision.changed);
  EXPECT_FALSE(decision.record.has_value());
  EXPECT_EQ(decision.targets, (Strings{"ERP"}));
}

TEST_F(LadderTest, PriorityIsComparedPerFieldAgainstItsProvenance) {
  // fullName set by CRM (1), email by Portal (3); ERP (2) sends both.
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"fullName", "A"}, {"email", "p@x"}});
  canonical.provenance["email"] = "Portal";
  Decision decision = Run(MakeEvent("ERP", 1, {{"fullName", "Z"}, {"email", "e@x"}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kPriorityWin);
  EXPECT_EQ(decision.record->fields.at("fullName"), "A");
  EXPECT_EQ(decision.record->fields.at("email"), "e@x");
  EXPECT_EQ(decision.record->provenance.at("email"), "ERP");
  EXPECT_EQ(decision.written_fields, (Strings{"email"}));
}

TEST_F(LadderTest, UnknownProvenanceRanksBelowEveryRegisteredSource) {
  CanonicalRecord canonical = MakeRecord("Retired", 1, {{"a", 1}});
  Decision decision = Run(MakeEvent("LocalDB", 1, {{"a", 2}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kPriorityWin);
  EXPECT_EQ(decision.record->fields.at("a"), 2);
}

TEST_F(LadderTest, DeleteAtTheSameVersionConflictsOnTheReservedField) {
  CanonicalRecord canonical = MakeRecord("ERP", 3, {{"a", 1}});
  Decision win = Run(MakeEvent("CRM", 3, {}, "K", Op::kDelete), &canonical);
  EXPECT_EQ(win.outcome, Outcome::kPriorityWin);
  EXPECT_TRUE(win.record->deleted());
  Decision lose = Run(MakeEvent("Portal", 3, {}, "K", Op::kDelete), &canonical);
  EXPECT_EQ(lose.outcome, Outcome::kPriorityWin);
  EXPECT_FALSE(lose.changed);
}

// Rung 6.
TEST_F(LadderTest, SameSourceSameVersionDifferentValueIsManual) {
  CanonicalRecord canonical = MakeRecord("CRM", 5, {{"email", "a"}, {"x", 1}});
  Decision decision = Run(MakeEvent("CRM", 5, {{"email", "b"}, {"new", 1}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kManual);
  EXPECT_FALSE(decision.changed);
  EXPECT_FALSE(decision.record.has_value());  // nothing of the event is applied
  EXPECT_TRUE(decision.written_fields.empty());
  EXPECT_TRUE(decision.targets.empty());
  ASSERT_EQ(decision.conflicts.size(), 1u);
  EXPECT_EQ(decision.conflicts[0],
            (FieldConflict{"email", "b", "a", "CRM", FieldResolution::kManual}));
}

TEST_F(LadderTest, DifferentSourcesWithEqualPriorityAreManual) {
  catalog_ = catalog_.WithPriority("ERP", 1);
  CanonicalRecord canonical = MakeRecord("CRM", 1, {{"a", 1}});
  EXPECT_EQ(Run(MakeEvent("ERP", 1, {{"a", 2}}), &canonical).outcome, Outcome::kManual);
}

TEST_F(LadderTest, OneEqualPriorityConflictMakesTheWholeEventManual) {
  CanonicalRecord canonical = MakeRecord("ERP", 1, {{"a", 1}, {"b", 1}});
  canonical.provenance["b"] = "CRM";
  // CRM beats ERP on "a", but ties with itself on "b".
  Decision decision = Run(MakeEvent("CRM", 1, {{"a", 2}, {"b", 2}}), &canonical);
  EXPECT_EQ(decision.outcome, Outcome::kManual);
  ASSERT_EQ(decision.conflicts.size(), 2u);
  EXPECT_EQ(decision.conflicts[0].resolution, FieldResolution::kTakeIncoming);
  EXPECT_EQ(decision.conflicts[1].resolution, FieldResolution::kManual);
}

// Rung 0.
TEST_F(LadderTest, MissingDependencyDefersBeforeAnyOtherRung) {
  Event order = MakeEvent("CRM", 1, {{"clientId", "CUST-9"}}, "ORD-1");
  order.entity = "order";
  Decision decision = Run(order, nullptr);
  EXPECT_EQ(decision.outcome, Outcome::kDeferred);
  EXPECT_FALSE(decision.changed);
  EXPECT_TRUE(decision.targets.empty());
  ASSERT_EQ(decision.unmet_dependencies.size(), 1u);
  EXPECT_EQ(decision.unmet_dependencies[0], (UnmetDependency{"clientId", "client", "CUST-9"}));
  // Even a stale event defers: rung 0 comes first.
  CanonicalRecord canonical = MakeRecord("CRM", 9, {});
  canonical.entity = "order";
  EXPECT_EQ(Run(order, &canonical).outcome, Outcome::kDeferred);
}

TEST_F(LadderTest, PresentDependencyPasses) {
  oracle_ = FixedOracle({{"client", "CUST-9"}, {"client", "42"}});
  Event order = MakeEvent("CRM", 1, {{"clientId", "CUST-9"}}, "ORD-1");
  order.entity = "order";
  EXPECT_EQ(Run(order, nullptr).outcome, Outcome::kNewRecord);
  order.fields["clientId"] = 42;  // integer references are decimal externalIds
  EXPECT_EQ(Run(order, nullptr).outcome, Outcome::kNewRecord);
}

TEST_F(LadderTest, NullOrAbsentReferenceIsNoDependency) {
  Event order = MakeEvent("CRM", 1, {{"clientId", nullptr}}, "ORD-1");
  order.entity = "order";
  EXPECT_EQ(Run(order, nullptr).outcome, Outcome::kNewRecord);
  order.fields.clear();
  EXPECT_EQ(Run(order, nullptr).outcome, Outcome::kNewRecord);
}

TEST_F(LadderTest, DependenciesApplyOnlyToTheirEntity) {
  // A client carrying "clientId" has no dependency: only order.clientId is declared.
  EXPECT_EQ(Run(MakeEvent("CRM", 1, {{"clientId", "nope"}}), nullptr).outcome, Outcome::kNewRecord);
}

TEST_F(LadderTest, ResolveIsDeterministic) {
  CanonicalRecord canonical = MakeRecord("ERP", 1, {{"a", 1}, {"b", 2}});
  Event event = MakeEvent("CRM", 1, {{"a", 3}, {"c", 4}});
  Decision first = Run(event, &canonical);
  Decision second = Run(event, &canonical);
  EXPECT_EQ(first.outcome, second.outcome);
  EXPECT_EQ(first.record, second.record);
  EXPECT_EQ(first.targets, second.targets);
  EXPECT_EQ(first.conflicts, second.conflicts);
}

TEST(OutcomeName, RoundTrips) {
  for (Outcome outcome :
       {Outcome::kNewRecord, Outcome::kVersionWin, Outcome::kStaleSkip, Outcome::kFieldMerge,
        Outcome::kPriorityWin, Outcome::kManual, Outcome::kDeferred}) {
    EXPECT_EQ(OutcomeFromName(OutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(OutcomeName(Outcome::kPriorityWin), "PRIORITY_WIN");
  EXPECT_EQ(OutcomeFromName("nope"), std::nullopt);
}

// Rung 4 with per-field versions (SPEC section 3).
TEST_F(LadderTest, AValueFromAnOlderVersionIsReplacedNotAConflict) {
  // The issue-10 interleaving: CRM created {Ann, ann@old} at v1; LocalDB edited the name at
  // v2 (VERSION_WIN); Portal's concurrent email edit, also v2, arrives second.
  CanonicalRecord v1 = MakeRecord("CRM", 1, {{"fullName", "Ann"}, {"email", "ann@old"}});
  Decision name = Run(MakeEvent("LocalDB", 2, {{"fullName", "Ann Edited"}}), &v1);
  ASSERT_EQ(name.outcome, Outcome::kVersionWin);
  EXPECT_EQ(name.record->FieldVersion("fullName"), 2);
  EXPECT_EQ(name.record->FieldVersion("email"), 1);
  Decision email = Run(MakeEvent("Portal", 2, {{"email", "ann@new"}}), &*name.record);
  EXPECT_EQ(email.outcome, Outcome::kFieldMerge);
  EXPECT_TRUE(email.conflicts.empty());
  ASSERT_TRUE(email.changed);
  EXPECT_EQ(email.record->fields.at("fullName"), "Ann Edited");
  EXPECT_EQ(email.record->fields.at("email"), "ann@new");
  EXPECT_EQ(email.record->provenance.at("email"), "Portal");
  EXPECT_EQ(email.record->FieldVersion("email"), 2);
  EXPECT_EQ(email.record->version, 2);
  // Portal lacks the new name: it gets the record back, with everyone else.
  EXPECT_EQ(email.targets, (Strings{"CRM", "ERP", "LocalDB", "Portal"}));
}

TEST_F(LadderTest, AValueWrittenAtTheSameVersionStillConflicts) {
  CanonicalRecord v1 = MakeRecord("CRM", 1, {{"fullName", "Ann"}, {"email", "ann@old"}});
  Decision first = Run(MakeEvent("Portal", 2, {{"email", "portal@x"}}), &v1);
  ASSERT_EQ(first.outcome, Outcome::kVersionWin);
  // Same version, same field, different value: the field was written at v2 -> rung 5.
  Decision higher = Run(MakeEvent("ERP", 2, {{"email", "erp@x"}}), &*first.record);
  EXPECT_EQ(higher.outcome, Outcome::kPriorityWin);
  EXPECT_EQ(higher.record->fields.at("email"), "erp@x");
  Decision lower = Run(MakeEvent("LocalDB", 2, {{"email", "local@x"}}), &*first.record);
  EXPECT_EQ(lower.outcome, Outcome::kPriorityWin);
  EXPECT_FALSE(lower.changed);
  EXPECT_EQ(lower.targets, (Strings{"LocalDB"}));
  Decision same = Run(MakeEvent("Portal", 2, {{"email", "other@x"}}), &*first.record);
  EXPECT_EQ(same.outcome, Outcome::kManual);
}

TEST_F(LadderTest, FieldVersionBoundaryIsStrictlyOlder) {
  CanonicalRecord record = MakeRecord("CRM", 3, {{"a", 1}, {"b", 1}});
  record.field_versions = {{"a", 2}, {"b", 3}, {"_deleted", 3}};
  Decision decision = Run(MakeEvent("CRM", 3, {{"a", 9}, {"b", 9}}), &record);
  // a (v2 < v3) is replaced; b (v3) conflicts with an equal priority -> MANUAL, nothing applied.
  EXPECT_EQ(decision.outcome, Outcome::kManual);
  ASSERT_EQ(decision.conflicts.size(), 1u);
  EXPECT_EQ(decision.conflicts[0].field, "b");
  Decision only_a = Run(MakeEvent("CRM", 3, {{"a", 9}}), &record);
  EXPECT_EQ(only_a.outcome, Outcome::kFieldMerge);
  EXPECT_EQ(only_a.record->fields.at("a"), 9);
}

TEST_F(LadderTest, NumbersCompareByValueNotByText) {
  CanonicalRecord record = MakeRecord("CRM", 1, {{"amount", ExactNumber("1.50")}});
  Decision same = Run(MakeEvent("CRM", 1, {{"amount", ExactNumber("1.5")}}), &record);
  EXPECT_EQ(same.outcome, Outcome::kFieldMerge);
  EXPECT_FALSE(same.changed);  // 1.5 == 1.50: an echo, nothing written
  Decision other =
      Run(MakeEvent("CRM", 1, {{"amount", ExactNumber("1.500000000000000000001")}}), &record);
  EXPECT_EQ(other.outcome, Outcome::kManual);  // differs in the 21st decimal: a conflict
}

// SPEC section 1: the operator is above every other source.
TEST_F(LadderTest, AnOperatorsValueBeatsEverySourceAtTheSameVersion) {
  CanonicalRecord record = MakeRecord("CRM", 2, {{"email", "set@by.person"}});
  record.provenance.insert_or_assign("email", "operator");
  Decision crm = Run(MakeEvent("CRM", 2, {{"email", "crm@x"}}), &record);
  EXPECT_EQ(crm.outcome, Outcome::kPriorityWin);
  EXPECT_FALSE(crm.changed);
  EXPECT_EQ(crm.targets, (Strings{"CRM"}));  // CRM gets the person's value back
}

}  // namespace
}  // namespace synchub
