// PgIngestStore: what the HTTP API reads (as the values of store_rows.hpp; their JSON is in
// api_json.hpp) and the operator actions it performs, against the hub's PostgreSQL schema. Every
// method runs in its own transaction on the connection given.
//
// Errors: kNotFound (404), kFailedPrecondition (a stale etag: 412), kAlreadyExists (the
// conflict or dead letter is no longer open: 409), kAborted (a concurrent write: 409),
// kInvalidArgument (400), kUnavailable (the database is unreachable: 503), kInternal.
//
// Operator writes (PATCH, conflict resolution) are events of the source "operator" at the
// record's version + 1 (or 1 for a record PATCH creates), resolved with the same ladder and
// written with the same PgHubTransaction as the resolver's: their preconditions evaluated on
// the row locked in the write's transaction, logged, fanned out to every registered source.
//
// Thread safety: none; one store per connection per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "ingest/core/entity_tags.hpp"
#include "ingest/core/store_rows.hpp"

namespace synchub {

// What a conditional write does when the record does not exist and its preconditions hold.
enum class IfAbsent {
  kNotFound,  // nothing: kNotFound
  kCreate,    // create the record at version 1
};

// The outcome of a conditional write. A failed precondition is an outcome, not an error.
struct ConditionalWrite {
  // kProceed: the write was made. Otherwise the condition that failed; nothing was written.
  PreconditionOutcome precondition = PreconditionOutcome::kProceed;
  bool created = false;  // the write created the record (IfAbsent::kCreate)
  // kProceed: the record as written, with its new etag. Otherwise the record as it is, with
  // the etag that failed the condition; nullopt when there is none.
  std::optional<StoredRecord> record;
};

class PgIngestStore {
 public:
  explicit PgIngestStore(pqxx::connection& connection) : connection_(connection) {}

  Status Ping();

  // The record and its etag; kNotFound when there is none. Fields written before per-field
  // versions count as written at the record's version.
  StatusOr<StoredRecord> GetRecord(const std::string& entity, const std::string& external_id);
  // The record's resolution log, oldest first; kNotFound when the record has no history.
  StatusOr<RecordHistory> GetHistory(const std::string& entity, const std::string& external_id);
  // Applies `fields` as an operator edit when `preconditions` hold: EvaluatePreconditions
  // against the record's RecordEntityTag (nullopt when there is no record), on the row locked
  // FOR UPDATE in the write's own transaction, so no other write comes between the check and
  // the write. An existing record is written at its version + 1; an absent one, when
  // `if_absent` is kCreate, is created at version 1 (NEW_RECORD, etag 1). A record that is
  // deleted (tombstone) exists.
  // Returns the outcome: written, created, or the failed condition with the record as it is.
  // Errors: kNotFound when there is no record, the preconditions hold and `if_absent` is
  // kNotFound; kInvalidArgument when the event could not be resolved: key "entity"
  // (unknown_entity), "externalId" (too_long), "fields" (too_many_fields), or a reference
  // field (invalid_reference, unmet_dependency: it names no live record); kAborted when a
  // concurrent write got in the way twice; kUnavailable, kInternal.
  // REQUIRES: every name in `fields` is valid (IsValidFieldName).
  StatusOr<ConditionalWrite> PatchRecord(const std::string& entity, const std::string& external_id,
                                         const Preconditions& preconditions, IfAbsent if_absent,
                                         const FieldMap& fields, const Catalog& catalog);

  // status: open | resolved | all. At most 1000, by id; without event and canonical.
  StatusOr<std::vector<ConflictRow>> ListConflicts(const std::string& status);
  // One conflict with its event and canonical record; kNotFound when there is none.
  StatusOr<ConflictRow> GetConflict(std::int64_t id);
  // take: "incoming" applies the conflicting event's fields, "canonical" keeps the record;
  // either way as an operator event at version + 1, so every source converges.
  // Returns the conflict as resolved and the record written; kAlreadyExists when it is not
  // open, kFailedPrecondition (conflict_stale) when taking "incoming" would overwrite a
  // field changed since the conflict was logged.
  StatusOr<ConflictResolution> ResolveConflict(std::int64_t id, const std::string& take,
                                               const Catalog& catalog);

  // status: dead | replayed | discarded | all. At most 1000, by id.
  StatusOr<std::vector<DeadLetterRow>> ListDeadLetters(const std::string& status);
  // Moves a dead letter from 'dead' to 'replayed' and returns its event (canonical JSON, with
  // its eventId) for resubmission. kNotFound when there is none, kAlreadyExists when it is
  // not dead.
  StatusOr<Json> TakeDeadLetterForReplay(std::int64_t id);
  // Puts a replayed dead letter back to 'dead' (its resubmission could not be made durable).
  Status RestoreDeadLetter(std::int64_t id);
  // Moves a dead letter from 'dead' to 'discarded'. kNotFound when there is none,
  // kAlreadyExists when it is not dead.
  Status DiscardDeadLetter(std::int64_t id);

  // Every registered source with its lag, by priority then name.
  StatusOr<std::vector<SourceRow>> ListSources();
  // kNotFound when `source` is not registered.
  StatusOr<SourceRow> GetSource(const std::string& source);
  // Registers `source` or changes its priority; returns what is stored.
  StatusOr<SourcePriority> SetPriority(const std::string& source, int priority);

  StatusOr<HubStats> Stats();

 private:
  // One operator event in one transaction, as PatchRecord says; with `conflict_id` > 0 also
  // marks that conflict resolved with `take`.
  StatusOr<ConditionalWrite> ApplyOperatorEvent(const std::string& entity,
                                                const std::string& external_id,
                                                const Preconditions& preconditions,
                                                IfAbsent if_absent, const FieldMap& fields,
                                                bool delete_record, const Catalog& catalog,
                                                std::int64_t conflict_id, const std::string& take);

  pqxx::connection& connection_;
};

}  // namespace synchub
