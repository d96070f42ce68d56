#include "ingest/core/api_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace synchub {
namespace {

StoredRecord Record() {
  StoredRecord stored;
  stored.record.entity = "client";
  stored.record.external_id = "K-1";
  stored.record.version = 3;
  stored.record.last_source = "crm";
  stored.record.fields.emplace("amount", ParseStoredJson("1.50"));
  stored.record.fields.emplace("name", Json("Ann"));
  stored.record.fields.emplace("_deleted", Json(false));
  stored.record.provenance.emplace("amount", "crm");
  stored.record.provenance.emplace("name", "portal");
  stored.record.provenance.emplace("_deleted", "crm");
  stored.record.field_versions.emplace("name", 2);  // amount and _deleted: the record's
  stored.etag = 7;
  return stored;
}

TEST(RecordJson, IsTheApiFormPlusEtagWithExactNumbers) {
  EXPECT_EQ(JsonText(RecordJson(Record())),
            R"({"deleted":false,"entity":"client","etag":7,"externalId":"K-1",)"
            R"("fieldVersions":{"_deleted":3,"amount":3,"name":2},)"
            R"("fields":{"amount":1.50,"name":"Ann"},"lastSource":"crm",)"
            R"("provenance":{"_deleted":"crm","amount":"crm","name":"portal"},"version":3})");
}

TEST(RecordPageJson, ListsRecordsWithEtagsAndTheNextKeyOrNull) {
  RecordPage page;
  page.records.push_back(Record());
  page.next = "K-1";
  const Json json = RecordPageJson(page);
  EXPECT_EQ(json["records"].size(), 1u);
  EXPECT_EQ(JsonText(json["records"][0]), JsonText(RecordJson(Record())));
  EXPECT_EQ(json["next"], "K-1");
  EXPECT_EQ(JsonText(RecordPageJson(RecordPage{})), R"({"next":null,"records":[]})");
}

TEST(RangeChecksumsJson, WritesTheChecksumAsADecimalStringAndUpToNullForTheEnd) {
  std::vector<RangeChecksum> ranges = {
      {{"", std::string("CUST-500")}, 2, -9223372036854775807LL - 1},
      {{"CUST-500", std::nullopt}, 0, 0}};
  EXPECT_EQ(JsonText(RangeChecksumsJson(ranges)),
            R"({"ranges":[{"after":"","checksum":"-9223372036854775808","rows":2,)"
            R"("upTo":"CUST-500"},{"after":"CUST-500","checksum":"0","rows":0,"upTo":null}]})");
}

TEST(HistoryJson, WritesEveryEntryWithNullsForAbsentValues) {
  RecordHistory history{"client", "K-1", {}, std::nullopt};
  history.entries.push_back(HistoryEntry{
      1, "e-1", "crm", 1, "NEW_RECORD", true, std::nullopt, 1, "2024-01-02T03:04:05.678Z",
      ParseStoredJson(R"({"fields":{"x":1e-3}})"), Json(), 12, "source:crm"});
  EXPECT_EQ(
      JsonText(HistoryJson(history)),
      R"({"entity":"client","externalId":"K-1","history":[{"changed":true,)"
      R"("credential":"source:crm","credentialId":12,"etagAfter":1,"etagBefore":null,"event":{"fields":{"x":0.001}},"eventId":"e-1",)"
      R"("outcome":"NEW_RECORD","recordAfter":null,"resolvedAt":"2024-01-02T03:04:05.678Z",)"
      R"("seq":1,"source":"crm","version":1}]})");
}

TEST(HistoryJson, SaysWhereRetentionCutTheLog) {
  RecordHistory history{"client", "K-1", {}, std::nullopt};
  history.truncated =
      HistoryTruncation{41, "2024-01-02T03:04:05.678Z", ParseStoredJson(R"({"version":3})")};
  EXPECT_EQ(JsonText(HistoryJson(history)),
            R"({"entity":"client","externalId":"K-1","history":[],)"
            R"("truncated":{"recordAfter":{"version":3},"resolvedAt":"2024-01-02T03:04:05.678Z",)"
            R"("throughSeq":41}})");
}

ConflictRow Conflict() {
  ConflictRow conflict;
  conflict.id = 4;
  conflict.event_id = "e-9";
  conflict.entity = "client";
  conflict.external_id = "K-1";
  conflict.status = "open";
  conflict.created_at = "2024-01-02T03:04:05.678Z";
  conflict.conflicting_fields = ParseStoredJson(R"([{"field":"name"}])");
  conflict.event = ParseStoredJson(R"({"fields":{"name":"Bo"}})");
  conflict.canonical = ParseStoredJson(R"({"fields":{"name":"Ann"}})");
  return conflict;
}

TEST(ConflictJson, ListsLeaveOutTheEventAndCanonical) {
  EXPECT_EQ(JsonText(ConflictListJson({Conflict()})),
            R"({"conflicts":[{"conflictingFields":[{"field":"name"}],)"
            R"("createdAt":"2024-01-02T03:04:05.678Z","entity":"client","eventId":"e-9",)"
            R"("externalId":"K-1","id":4,"resolution":null,"resolvedAt":null,"status":"open"}]})");
  EXPECT_EQ(JsonText(ConflictListJson({})), R"({"conflicts":[]})");
}

TEST(ConflictJson, DetailAddsTheEventAndCanonical) {
  Json detail = ConflictDetailJson(Conflict());
  EXPECT_EQ(JsonText(detail["event"]), R"({"fields":{"name":"Bo"}})");
  EXPECT_EQ(JsonText(detail["canonical"]), R"({"fields":{"name":"Ann"}})");
  EXPECT_EQ(detail.size(), ConflictJson(Conflict()).size() + 2);
}

TEST(ConflictResolutionJson, HoldsTheConflictTheRecordAndItsEtag) {
  Json json = ConflictResolutionJson({Conflict(), Record()});
  EXPECT_EQ(json["etag"], 7);
  EXPECT_EQ(JsonText(json["record"]), JsonText(RecordJson(Record())));
  EXPECT_EQ(JsonText(json["conflict"]), JsonText(ConflictDetailJson(Conflict())));
}

TEST(DeadLetterJson, WritesEveryColumn) {
  DeadLetterRow letter{2,
                       "e-2",
                       "unknown_source",
                       "no source x",
                       3,
                       "dead",
                       "2024-01-02T03:04:05.678Z",
                       std::nullopt,
                       Json("{not json")};
  EXPECT_EQ(JsonText(DeadLetterListJson({letter})),
            R"({"deadLetters":[{"attempts":3,"detail":"no source x","event":"{not json",)"
            R"("eventId":"e-2","firstSeen":"2024-01-02T03:04:05.678Z","id":2,"lastSeen":null,)"
            R"("reason":"unknown_source","status":"dead"}]})");
  EXPECT_EQ(JsonText(DiscardedDeadLetterJson(2)), R"({"id":2,"status":"discarded"})");
}

SourceRow Source(std::string name, int priority, std::int64_t unacknowledged, double oldest) {
  SourceRow source;
  source.source = std::move(name);
  source.priority = priority;
  source.unacknowledged_records = unacknowledged;
  source.oldest_unacknowledged_seconds = oldest;
  return source;
}

TEST(SourceJson, WritesPriorityLagDeliveryAndParkedRows) {
  SourceRow erp = Source("erp", 2, 5, 1.5);
  erp.last_acknowledged_at = "2026-11-30T23:00:00.000Z";
  erp.parked_rows = 3;
  EXPECT_EQ(JsonText(SourceListJson({Source("crm", 1, 0, 0), erp})),
            R"({"sources":[{"delivery":"never","lastAcknowledgedAt":null,)"
            R"("oldestUnacknowledgedSeconds":0.0,"parkedRows":0,"priority":1,)"
            R"("reloadRequested":false,"source":"crm","unacknowledgedRecords":0},)"
            R"({"delivery":"behind","lastAcknowledgedAt":"2026-11-30T23:00:00.000Z",)"
            R"("oldestUnacknowledgedSeconds":1.5,"parkedRows":3,"priority":2,)"
            R"("reloadRequested":false,"source":"erp","unacknowledgedRecords":5}]})");
  EXPECT_EQ(JsonText(SourcePriorityJson({"crm", -3})), R"({"priority":-3,"source":"crm"})");
}

TEST(DeliveryState, FromTheCursorAndTheLag) {
  SourceRow source = Source("crm", 1, 0, 0);
  EXPECT_EQ(DeliveryState(source), "never");
  source.last_acknowledged_at = "2026-11-30T23:00:00.000Z";
  EXPECT_EQ(DeliveryState(source), "current");
  source.unacknowledged_records = 2;
  source.oldest_unacknowledged_seconds = kStalledAfterSeconds;
  EXPECT_EQ(DeliveryState(source), "behind");
  source.oldest_unacknowledged_seconds = kStalledAfterSeconds + 1;
  EXPECT_EQ(DeliveryState(source), "stalled");
  source.loading = true;
  EXPECT_EQ(DeliveryState(source), "loading");
}

TEST(StatsJson, WritesCountsAndOutcomesByName) {
  HubStats stats{10, 1, 2, 3, 40, {{"NEW_RECORD", 10}, {"VERSION_WIN", 30}}};
  EXPECT_EQ(JsonText(StatsJson(stats)),
            R"({"deadLetters":2,"deferred":3,"openConflicts":1,)"
            R"("outcomes":{"NEW_RECORD":10,"VERSION_WIN":30},"records":10,"resolutions":40})");
  EXPECT_EQ(JsonText(StatsJson(HubStats{})["outcomes"]), "{}");
}

}  // namespace
}  // namespace synchub
