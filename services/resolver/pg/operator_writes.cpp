#include "resolver/pg/operator_writes.hpp"

#include <optional>
#include <utility>

#include "common/core/event_parse.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/runtime/event_ids.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/core/conflict_staleness.hpp"
#include "resolver/pg/hub_transaction.hpp"

namespace synchub {
namespace {

constexpr const char* kReadConflict = R"sql(
SELECT status, entity, external_id, event::text, canonical::text FROM conflict_log
 WHERE id = $1)sql";

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

}  // namespace

PgOperatorWrites::PgOperatorWrites(pqxx::connection& connection, std::int64_t credential_id)
    : connection_(connection), credential_id_(credential_id) {}

StatusOr<StoredRecord> PgOperatorWrites::ReadRecordNow(const std::string& entity,
                                                       const std::string& external_id) {
  PgHubTransaction tx(connection_);
  auto stored = tx.ReadRecords({RecordKey(entity, external_id)}, /*lock=*/false);
  if (!stored.ok()) return stored.status();
  if (stored->empty()) return Status::NotFound("no record " + entity + "/" + external_id);
  return std::move(stored->begin()->second);
}

StatusOr<PgOperatorWrites::Conflict> PgOperatorWrites::ReadConflict(std::int64_t id) {
  try {
    pqxx::read_transaction tx(connection_);
    auto rows = tx.exec_params(kReadConflict, id);
    if (rows.empty()) return Status::NotFound("no conflict " + std::to_string(id));
    Conflict conflict;
    conflict.status = rows[0][0].as<std::string>();
    conflict.entity = rows[0][1].as<std::string>();
    conflict.external_id = rows[0][2].as<std::string>();
    conflict.event = ParseStoredJson(rows[0][3].as<std::string>());
    conflict.canonical = ParseStoredJson(rows[0][4].as<std::string>());
    return conflict;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a conflict");
  }
}

StatusOr<ConditionalWrite> PgOperatorWrites::ApplyOperatorEvent(
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
    event.credential_id = credential_id_;
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
      if (Status marked = tx.MarkConflictResolved(conflict_id, take, credential_id_); !marked.ok())
        return marked;
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

StatusOr<ConditionalWrite> PgOperatorWrites::PatchRecord(const std::string& entity,
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

StatusOr<ConditionalWrite> PgOperatorWrites::ResolveConflict(std::int64_t id,
                                                             const std::string& take,
                                                             const FieldMap& merged,
                                                             const Catalog& catalog) {
  auto conflict = ReadConflict(id);
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
  if (take != "incoming" && take != "canonical" && take != "merged") {
    return Status::InvalidArgument("take", "invalid_take",
                                   "take is \"incoming\", \"canonical\" or \"merged\"");
  }
  // Every take starts from the record as it is now; "incoming" and "merged" write values
  // and so must not overwrite one that changed after the conflict was logged (a later version
  // from a source, an operator's edit): then the operator decides again. The write is
  // conditional on the etag read here.
  auto now = ReadRecordNow(entity, external_id);
  if (!now.ok()) return now.status();
  const Json record_now = RecordToJson(now->record);
  auto stale = [&](const std::string& field, const std::string& advice) {
    return Status::FailedPrecondition(field, "conflict_stale",
                                      "conflict " + std::to_string(id) + " is stale: " + field +
                                          " of " + entity + "/" + external_id +
                                          " changed after the conflict was logged; " + advice);
  };
  if (take == "merged") {
    // The values a person chose, field by field; the record keeps its deleted state, as with
    // "canonical".
    Json chosen = {{"fields", Json::object()}};
    for (const auto& [name, value] : merged) chosen["fields"][name] = value;
    // A record deleted or restored since is stale too (key "_deleted"): values written into
    // a tombstone would be invisible, and a restore was not what the person chose.
    if (auto changed = FieldChangedSinceConflict(chosen, conflict->canonical, record_now)) {
      return stale(*changed,
                   "the merged value would overwrite it. Look at the record again and resolve "
                   "with the values you want");
    }
    preconditions.if_match = EntityTagList{false, {RecordEntityTag(now->etag)}};
    fields = merged;
    delete_record = now->record.deleted();
  }
  if (take == "incoming") {
    if (auto changed = FieldChangedSinceConflict(event, conflict->canonical, record_now)) {
      return stale(*changed,
                   "taking the incoming side would overwrite it. Resolve with take=canonical "
                   "or merged, or edit the record (PATCH)");
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
  return written;
}

}  // namespace synchub
