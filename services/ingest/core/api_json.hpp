// The ingest API's JSON bodies for what PgIngestStore reads (store_rows.hpp). Pure: no I/O.
// Objects are nlohmann objects (keys in name order); write them with JsonText, which keeps
// every number exact. Times and stored JSON values are passed through as they were read;
// an absent optional value is null. Thread safety: none needed (no state).
#pragma once

#include <cstdint>

#include "common/core/json.hpp"
#include "ingest/core/store_rows.hpp"

namespace synchub {

// The record in API form (RecordToJson) plus "etag".
Json RecordJson(const StoredRecord& record);

// {"records":[RecordJson, ...],"next": the externalId to list after for the next page, or null
// on the last page}.
Json RecordPageJson(const RecordPage& page);

// {"ranges":[{"after","upTo" (null: to the end),"rows","checksum"}, ...]} in the order given;
// "checksum" is the signed 64-bit value as a decimal JSON string (exact in every JSON reader).
Json RangeChecksumsJson(const std::vector<RangeChecksum>& ranges);

// {"entity","externalId","history":[{"seq","eventId","source","version","outcome","changed",
// "etagBefore","etagAfter","resolvedAt","event","recordAfter"}, ...]}, with
// "truncated":{"throughSeq","resolvedAt","recordAfter"} when retention dropped the record's
// older events (the record after the last dropped one; docs/design.md, "Log retention").
Json HistoryJson(const RecordHistory& history);

// {"id","eventId","entity","externalId","status","resolution","createdAt","resolvedAt",
// "conflictingFields"}: a conflict as lists show it.
Json ConflictJson(const ConflictRow& conflict);
// ConflictJson plus "event" and "canonical": one conflict (GET /api/conflicts/{id}).
Json ConflictDetailJson(const ConflictRow& conflict);
// {"conflicts":[ConflictJson, ...]}.
Json ConflictListJson(const std::vector<ConflictRow>& conflicts);
// {"conflict": ConflictDetailJson, "record": RecordJson, "etag": the record's etag}.
Json ConflictResolutionJson(const ConflictResolution& resolution);

// {"id","eventId","reason","detail","attempts","status","firstSeen","lastSeen","event"}.
Json DeadLetterJson(const DeadLetterRow& letter);
// {"deadLetters":[DeadLetterJson, ...]}.
Json DeadLetterListJson(const std::vector<DeadLetterRow>& letters);
// {"id","status":"discarded"}.
Json DiscardedDeadLetterJson(std::int64_t id);

// How a source's deliveries stand, from the tables (the hub keeps no live session state):
// "loading" (a reverse load in progress), "never" (it never acknowledged a change: never
// subscribed), "current" (nothing unacknowledged), "behind" (changes unacknowledged, the
// oldest for at most kStalledAfterSeconds), "stalled" (older: disconnected or stuck).
inline constexpr double kStalledAfterSeconds = 60;
std::string DeliveryState(const SourceRow& source);

// {"source","priority","unacknowledgedRecords","oldestUnacknowledgedSeconds","delivery",
//  "lastAcknowledgedAt","reloadRequested","parkedRows"}; delivery is DeliveryState.
Json SourceJson(const SourceRow& source);
// {"sources":[SourceJson, ...]}.
Json SourceListJson(const std::vector<SourceRow>& sources);
// {"source","priority"}.
Json SourcePriorityJson(const SourcePriority& source);

// {"records","openConflicts","deadLetters","deferred","resolutions","outcomes":{name: count}}.
Json StatsJson(const HubStats& stats);

}  // namespace synchub
