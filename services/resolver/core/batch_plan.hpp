// BatchPlan: the ladder run over a micro-batch of events against records read from the store.
// Pure (no I/O, no clock): the resolver's PostgreSQL adapter reads the records, calls
// PlanBatch, then writes the plan in one transaction, each record write conditional on the
// etag it was read with.
//
// Events of the same record are resolved in batch order, each seeing the writes of the
// ones before it, so a batch gives exactly what resolving its events one by one would.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/record.hpp"
#include "resolver/core/ladder.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {

// A canonical record as read from the store, with its row version (the etag).
struct StoredRecord {
  CanonicalRecord record;
  std::int64_t etag = 0;
};

using StoredRecords = std::map<RecordKey, StoredRecord>;

// The decision for one event of the batch.
struct PlannedEvent {
  Event event;
  Decision decision;
  std::optional<std::int64_t> etag_before;  // nullopt: no record existed
  std::optional<std::int64_t> etag_after;   // nullopt: no record exists afterwards
  // The record after this event (the canonical one the answer carries); nullopt when none.
  std::optional<CanonicalRecord> record_after;
};

// The final state of one record the batch changed.
struct RecordWrite {
  RecordKey key;
  CanonicalRecord record;
  std::optional<std::int64_t> expected_etag;  // nullopt: insert (no record was read)
  std::int64_t new_etag = 0;
};

struct BatchPlan {
  std::vector<PlannedEvent> events;  // one per input event, in input order
  std::vector<RecordWrite> writes;   // one per changed record, by key
  // Existing records the batch read but did not change (events' own records and dependency
  // targets), with the etag read: it must still hold at commit, since outcomes were decided
  // against it.
  std::map<RecordKey, std::int64_t> unchanged_reads;
};

// The keys PlanBatch needs read: each event's record and each record a dependency field
// refers to.
std::vector<RecordKey> KeysToRead(const std::vector<Event>& events, const Catalog& catalog);

// Resolves `events` in order against `stored` (REQUIRES: it holds every key of KeysToRead
// that exists in the store; a key it lacks is taken as absent). Each change increments the
// record's etag by one (a new record starts at 1).
// REQUIRES: every event passed ValidateEvent against `catalog`.
BatchPlan PlanBatch(const std::vector<Event>& events, const StoredRecords& stored,
                    const Catalog& catalog);

}  // namespace synchub
