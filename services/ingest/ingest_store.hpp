// PgIngestStore: what the HTTP API reads (as the values of store_rows.hpp; their JSON is in
// api_json.hpp) and the operator actions on dead letters and source priorities, against the
// hub's PostgreSQL schema. Every method runs in its own transaction on the connection given.
// It writes no canonical record: operator edits and conflict resolutions are made by the
// resolver (resolver/pg/operator_writes.hpp), which the gateway asks over ZeroMQ.
//
// Errors: kNotFound (404), kAlreadyExists (the dead letter is no longer open: 409),
// kInvalidArgument (400), kUnavailable (the database is unreachable: 503), kInternal.
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
#include "ingest/core/store_rows.hpp"

namespace synchub {

class PgIngestStore {
 public:
  explicit PgIngestStore(pqxx::connection& connection) : connection_(connection) {}

  // The connection, for the other stores of the same thread (PgCredentialStore).
  pqxx::connection& connection() { return connection_; }

  Status Ping();

  // The record and its etag; kNotFound when there is none. Fields written before per-field
  // versions count as written at the record's version.
  StatusOr<StoredRecord> GetRecord(const std::string& entity, const std::string& external_id);
  // One page of `entity`'s records, tombstones included, in byte order of externalId: at most
  // `limit` of those after `after` ("" from the start), each as GetRecord reads it. `next` is
  // the page's last externalId when more records follow, nullopt on the last page. An entity
  // without records gives an empty last page. REQUIRES: limit >= 1.
  StatusOr<RecordPage> ListRecords(const std::string& entity, const std::string& after, int limit);

  // The checksum of each of `ranges` over the live records (not deleted) of `entity`, in the
  // order given: the row count and the bit_xor of RowHashSql (common/core/range_checksum.hpp)
  // over externalId, version and `fields` read from the record's fields. One statement in a
  // read-only transaction: one snapshot for all ranges; writes nothing.
  // REQUIRES: `fields` are valid field names (they are embedded in the SQL as literals).
  StatusOr<std::vector<RangeChecksum>> ChecksumRanges(const std::string& entity,
                                                      const std::vector<std::string>& fields,
                                                      const std::vector<KeyRange>& ranges);

  // The record's resolution log, oldest first; kNotFound when the record has no history.
  StatusOr<RecordHistory> GetHistory(const std::string& entity, const std::string& external_id);

  // status: open | resolved | all. At most 1000, by id; without event and canonical.
  StatusOr<std::vector<ConflictRow>> ListConflicts(const std::string& status);
  // One conflict with its event and canonical record; kNotFound when there is none.
  StatusOr<ConflictRow> GetConflict(std::int64_t id);

  // status: dead | replayed | discarded | all. At most 1000, by id.
  StatusOr<std::vector<DeadLetterRow>> ListDeadLetters(const std::string& status);
  // Moves a dead letter from 'dead' to 'replayed' and returns its event (canonical JSON, with
  // its eventId) for resubmission. kNotFound when there is none, kAlreadyExists when it is
  // not dead, kFailedPrecondition when it is a CONNECTOR_APPLY_FAILED one (nothing to
  // resubmit: the connector retries it; it stays dead).
  // `handled_by`: the operator's credential id, recorded with the dead letter (0: none).
  StatusOr<Json> TakeDeadLetterForReplay(std::int64_t id, std::int64_t handled_by);
  // Puts a replayed dead letter back to 'dead' (its resubmission could not be made durable).
  Status RestoreDeadLetter(std::int64_t id);
  // Moves a dead letter from 'dead' to 'discarded'. kNotFound when there is none,
  // kAlreadyExists when it is not dead.
  Status DiscardDeadLetter(std::int64_t id, std::int64_t handled_by);

  // Every registered source with its lag, by priority then name.
  StatusOr<std::vector<SourceRow>> ListSources();
  // kNotFound when `source` is not registered.
  StatusOr<SourceRow> GetSource(const std::string& source);
  // Sets outbound_cursor.reload_requested for `source` (synchub-outbound starts a reverse load).
  // kNotFound when the source is not registered.
  Status RequestReload(const std::string& source);
  // Registers `source` or changes its priority; returns what is stored.
  StatusOr<SourcePriority> SetPriority(const std::string& source, int priority);

  StatusOr<HubStats> Stats();

 private:
  pqxx::connection& connection_;
};

}  // namespace synchub
