// RecordCache: the canonical records one resolver worker last read or wrote, with their etags,
// so that a batch reads from PostgreSQL only the records it has not seen (docs/design.md
// "The record cache"; docs/benchmarks.md: the read was ~10-12 % of the CPU per event).
//
// Safe because nothing planned from the cache is written unchecked: every existing record a
// plan uses is locked and its etag compared before the batch writes (BatchPlan's writes and
// unchanged_reads, checked by the adapter's LockAndVerify), so a stale entry costs one retried
// attempt, which reads from the database. Etags only grow (a record is never deleted, a
// tombstone is a write), so an entry whose etag still matches holds the stored content.
// Only records that exist are kept: absence is always read, so an event never waits on a
// dependency the cache wrongly believes missing.
//
// Bounded by `capacity` entries; when full it starts over (empty), which keeps the cost of a
// working set larger than the cache at one read per record per pass. Capacity 0 disables it.
// Pure: no I/O. Not thread-safe: one per worker (its BatchResolver), dropped with the
// worker's connection.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "resolver/core/batch_plan.hpp"

namespace synchub {

class RecordCache {
 public:
  explicit RecordCache(std::size_t capacity) : capacity_(capacity) {}

  // Splits `keys` into the records held (copied into *hits) and the keys to read (returned,
  // in the order given).
  std::vector<RecordKey> Lookup(const std::vector<RecordKey>& keys, StoredRecords* hits) const;

  // Keeps `stored` as the content of its key at etag stored.etag (a record read, or one a
  // committed batch wrote). A held entry with a higher etag is kept instead.
  void Remember(const RecordKey& key, const StoredRecord& stored);

  // Keeps what a committed batch leaves: the records it wrote, at their new etags, and the
  // records it read and did not change.
  void RememberCommitted(const BatchPlan& plan, const StoredRecords& read);

  // Forgets `keys` (a batch that did not commit: its reads may be stale).
  void Forget(const std::vector<RecordKey>& keys);

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct KeyHash {
    std::size_t operator()(const RecordKey& key) const;
  };
  std::size_t capacity_;
  std::unordered_map<RecordKey, StoredRecord, KeyHash> entries_;
};

}  // namespace synchub
