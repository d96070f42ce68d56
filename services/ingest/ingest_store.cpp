#include "ingest/ingest_store.hpp"

#include "common/core/event_parse.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/runtime/event_ids.hpp"
#include "ingest/conflict_staleness.hpp"
#include "ingest/sql.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/pg/hub_transaction.hpp"

namespace synchub {
namespace {

// Operator edits are events of source kOperatorSource (event.hpp): above every source
// (SPEC section 1), and at a version above the record's, so they always apply.

Json ParseOrNull(const pqxx::field& field) {
  return field.is_null() ? Json() : ParseStoredJson(field.as<std::string>());
}

Json TextOrNull(const pqxx::field& field) {
  return field.is_null() ? Json() : Json(field.as<std::string>());
}

Json ConflictFromRow(const pqxx::row& row, bool detail) {
  Json conflict = {
      {"id", row[0].as<std::int64_t>()},         {"eventId", row[1].as<std::string>()},
      {"entity", row[2].as<std::string>()},      {"externalId", row[3].as<std::string>()},
      {"status", row[4].as<std::string>()},      {"resolution", TextOrNull(row[5])},
      {"createdAt", TextOrNull(row[6])},         {"resolvedAt", TextOrNull(row[7])},
      {"conflictingFields", ParseOrNull(row[8])}};
  if (detail) {
    conflict["event"] = ParseOrNull(row[9]);
    conflict["canonical"] = ParseOrNull(row[10]);
  }
  return conflict;
}

Json DeadLetterFromRow(const pqxx::row& row) {
  Json event = ParseOrNull(row[8]);
  if (event.is_null() && !row[9].is_null()) event = Json(row[9].as<std::string>());
  return {{"id", row[0].as<std::int64_t>()},    {"eventId", row[1].as<std::string>()},
          {"reason", row[2].as<std::string>()}, {"detail", row[3].as<std::string>()},
          {"attempts", row[4].as<int>()},       {"status", row[5].as<std::string>()},
          {"firstSeen", TextOrNull(row[6])},    {"lastSeen", TextOrNull(row[7])},
          {"event", std::move(event)}};
}

Json RecordWithEtag(const CanonicalRecord& record, std::int64_t etag) {
  Json json = RecordToJson(record);
  json["etag"] = etag;
  return json;
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

StatusOr<Json> PgIngestStore::GetRecord(const std::string& entity, const std::string& external_id) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kRecord, entity, external_id);
    if (rows.empty()) return Status::NotFound("no record " + entity + "/" + external_id);
    const auto& row = rows[0];
    Json record = {{"entity", entity},
                   {"externalId", external_id},
                   {"version", row[2].as<std::int64_t>()},
                   {"lastSource", row[3].as<std::string>()},
                   {"provenance", ParseStoredJson(row[1].as<std::string>())},
                   {"etag", row[4].as<std::int64_t>()}};
    Json fields = ParseStoredJson(row[0].as<std::string>());
    // Every field's version; one written before per-field versions has the record's.
    Json versions = ParseStoredJson(row[5].as<std::string>());
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!versions.contains(it.key())) versions[it.key()] = row[2].as<std::int64_t>();
    }
    record["fieldVersions"] = std::move(versions);
    record["deleted"] = fields.value(std::string(kDeletedField), false);
    fields.erase(std::string(kDeletedField));
    record["fields"] = std::move(fields);
    return record;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a record");
  }
}

StatusOr<Json> PgIngestStore::GetHistory(const std::string& entity,
                                         const std::string& external_id) {
  try {
    pqxx::read_transaction tx(connection_);
    Json history = Json::array();
    for (const auto& row : tx.exec_params(ingest_sql::kHistory, entity, external_id)) {
      history.push_back(
          {{"seq", row[0].as<std::int64_t>()},
           {"eventId", row[1].as<std::string>()},
           {"source", row[2].as<std::string>()},
           {"version", row[3].as<std::int64_t>()},
           {"outcome", row[4].as<std::string>()},
           {"changed", row[5].as<bool>()},
           {"etagBefore", row[6].is_null() ? Json() : Json(row[6].as<std::int64_t>())},
           {"etagAfter", row[7].is_null() ? Json() : Json(row[7].as<std::int64_t>())},
           {"resolvedAt", TextOrNull(row[8])},
           {"event", ParseOrNull(row[9])},
           {"recordAfter", ParseOrNull(row[10])}});
    }
    if (history.empty()) return Status::NotFound("no history for " + entity + "/" + external_id);
    return Json{{"entity", entity}, {"externalId", external_id}, {"history", std::move(history)}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a record's history");
  }
}

StatusOr<Json> PgIngestStore::ApplyOperatorEvent(const std::string& entity,
                                                 const std::string& external_id,
                                                 std::int64_t expected_etag, const FieldMap& fields,
                                                 bool delete_record, const Catalog& catalog,
                                                 std::int64_t conflict_id,
                                                 const std::string& take) {
  PgHubTransaction tx(connection_);
  RecordKey key(entity, external_id);
  auto stored = tx.ReadRecords({key}, /*lock=*/true);
  if (!stored.ok()) return stored.status();
  auto found = stored->find(key);
  if (found == stored->end()) return Status::NotFound("no record " + entity + "/" + external_id);
  if (expected_etag > 0 && found->second.etag != expected_etag) {
    return Status::FailedPrecondition("the record's etag is " + std::to_string(found->second.etag) +
                                      ", not " + std::to_string(expected_etag));
  }
  Event event;
  event.event_id = NewEventId("op");
  event.entity = entity;
  event.external_id = external_id;
  event.source = std::string(kOperatorSource);
  event.version = found->second.record.version + 1;
  event.op = delete_record ? Op::kDelete : Op::kUpsert;
  event.fields = fields;
  BatchPlan plan = PlanBatch({event}, *stored, catalog);
  if (Status locked = tx.LockAndVerify(plan); !locked.ok()) return locked;
  auto written = tx.WritePlan(plan, {}, {});
  if (!written.ok()) return written.status();
  if (conflict_id > 0) {
    if (Status marked = tx.MarkConflictResolved(conflict_id, take); !marked.ok()) return marked;
  }
  if (Status committed = tx.Commit(); !committed.ok()) return committed;
  const PlannedEvent& planned = plan.events.front();
  if (!planned.record_after) return Status::Internal("an operator edit produced no record");
  return RecordWithEtag(*planned.record_after, planned.etag_after.value_or(0));
}

StatusOr<Json> PgIngestStore::PatchRecord(const std::string& entity, const std::string& external_id,
                                          std::int64_t expected_etag, const FieldMap& fields,
                                          const Catalog& catalog) {
  return ApplyOperatorEvent(entity, external_id, expected_etag, fields, false, catalog, 0, "");
}

StatusOr<Json> PgIngestStore::ListConflicts(const std::string& status) {
  try {
    pqxx::read_transaction tx(connection_);
    Json conflicts = Json::array();
    for (const auto& row : tx.exec_params(ingest_sql::kConflicts, status)) {
      conflicts.push_back(ConflictFromRow(row, false));
    }
    return Json{{"conflicts", std::move(conflicts)}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing conflicts");
  }
}

StatusOr<Json> PgIngestStore::GetConflict(std::int64_t id) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kConflict, id);
    if (rows.empty()) return Status::NotFound("no conflict " + std::to_string(id));
    return ConflictFromRow(rows[0], true);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a conflict");
  }
}

StatusOr<Json> PgIngestStore::ResolveConflict(std::int64_t id, const std::string& take,
                                              const Catalog& catalog) {
  auto conflict = GetConflict(id);
  if (!conflict.ok()) return conflict.status();
  if ((*conflict)["status"] != "open") {
    return Status::AlreadyExists("conflict " + std::to_string(id) + " is already resolved");
  }
  const Json& event = (*conflict)["event"];
  const std::string entity = (*conflict)["entity"].get<std::string>();
  const std::string external_id = (*conflict)["externalId"].get<std::string>();
  FieldMap fields;
  bool delete_record = false;
  std::int64_t expected_etag = 0;  // "canonical" writes no value: no etag condition needed
  if (take == "incoming") {
    // Taking the event's side must not overwrite what changed after the conflict was logged
    // (a later version from a source, an operator's edit): then the operator decides again.
    auto now = GetRecord(entity, external_id);
    if (!now.ok()) return now.status();
    if (auto changed = FieldChangedSinceConflict(event, (*conflict)["canonical"], *now)) {
      return Status::FailedPrecondition(
          *changed, "conflict_stale",
          "conflict " + std::to_string(id) + " is stale: " + *changed + " of " + entity + "/" +
              external_id +
              " changed after the conflict was logged; taking the incoming side "
              "would overwrite it. Resolve with take=canonical, or edit the record (PATCH)");
    }
    expected_etag = (*now)["etag"].get<std::int64_t>();
    const Json event_fields = event.value("fields", Json::object());
    for (auto it = event_fields.begin(); it != event_fields.end(); ++it) {
      fields.insert_or_assign(it.key(), *it);
    }
    delete_record = event.value("op", "upsert") == "delete";
  }
  if (take == "canonical") {
    // Keeping the canonical side keeps its deletion too: an upsert would write _deleted false.
    auto now = GetRecord(entity, external_id);
    if (!now.ok()) return now.status();
    delete_record = (*now).value("deleted", false);
  }
  // Both sides go out as an operator event at version + 1: "canonical" changes no value but
  // the version, which fans the record out to every source, the conflicting one included.
  auto record = ApplyOperatorEvent(entity, external_id, expected_etag, fields, delete_record,
                                   catalog, id, take);
  if (!record.ok()) return record.status();
  auto resolved = GetConflict(id);
  if (!resolved.ok()) return resolved.status();
  const std::int64_t etag = (*record)["etag"].get<std::int64_t>();
  return Json{{"conflict", std::move(resolved).value()},
              {"record", std::move(record).value()},
              {"etag", etag}};
}

StatusOr<Json> PgIngestStore::ListDeadLetters(const std::string& status) {
  try {
    pqxx::read_transaction tx(connection_);
    Json letters = Json::array();
    for (const auto& row : tx.exec_params(ingest_sql::kDeadLetters, status)) {
      letters.push_back(DeadLetterFromRow(row));
    }
    return Json{{"deadLetters", std::move(letters)}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing dead letters");
  }
}

StatusOr<Json> PgIngestStore::TakeDeadLetterForReplay(std::int64_t id) {
  try {
    pqxx::work tx(connection_);
    if (tx.exec_params(ingest_sql::kDeadLetter, id).empty()) {
      return Status::NotFound("no dead letter " + std::to_string(id));
    }
    auto rows = tx.exec_params(ingest_sql::kSetDeadLetterStatus, id, "replayed");
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

StatusOr<Json> PgIngestStore::DiscardDeadLetter(std::int64_t id) {
  try {
    pqxx::work tx(connection_);
    if (tx.exec_params(ingest_sql::kDeadLetter, id).empty()) {
      return Status::NotFound("no dead letter " + std::to_string(id));
    }
    auto rows = tx.exec_params(ingest_sql::kSetDeadLetterStatus, id, "discarded");
    if (rows.empty())
      return Status::AlreadyExists("dead letter " + std::to_string(id) + " is not dead");
    tx.commit();
    return Json{{"id", id}, {"status", "discarded"}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "discarding a dead letter");
  }
}

namespace {

// A source with its priority and lag: records whose current canonical state its connector
// has not acknowledged, and the age of the oldest such change in seconds.
Json SourceFromRow(const pqxx::row& row) {
  return Json{{"source", row[0].as<std::string>()},
              {"priority", row[1].as<int>()},
              {"unacknowledgedRecords", row[2].as<std::int64_t>()},
              {"oldestUnacknowledgedSeconds", row[3].as<double>()}};
}

}  // namespace

StatusOr<Json> PgIngestStore::ListSources() {
  try {
    pqxx::read_transaction tx(connection_);
    Json sources = Json::array();
    for (const auto& row : tx.exec(ingest_sql::kSources)) {
      sources.push_back(SourceFromRow(row));
    }
    return Json{{"sources", std::move(sources)}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "listing sources");
  }
}

StatusOr<Json> PgIngestStore::GetSource(const std::string& source) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(ingest_sql::kSource, source);
    if (rows.empty()) return Status::NotFound("no source " + source);
    return SourceFromRow(rows[0]);
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a source");
  }
}

StatusOr<Json> PgIngestStore::SetPriority(const std::string& source, int priority) {
  try {
    pqxx::work tx(connection_);
    auto row = tx.exec_params1(ingest_sql::kUpsertSource, source, priority);
    tx.commit();
    return Json{{"source", row[0].as<std::string>()}, {"priority", row[1].as<int>()}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "setting a priority");
  }
}

StatusOr<Json> PgIngestStore::Stats() {
  try {
    pqxx::read_transaction tx(connection_);
    auto row = tx.exec1(ingest_sql::kStats);
    Json outcomes = Json::object();
    for (const auto& outcome : tx.exec(ingest_sql::kOutcomeCounts)) {
      outcomes[outcome[0].as<std::string>()] = outcome[1].as<std::int64_t>();
    }
    return Json{
        {"records", row[0].as<std::int64_t>()},     {"openConflicts", row[1].as<std::int64_t>()},
        {"deadLetters", row[2].as<std::int64_t>()}, {"deferred", row[3].as<std::int64_t>()},
        {"resolutions", row[4].as<std::int64_t>()}, {"outcomes", std::move(outcomes)}};
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading statistics");
  }
}

}  // namespace synchub
