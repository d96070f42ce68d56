// PgOperatorWrites: people's writes to canonical records, made by the resolver (one writer,
// docs/design.md "One writer"): an operator's edit (PATCH /api/records with If-Match or
// If-None-Match, RFC 9110) and a conflict's resolution. The gateway asks for them over
// ZeroMQ (v1::OperatorWrite); it writes no canonical record itself.
//
// Each write is an event of the reserved source "operator" (SPEC section 1: above every
// source) at the record's version + 1 (a new record: version 1), resolved with the same ladder
// and written with the same PgHubTransaction as every other event: conditional on the etag,
// logged (so the resolution log alone replays to the canonical state), fanned out to every
// registered source. Why version + 1: the edit is newer than every source's copy, so it
// applies over any of them whatever their priority, and each source then holds it at a
// version it has not used; a source's next own edit (its version + 1 at least) is newer still.
//
// Errors: kNotFound (no such record or conflict), kFailedPrecondition (conflict_stale),
// kAlreadyExists (the conflict is not open), kInvalidArgument (key named: unknown_entity,
// too_long, too_many_fields, invalid_reference, unmet_dependency), kAborted (a concurrent
// write got in the way twice), kUnavailable (the database), kInternal.
//
// Thread safety: none; one object per connection per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "common/core/catalog.hpp"
#include "common/core/entity_tags.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "resolver/core/batch_plan.hpp"

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

class PgOperatorWrites {
 public:
  // REQUIRES: `connection` outlives this object. `credential_id`: the operator's credential,
  // recorded with every event and resolution written (0: unauthenticated).
  explicit PgOperatorWrites(pqxx::connection& connection, std::int64_t credential_id = 0);

  // Applies `fields` as an operator edit when `preconditions` hold: EvaluatePreconditions
  // against the record's RecordEntityTag (nullopt when there is no record), on the row locked
  // FOR UPDATE in the write's own transaction, so no other write comes between the check and
  // the write. An existing record is written at its version + 1; an absent one, when
  // `if_absent` is kCreate, is created at version 1 (NEW_RECORD, etag 1). A record that is
  // deleted (tombstone) exists.
  // Returns the outcome: written, created, or the failed condition with the record as it is.
  // REQUIRES: every name in `fields` is valid (IsValidFieldName).
  StatusOr<ConditionalWrite> PatchRecord(const std::string& entity, const std::string& external_id,
                                         const Preconditions& preconditions, IfAbsent if_absent,
                                         const FieldMap& fields, const Catalog& catalog);

  // Resolves open conflict `id` (SPEC section 8). take: "incoming" applies the conflicting
  // event's fields, "canonical" keeps the record, "merged" writes `merged` (the values a
  // person chose, any fields; the record keeps its deleted state); each as an operator event
  // at version + 1 that marks the conflict resolved in the same transaction, so every source
  // converges. Returns the record written; kAlreadyExists when the conflict is not open,
  // kFailedPrecondition (conflict_stale, key: the field) when "incoming" or "merged" would
  // overwrite a field changed since the conflict was logged, or the record moved while
  // resolving; kInvalidArgument (invalid_take) for another take.
  // REQUIRES: every name in `merged` is valid (IsValidFieldName); empty unless "merged".
  StatusOr<ConditionalWrite> ResolveConflict(std::int64_t id, const std::string& take,
                                             const FieldMap& merged, const Catalog& catalog);

 private:
  struct Conflict {
    std::string status, entity, external_id;
    Json event, canonical;
  };
  StatusOr<Conflict> ReadConflict(std::int64_t id);
  StatusOr<StoredRecord> ReadRecordNow(const std::string& entity, const std::string& external_id);
  StatusOr<ConditionalWrite> ApplyOperatorEvent(const std::string& entity,
                                                const std::string& external_id,
                                                const Preconditions& preconditions,
                                                IfAbsent if_absent, const FieldMap& fields,
                                                bool delete_record, const Catalog& catalog,
                                                std::int64_t conflict_id, const std::string& take);

  pqxx::connection& connection_;
  const std::int64_t credential_id_;
};

}  // namespace synchub
