// PgLocalTable: what a snapshot and a reconcile read from (and queue for) one synced table of
// the local database, in the hub's key order (bytes: `key::text COLLATE "C"`, served by the
// index setup creates). docs/design.md, "Snapshot" and "Reconciliation".
//
// Rows queued here go into synchub_outbox like captured changes, with an event id derived from
// the row's entity, key, version and content ("<source>-row-<sha256 prefix>"): a re-run queues
// the same ids, which the hub answers as duplicates. They are pushed by whichever process holds
// the push lock (OutboxPusher), in outbox order with the captured changes.
//
// Errors: kUnavailable (connection lost), kInvalidArgument, kInternal (pg_errors.hpp).
// Thread safety: none; one per thread and connection.
#pragma once

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/status.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/core/reconcile.hpp"

namespace synchub {

class PgLocalTable {
 public:
  // REQUIRES: `source` and `mapping` outlive this object.
  PgLocalTable(const std::string& source, const EntityMapping& mapping);

  // The table's row count.
  StatusOr<std::int64_t> CountRows(pqxx::connection& connection);

  // A snapshot's chunk: in one transaction, the next `limit` rows after `after` (key order),
  // share-locked (a concurrent edit of one of them waits, or is waited for, so the outbox holds
  // the key's snapshot event and its edits in the order they happened), queued as upserts of
  // every mapped column at the row's version (NULL or < 1: 1, written back) under batch `run`,
  // except rows that came from the hub and were never captured since (they hold the hub's
  // state), and the snapshot's progress (synchub_snapshot) moved past them. Returns the rows
  // read, queued, and the last key ("" when none).
  struct Chunk {
    std::int64_t rows = 0;    // read
    std::int64_t queued = 0;  // sent: rows - queued came from the hub and are unchanged here
    std::string last_key;
  };
  StatusOr<Chunk> QueueSnapshotChunk(pqxx::connection& connection, const std::string& run,
                                     const std::string& after, int limit);

  // The checksum of each range over the mapped fields (common/core/range_checksum.hpp).
  StatusOr<std::vector<connector::RangeSum>> Checksums(
      pqxx::connection& connection, const std::vector<connector::KeyRange>& ranges);
  // Up to `parts` - 1 keys that split the range's rows into `parts` about equal ranges.
  StatusOr<std::vector<std::string>> SplitKeys(pqxx::connection& connection,
                                               const connector::KeyRange& range, int parts);
  // The range's rows, in key order.
  StatusOr<std::vector<connector::LocalRow>> Rows(pqxx::connection& connection,
                                                  const connector::KeyRange& range);
  // The tombstone versions (synchub_tombstone) of the range's keys.
  StatusOr<std::map<std::string, std::int64_t>> Tombstones(pqxx::connection& connection,
                                                           const connector::KeyRange& range);
  // Queues the local state of `keys` under batch `run` (QueueLocalRowsSql), and each of
  // `deleted` (key -> tombstone version) as a delete; keys with a pending local change are left
  // out, and the applied etag of each queued key is forgotten (the hub's answer then applies
  // whatever etag was held: after a restore of the hub, old etags mean nothing). Returns how
  // many were queued.
  StatusOr<std::int64_t> QueueLocalState(pqxx::connection& connection, const std::string& run,
                                         const std::vector<std::string>& keys,
                                         const std::map<std::string, std::int64_t>& deleted);

  // The mapped field names, in byte order.
  std::vector<std::string> FieldNames() const;

 private:
  std::string KeySql() const;                   // key::text COLLATE "C"
  std::string RangeSql(int after_param) const;  // "<key> > $n AND ($n+1 IS NULL OR <key> <= $n+1)"
  // jsonb_build_object('field', <prefix>column, ...)
  std::string FieldsObjectSql(const std::string& prefix = "") const;

  const std::string& source_;
  const EntityMapping& mapping_;
};

// In a transaction marked inbound, queues the current state of the rows whose keys are in the
// JSON array $1: an upsert of every mapped column at the row's version (a row without one gets
// version 1, written back), event id $2 ("<source>-row-") + the state's digest, batch $3 (NULL:
// none); rows with a pending local change are left out; each queued key's applied etag is
// forgotten. Used by reconcile's repair and by a reverse load for the rows it keeps.
std::string QueueLocalRowsSql(const EntityMapping& mapping);

}  // namespace synchub
