#include "ingest/ingest_store.hpp"

#include <optional>
#include <utility>

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

template <typename T>
std::optional<T> ValueOrNull(const pqxx::field& field) {
  return field.is_null() ? std::nullopt : std::optional<T>(field.as<T>());
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

// What ValidateEvent checks that an operator event could break (ValidateEvent itself refuses
// the source "operator"): the entity, the externalId's length and the number of fields. Field
// names are checked by the caller (PatchRecord's REQUIRES) or come from a validated event.
Status ValidateOperatorEvent(const Event& event, const Catalog& catalog) {
  const EventLimits limits;
  if (!catalog.HasEntity(event.entity)) {
    return Status::InvalidArgument("entity", "unknown_entity",
                                   "\"" + event.entity + "\" is not a known entity");
  }
  if (event.external_id.size() > limits.max_external_id_bytes) {
    return Status::InvalidArgument("externalId", "too_long",
                                   "is " + std::to_string(event.external_id.size()) +
                                       " bytes; the limit is " +
                                       std::to_string(limits.max_external_id_bytes));
  }
  if (event.fields.size() > limits.max_fields) {
    return Status::InvalidArgument("fields", "too_many_fields",
                                   "has " + std::to_string(event.fields.size()) +
                                       " fields; the limit is " +
                                       std::to_string(limits.max_fields));
  }
  return Status::Ok();
}

// An operator event the ladder deferred (rung 0) as a client error naming the reference: a
// person's edit is not queued until the referenced record appears.
Status UnmetReference(const Decision& decision) {
  if (decision.unmet_dependencies.empty()) return Status::Internal("deferred without a reason");
  const UnmetDependency& unmet = decision.unmet_dependencies.front();
  if (unmet.target_external_id.empty()) {
    return Status::InvalidArgument(unmet.field, "invalid_reference",
                                   "refers to a " + unmet.target_entity +
                                       " and must be its externalId (a non-empty string or an "
                                       "integer)");
  }
  return Status::InvalidArgument(unmet.field, "unmet_dependency",
                                 "refers to " + unmet.target_entity + "/" +
                                     unmet.target_external_id +
                                     ", which does not exist or is deleted");
}

// The columns of ingest_sql::kSources and kSource.
SourceRow SourceFromRow(const pqxx::row& row) {
  return SourceRow{row[0].as<std::string>(), row[1].as<int>(), row[2].as<std::int64_t>(),
                   row[3].as<double>()};
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

StatusOr<RecordHistory> PgIngestStore::GetHistory(const std::string& entity,
                                                  const std::string& external_id) {
  try {
    pqxx::read_transaction tx(connection_);
    RecordHistory history{entity, external_id, {}};
    for (const auto& row : tx.exec_params(ingest_sql::kHistory, entity, external_id)) {
      history.entries.push_back(HistoryEntry{
          row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
          row[3].as<std::int64_t>(), row[4].as<std::string>(), row[5].as<bool>(),
          ValueOrNull<std::int64_t>(row[6]), ValueOrNull<std::int64_t>(row[7]),
          ValueOrNull<std::string>(row[8]), ParseOrNull(row[9]), ParseOrNull(row[10])});
    }
    if (history.entries.empty()) {
      return Status::NotFound("no history for " + entity + "/" + external_id);
    }
    return history;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a record's history");
  }
}

StatusOr<ConditionalWrite> PgIngestStore::ApplyOperatorEvent(
    const std::string& entity, const std::string& external_id, const Preconditions& preconditions,
    IfAbsent if_absent, const FieldMap& fields, bool delete_record, const Catalog& catalog,
    std::int64_t conflict_id, const std::string& take) {
  try {
    PgHubTransaction tx(connection_);
    Event event;
    event.event_id = NewEventId("op");
    event.entity = entity;
    event.external_id = external_id;
    event.source = std::string(kOperatorSource);
    event.op = delete_record ? Op::kDelete : Op::kUpsert;
    event.fields = fields;
    // The record and the records its references name, locked: the preconditions are evaluated
    // on the rows this transaction writes, and nothing moves them until it ends.
    auto stored = tx.ReadRecords(KeysToRead({event}, catalog), /*lock=*/true);
    if (!stored.ok()) return stored.status();
    const auto found = stored->find(RecordKey(entity, external_id));
    const bool exists = found != stored->end();
    ConditionalWrite outcome;
    outcome.precondition = EvaluatePreconditions(
        preconditions,
        exists ? std::optional<EntityTag>(RecordEntityTag(found->second.etag)) : std::nullopt);
    if (outcome.precondition != PreconditionOutcome::kProceed) {
      if (exists) outcome.record = found->second;
      return outcome;
    }
    if (!exists && if_absent == IfAbsent::kNotFound) {
      return Status::NotFound("no record " + entity + "/" + external_id);
    }
    event.version = exists ? found->second.record.version + 1 : 1;
    if (Status valid = ValidateOperatorEvent(event, catalog); !valid.ok()) return valid;
    BatchPlan plan = PlanBatch({event}, *stored, catalog);
    const PlannedEvent& planned = plan.events.front();
    if (planned.decision.outcome == Outcome::kDeferred) return UnmetReference(planned.decision);
    if (Status locked = tx.LockAndVerify(plan); !locked.ok()) return locked;
    auto written = tx.WritePlan(plan, {}, {});
    if (!written.ok()) return written.status();
    if (conflict_id > 0) {
      if (Status marked = tx.MarkConflictResolved(conflict_id, take); !marked.ok()) return marked;
    }
    if (Status committed = tx.Commit(); !committed.ok()) return committed;
    if (!planned.record_after) return Status::Internal("an operator edit produced no record");
    outcome.created = !exists;
    outcome.record = StoredRecord{*planned.record_after, planned.etag_after.value_or(0)};
    return outcome;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "writing an operator edit");
  }
}

StatusOr<ConditionalWrite> PgIngestStore::PatchRecord(const std::string& entity,
                                                      const std::string& external_id,
                                                      const Preconditions& preconditions,
                                                      IfAbsent if_absent, const FieldMap& fields,
                                                      const Catalog& catalog) {
  auto written = ApplyOperatorEvent(entity, external_id, preconditions, if_absent, fields, false,
                                    catalog, 0, "");
  // kAborted: another transaction inserted the record between this one's read and its insert
  // (two creations racing). Once more: the next run sees that record and evaluates the
  // preconditions against it.
  if (!written.ok() && written.status().code() == StatusCode::kAborted) {
    written = ApplyOperatorEvent(entity, external_id, preconditions, if_absent, fields, false,
                                 catalog, 0, "");
  }
  return written;
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

StatusOr<ConflictResolution> PgIngestStore::ResolveConflict(std::int64_t id,
                                                            const std::string& take,
                                                            const Catalog& catalog) {
  auto conflict = GetConflict(id);
  if (!conflict.ok()) return conflict.status();
  if (conflict->status != "open") {
    return Status::AlreadyExists("conflict " + std::to_string(id) + " is already resolved");
  }
  const Json& event = conflict->event;
  const std::string& entity = conflict->entity;
  const std::string& external_id = conflict->external_id;
  FieldMap fields;
  bool delete_record = false;
  Preconditions preconditions;  // "canonical" writes no value: no etag condition needed
  if (take == "incoming") {
    // Taking the event's side must not overwrite what changed after the conflict was logged
    // (a later version from a source, an operator's edit): then the operator decides again.
    auto now = GetRecord(entity, external_id);
    if (!now.ok()) return now.status();
    if (auto changed =
            FieldChangedSinceConflict(event, conflict->canonical, RecordToJson(now->record))) {
      return Status::FailedPrecondition(
          *changed, "conflict_stale",
          "conflict " + std::to_string(id) + " is stale: " + *changed + " of " + entity + "/" +
              external_id +
              " changed after the conflict was logged; taking the incoming side "
              "would overwrite it. Resolve with take=canonical, or edit the record (PATCH)");
    }
    preconditions.if_match = EntityTagList{false, {RecordEntityTag(now->etag)}};
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
    delete_record = now->record.deleted();
  }
  // Both sides go out as an operator event at version + 1: "canonical" changes no value but
  // the version, which fans the record out to every source, the conflicting one included.
  auto written = ApplyOperatorEvent(entity, external_id, preconditions, IfAbsent::kNotFound, fields,
                                    delete_record, catalog, id, take);
  if (!written.ok()) return written.status();
  if (written->precondition != PreconditionOutcome::kProceed) {
    return Status::FailedPrecondition("the record " + entity + "/" + external_id +
                                      " changed while conflict " + std::to_string(id) +
                                      " was being resolved; resolve it again");
  }
  auto resolved = GetConflict(id);
  if (!resolved.ok()) return resolved.status();
  return ConflictResolution{std::move(resolved).value(), *std::move(written).value().record};
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

Status PgIngestStore::DiscardDeadLetter(std::int64_t id) {
  try {
    pqxx::work tx(connection_);
    if (tx.exec_params(ingest_sql::kDeadLetter, id).empty()) {
      return Status::NotFound("no dead letter " + std::to_string(id));
    }
    auto rows = tx.exec_params(ingest_sql::kSetDeadLetterStatus, id, "discarded");
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
