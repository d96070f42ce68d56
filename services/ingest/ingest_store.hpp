// PgIngestStore: what the HTTP API reads and the operator actions it performs, against the
// hub's PostgreSQL schema. Every method runs in its own transaction on the connection given.
//
// Errors: kNotFound (404), kFailedPrecondition (a stale etag: 412), kAlreadyExists (the
// conflict or dead letter is no longer open: 409), kInvalidArgument (400), kUnavailable
// (the database is unreachable: 503), kInternal.
//
// Operator writes (PATCH, conflict resolution) are events of the source "operator" at the
// record's version + 1, resolved with the same ladder and written with the same
// PgHubTransaction as the resolver's: conditional on the etag, logged, fanned out to every
// registered source.
//
// Thread safety: none; one store per connection per thread.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "common/core/catalog.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"

namespace synchub {

class PgIngestStore {
 public:
  explicit PgIngestStore(pqxx::connection& connection) : connection_(connection) {}

  Status Ping();

  // The record in API form plus "etag".
  StatusOr<Json> GetRecord(const std::string& entity, const std::string& external_id);
  // {"entity","externalId","history":[...]}; kNotFound when the record has no history.
  StatusOr<Json> GetHistory(const std::string& entity, const std::string& external_id);
  // Applies `fields` as an operator edit when the record's etag is `expected_etag`.
  // Returns the new record (API form plus "etag").
  StatusOr<Json> PatchRecord(const std::string& entity, const std::string& external_id,
                             std::int64_t expected_etag, const FieldMap& fields,
                             const Catalog& catalog);

  // status: open | resolved | all.
  StatusOr<Json> ListConflicts(const std::string& status);
  StatusOr<Json> GetConflict(std::int64_t id);
  // take: "incoming" applies the conflicting event's fields, "canonical" keeps the record;
  // either way as an operator event at version + 1, so every source converges.
  // Returns {"conflict","record","etag"}.
  StatusOr<Json> ResolveConflict(std::int64_t id, const std::string& take, const Catalog& catalog);

  // status: dead | replayed | discarded | all.
  StatusOr<Json> ListDeadLetters(const std::string& status);
  // Moves a dead letter from 'dead' to 'replayed' and returns its event (canonical JSON) for
  // resubmission. kAlreadyExists when it is not dead.
  StatusOr<Json> TakeDeadLetterForReplay(std::int64_t id);
  // Puts a replayed dead letter back to 'dead' (its resubmission could not be made durable).
  Status RestoreDeadLetter(std::int64_t id);
  StatusOr<Json> DiscardDeadLetter(std::int64_t id);

  StatusOr<Json> ListSources();
  StatusOr<Json> GetSource(const std::string& source);
  StatusOr<Json> SetPriority(const std::string& source, int priority);

  StatusOr<Json> Stats();

 private:
  StatusOr<Json> ApplyOperatorEvent(const std::string& entity, const std::string& external_id,
                                    std::int64_t expected_etag, const FieldMap& fields,
                                    bool delete_record, const Catalog& catalog,
                                    std::int64_t conflict_id, const std::string& take);

  pqxx::connection& connection_;
};

}  // namespace synchub
