#include "ingest/ingest_store.hpp"

#include <optional>
#include <utility>

#include "common/core/dead_letter_reason.hpp"
#include "common/core/event_parse.hpp"
#include "common/core/range_checksum.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/pg/record_row.hpp"
#include "common/runtime/event_ids.hpp"
#include "ingest/sql.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/pg/hub_transaction.hpp"

namespace synchub {
namespace {

Json ParseOrNull(const pqxx::field& field) {
  return field.is_null() ? Json() : ParseStoredJson(field.as<std::string>());
}

template <typename T>
std::optional<T> ValueOrNull(const pqxx::field& field) {
  return field.is_null() ? std::nullopt : std::optional<T>(field.as<T>());
}

// A row of ingest_sql::kRecordPage (kCanonicalRecordColumns) with its etag.
StoredRecord StoredRecordFromRow(const pqxx::row& row) {
  StoredRecord stored;
  stored.record = CanonicalRecordFromRow(row, &stored.etag);
  return stored;
}

// The ranges as the jsonb array ingest_sql::RangeChecksums reads.
std::string RangesJson(const std::vector<KeyRange>& ranges) {
  Json array = Json::array();
  for (const KeyRange& range : ranges) {
    array.push_back({{"after", range.after}, {"upTo", range.up_to ? Json(*range.up_to) : Json()}});
  }
  return JsonText(array);
}

// The columns of ingest_sql::kConflictColumns; `detail` reads event and canonical too.
ConflictRow ConflictFromRow(const pqxx::row& row, bool detail) {
  ConflictRow conflict;
  conflict.id = row[0].as<std::int64_t>();
  conflict.event_id = row[1].as<std::string>();
  conflict.entity = row[2].as<std::string>();
  conflict.external_id = row[3].as<std::string>();
  conflict.status = row[4].as<std::string>();
  conflict.resolution = ValueOrNull<std::string>(row[5]);
  conflict.created_at = ValueOrNull<std::string>(row[6]);
  conflict.resolved_at = ValueOrNull<std::string>(row[7]);
  conflict.conflicting_fields = ParseOrNull(row[8]);
  if (detail) {
    conflict.event = ParseOrNull(row[9]);
    conflict.canonical = ParseOrNull(row[10]);
  }
  return conflict;
}

// The columns of ingest_sql::kDeadLetterColumns.
DeadLetterRow DeadLetterFromRow(const pqxx::row& row) {
  DeadLetterRow letter;
  letter.id = row[0].as<std::int64_t>();
  letter.event_id = row[1].as<std::string>();
  letter.reason = row[2].as<std::string>();
  letter.detail = row[3].as<std::string>();
  letter.attempts = row[4].as<int>();
  letter.status = row[5].as<std::string>();
  letter.first_seen = ValueOrNull<std::string>(row[6]);
  letter.last_seen = ValueOrNull<std::string>(row[7]);
  letter.event = ParseOrNull(row[8]);
  if (letter.event.is_null() && !row[9].is_null()) letter.event = Json(row[9].as<std::string>());
  return letter;
}

// The record (entity, external_id) as the resolver reads it, alone in the map PlanBatch
// takes; with `lock`, locked FOR UPDATE. kNotFound when there is none.
StatusOr<StoredRecords> ReadRecord(PgHubTransaction& tx, const std::string& entity,
                                   const std::string& external_id, bool lock) {
  auto stored = tx.ReadRecords({RecordKey(entity, external_id)}, lock);
  if (!stored.ok()) return stored.status();
  if (stored->empty()) return Status::NotFound("no record " + entity + "/" + external_id);
  return stored;
}

// The columns of ingest_sql::kSources and kSource.
SourceRow SourceFromRow(const pqxx::row& row) {
  SourceRow source;
  source.source = row[0].as<std::string>();
  source.priority = row[1].as<int>();
  source.unacknowledged_records = row[2].as<std::int64_t>();
  source.oldest_unacknowledged_seconds = row[3].as<double>();
  if (!row[4].is_null()) source.last_acknowledged_at = row[4].as<std::string>();
  source.loading = row[5].as<bool>();
  source.reload_requested = row[6].as<bool>();
  source.parked_rows = row[7].as<std::int64_t>();
  return source;
}

}  // namespace

Status PgIngestStore::Ping() {
  try {
    pqxx::nontransaction tx(connection_);
    tx.exec(ingest_sql::kPing);
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "pinging the database");
  }
}

StatusOr<StoredRecord> PgIngestStore::GetRecord(const std::string& entity,
                                                const std::string& external_id) {
  try {
    PgHubTransaction tx(connection_);  // begins: throws when the connection is gone
    auto stored = ReadRecord(tx, entity, external_id, /*lock=*/false);
    if (!stored.ok()) return stored.status();
    return std::move(stored->begin()->second);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a record");
  }
}

StatusOr<RecordPage> PgIngestStore::ListRecords(const std::string& entity, const std::string& after,
                                                int limit) {
  try {
    pqxx::read_transaction tx(connection_);
    RecordPage page;
    // One more than asked tells whether another page follows.
    for (const auto& row : tx.exec_params(ingest_sql::kRecordPage, entity, after, limit + 1)) {
      page.records.push_back(StoredRecordFromRow(row));
    }
    if (page.records.size() > static_cast<std::size_t>(limit)) {
      page.records.pop_back();
      page.next = page.records.back().record.external_id;
    }
    return page;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing records");
  }
}

StatusOr<std::vector<RangeChecksum>> PgIngestStore::ChecksumRanges(
    const std::string& entity, const std::vector<std::string>& fields,
    const std::vector<KeyRange>& ranges) {
  std::vector<ChecksumField> hashed;
  for (const std::string& name : fields) hashed.push_back({name, "(c.fields->'" + name + "')"});
  const std::string statement = ingest_sql::RangeChecksums(
      RangeChecksumSelectSql(RowHashSql("c.external_id", "c.version", std::move(hashed))));
  try {
    pqxx::read_transaction tx(connection_);
    tx.exec(ingest_sql::kNoJit);
    auto rows = tx.exec_params(statement, entity, RangesJson(ranges));
    if (rows.size() != ranges.size()) {
      return Status::Internal("range checksums: " + std::to_string(rows.size()) + " rows for " +
                              std::to_string(ranges.size()) + " ranges");
    }
    std::vector<RangeChecksum> checksums;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const auto row = rows[static_cast<pqxx::result::size_type>(i)];
      checksums.push_back({ranges[i], row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
    }
    return checksums;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "computing range checksums");
  }
}

StatusOr<RecordHistory> PgIngestStore::GetHistory(const std::string& entity,
                                                  const std::string& external_id) {
  try {
    pqxx::read_transaction tx(connection_);
    RecordHistory history{entity, external_id, {}, std::nullopt};
    for (const auto& row : tx.exec_params(ingest_sql::kHistory, entity, external_id)) {
      history.entries.push_back(HistoryEntry{
          row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
          row[3].as<std::int64_t>(), row[4].as<std::string>(), row[5].as<bool>(),
          ValueOrNull<std::int64_t>(row[6]), ValueOrNull<std::int64_t>(row[7]),
          ValueOrNull<std::string>(row[8]), ParseOrNull(row[9]), ParseOrNull(row[10]),
          ValueOrNull<std::int64_t>(row[11]), ValueOrNull<std::string>(row[12])});
    }
    for (const auto& row : tx.exec_params(ingest_sql::kHistoryCheckpoint, entity, external_id)) {
      history.truncated = HistoryTruncation{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                                            ParseOrNull(row[2])};
    }
    if (history.entries.empty() && !history.truncated) {
      return Status::NotFound("no history for " + entity + "/" + external_id);
    }
    return history;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a record's history");
  }
}

StatusOr<std::vector<ConflictRow>> PgIngestStore::ListConflicts(const std::string& status) {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<ConflictRow> conflicts;
    for (const auto& row : tx.exec_params(ingest_sql::kConflicts, status)) {
      conflicts.push_back(ConflictFromRow(row, false));
    }
    return conflicts;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing conflicts");
  }
}

StatusOr<ConflictRow> PgIngestStore::GetConflict(std::int64_t id) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kConflict, id);
    if (rows.empty()) return Status::NotFound("no conflict " + std::to_string(id));
    return ConflictFromRow(rows[0], true);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a conflict");
  }
}

StatusOr<std::vector<DeadLetterRow>> PgIngestStore::ListDeadLetters(const std::string& status) {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<DeadLetterRow> letters;
    for (const auto& row : tx.exec_params(ingest_sql::kDeadLetters, status)) {
      letters.push_back(DeadLetterFromRow(row));
    }
    return letters;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing dead letters");
  }
}

StatusOr<Json> PgIngestStore::TakeDeadLetterForReplay(std::int64_t id, std::int64_t handled_by) {
  try {
    pqxx::work tx(connection_);
    auto letter = tx.exec_params(ingest_sql::kDeadLetter, id);
    if (letter.empty()) return Status::NotFound("no dead letter " + std::to_string(id));
    if (letter[0][2].as<std::string>() ==
        DeadLetterReasonName(DeadLetterReason::kConnectorApplyFailed)) {
      // Its event is the canonical record a source could not hold, not a change: resolving it
      // again could only rewrite the hub's provenance (docs/connectors.md "Exact values").
      return Status::FailedPrecondition(
          "dead letter " + std::to_string(id) +
          " is a change a connector could not apply: that connector retries it by itself every "
          "10 s once its column can hold the value; fix the column, then discard this dead letter");
    }
    auto rows = tx.exec_params(ingest_sql::kSetDeadLetterStatus, id, "replayed", handled_by);
    if (rows.empty())
      return Status::AlreadyExists("dead letter " + std::to_string(id) + " is not dead");
    Json event = rows[0][0].is_null() ? ParseStoredJson(rows[0][1].as<std::string>())
                                      : ParseStoredJson(rows[0][0].as<std::string>());
    event["eventId"] = rows[0][2].as<std::string>();
    tx.commit();
    return event;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "taking a dead letter for replay");
  }
}

Status PgIngestStore::RestoreDeadLetter(std::int64_t id) {
  try {
    pqxx::work tx(connection_);
    tx.exec_params(ingest_sql::kRestoreDeadLetter, id);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "restoring a dead letter");
  }
}

Status PgIngestStore::DiscardDeadLetter(std::int64_t id, std::int64_t handled_by) {
  try {
    pqxx::work tx(connection_);
    if (tx.exec_params(ingest_sql::kDeadLetter, id).empty()) {
      return Status::NotFound("no dead letter " + std::to_string(id));
    }
    auto rows = tx.exec_params(ingest_sql::kSetDeadLetterStatus, id, "discarded", handled_by);
    if (rows.empty())
      return Status::AlreadyExists("dead letter " + std::to_string(id) + " is not dead");
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "discarding a dead letter");
  }
}

StatusOr<std::vector<SourceRow>> PgIngestStore::ListSources() {
  try {
    pqxx::read_transaction tx(connection_);
    std::vector<SourceRow> sources;
    for (const auto& row : tx.exec(ingest_sql::kSources)) sources.push_back(SourceFromRow(row));
    return sources;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing sources");
  }
}

StatusOr<SourceRow> PgIngestStore::GetSource(const std::string& source) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kSource, source);
    if (rows.empty()) return Status::NotFound("no source " + source);
    return SourceFromRow(rows[0]);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a source");
  }
}

Status PgIngestStore::RequestReload(const std::string& source) {
  try {
    pqxx::work tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kRequestReload, source);
    tx.commit();
    if (rows.empty()) return Status::NotFound("source " + source + " is not registered");
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "requesting a reload");
  }
}

StatusOr<SourcePriority> PgIngestStore::SetPriority(const std::string& source, int priority) {
  try {
    pqxx::work tx(connection_);
    auto row = tx.exec_params1(ingest_sql::kUpsertSource, source, priority);
    tx.commit();
    return SourcePriority{row[0].as<std::string>(), row[1].as<int>()};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "setting a priority");
  }
}

StatusOr<HubStats> PgIngestStore::Stats() {
  try {
    pqxx::read_transaction tx(connection_);
    auto row = tx.exec1(ingest_sql::kStats);
    HubStats stats{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::int64_t>(), row[4].as<std::int64_t>(), {}};
    for (const auto& outcome : tx.exec(ingest_sql::kOutcomeCounts)) {
      stats.outcomes.emplace_back(outcome[0].as<std::string>(), outcome[1].as<std::int64_t>());
    }
    return stats;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading statistics");
  }
}

}  // namespace synchub
