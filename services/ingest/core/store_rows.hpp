// What PgIngestStore reads, as plain values: the rows behind the ingest API's answers. The
// JSON the API writes for each is in api_json.hpp. Pure data; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/core/json.hpp"
#include "resolver/core/batch_plan.hpp"

namespace synchub {

// A record with its etag is a StoredRecord (resolver/core/batch_plan.hpp).

// One page of an entity's records (tombstones included) in byte order of externalId.
struct RecordPage {
  std::vector<StoredRecord> records;
  // The externalId to list after for the next page; nullopt when this page is the last.
  std::optional<std::string> next;
};

// A range of keys in byte order: externalId > after and, unless up_to is nullopt (to the
// end), externalId <= up_to.
struct KeyRange {
  std::string after;
  std::optional<std::string> up_to;
};

// The checksum of a key range over the live records (range_checksum.hpp): how many there are
// and the bit_xor of their row hashes (0 for none).
struct RangeChecksum {
  KeyRange range;
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
};

// One resolution-log entry of a record (table resolution_log).
struct HistoryEntry {
  std::int64_t seq = 0;
  std::string event_id;
  std::string source;
  std::int64_t version = 0;
  std::string outcome;
  bool changed = false;
  std::optional<std::int64_t> etag_before;  // nullopt: no record existed before
  std::optional<std::int64_t> etag_after;   // nullopt: no record was written
  std::optional<std::string> resolved_at;   // UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ"
  Json event;                               // as logged; null when none
  Json record_after;                        // as logged; null when none
  // Who: the credential behind the event (docs/security.md) and its role and name, e.g.
  // "source:CRM (CRM connector)"; nullopt when written without authentication.
  std::optional<std::int64_t> credential_id;
  std::optional<std::string> credential;
};

// Where the retention policy cut a record's log (table record_checkpoint): every event up to
// `seq` was dropped; `record` is the record after it (null: none existed).
struct HistoryTruncation {
  std::int64_t seq = 0;
  std::string resolved_at;  // of that event, UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ"
  Json record;
};

// A record's resolution log, oldest first. Never both empty and untruncated when returned by
// the store.
struct RecordHistory {
  std::string entity;
  std::string external_id;
  std::vector<HistoryEntry> entries;
  std::optional<HistoryTruncation> truncated;
};

// One row of conflict_log. Times are UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ".
struct ConflictRow {
  std::int64_t id = 0;
  std::string event_id;
  std::string entity;
  std::string external_id;
  std::string status;  // open | resolved
  std::optional<std::string> resolution;
  std::optional<std::string> created_at;
  std::optional<std::string> resolved_at;
  Json conflicting_fields;  // as logged; null when none
  // Read only for a single conflict (GetConflict), null in lists: the conflicting event
  // (canonical JSON) and the canonical record when the conflict was logged (API form).
  Json event;
  Json canonical;
};

// The outcome of resolving a conflict: the conflict as it is now and the record written.
struct ConflictResolution {
  ConflictRow conflict;
  StoredRecord record;
};

// One row of dead_letter. Times are UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ".
struct DeadLetterRow {
  std::int64_t id = 0;
  std::string event_id;
  std::string reason;
  std::string detail;
  int attempts = 0;
  std::string status;  // dead | replayed | discarded
  std::optional<std::string> first_seen;
  std::optional<std::string> last_seen;
  // The event as stored (canonical JSON); else its raw text as a JSON string; else null.
  Json event;
};

// A source and its priority (lower ranks higher).
struct SourcePriority {
  std::string source;
  int priority = 0;
};

// A source with its lag: records whose current canonical state its connector has not
// acknowledged, and the age of the oldest such change in seconds (view source_lag); what
// outbound_cursor says of its delivery; and its parked rows (docs/operations.md, "Console").
struct SourceRow {
  std::string source;
  int priority = 0;
  std::int64_t unacknowledged_records = 0;
  double oldest_unacknowledged_seconds = 0;
  // When its connector last moved its acknowledged position (outbound_cursor.acked_at, UTC,
  // "YYYY-MM-DDTHH:MM:SS.mmmZ"); nullopt when it never acknowledged a change.
  std::optional<std::string> last_acknowledged_at;
  bool loading = false;           // a reverse load is in progress (outbound_cursor.load_xid)
  bool reload_requested = false;  // an operator asked for one; the next session starts it
  // Its connector's parked rows that reached the hub as dead letters still open (status
  // 'dead', reason CONNECTOR_PUSH_FAILED or CONNECTOR_APPLY_FAILED).
  std::int64_t parked_rows = 0;
};

// Counts over the whole hub.
struct HubStats {
  std::int64_t records = 0;
  std::int64_t open_conflicts = 0;
  std::int64_t dead_letters = 0;  // status 'dead'
  std::int64_t deferred = 0;
  std::int64_t resolutions = 0;
  std::vector<std::pair<std::string, std::int64_t>> outcomes;  // outcome -> count, by name
};

}  // namespace synchub
