// PgOutboundStore: reads the outbound queue — resolution-log rows with targets — per target
// source by position, and keeps each target's acknowledged position (outbound_cursor).
//
// A position is (xid, seq): the writing transaction's id and the log's sequence. Rows are
// read only below the oldest running transaction (xid < pg_snapshot_xmin), in (xid, seq)
// order, so a transaction that commits late can never land behind a position already
// delivered (sequence values are taken before commit and commit out of order).
//
// Errors: kUnavailable (connection lost), kInternal. Thread safety: one thread per store.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/status.hpp"
#include "outbound/core/queued_change.hpp"
#include "outbound/core/reverse_load.hpp"

namespace synchub {

class PgOutboundStore {
 public:
  explicit PgOutboundStore(pqxx::connection& connection) : connection_(connection) {}

  // The acknowledged position of `target` ({0,0} when it never acknowledged anything).
  StatusOr<OutboundPosition> LoadCursor(const std::string& target);
  // Moves `target`'s cursor forward to `position` (never backward).
  Status SaveCursor(const std::string& target, const OutboundPosition& position);
  // Up to `limit` changes for `target` after `after`, in position order, committed and
  // below every running transaction.
  StatusOr<std::vector<QueuedChange>> ReadAfter(const std::string& target,
                                                const OutboundPosition& after, int limit);

  // What the hub keeps of `target` (its cursor row, a load in progress, a requested reload).
  StatusOr<CursorState> LoadCursorState(const std::string& target);
  // Whether the resolution log holds the change at `seq` of that record with that etag (the
  // change a connector applied last).
  StatusOr<bool> LogHolds(std::int64_t seq, const std::string& entity,
                          const std::string& external_id, std::int64_t etag);
  // Begins a reverse load of `target`: remembers the oldest running transaction (the stream
  // resumes at (xid, 0) once the load is done: every transaction before it is in the load) and
  // clears a requested reload. Returns that xid.
  StatusOr<std::uint64_t> StartLoad(const std::string& target, const std::string& reason);
  // Up to `limit` canonical records after (after_entity, after_key) in byte order, of
  // `entities` (empty: all), tombstones included, as changes (seq 0).
  StatusOr<std::vector<QueuedChange>> ReadLoadPage(const std::vector<std::string>& entities,
                                                   const std::string& after_entity,
                                                   const std::string& after_key, int limit);
  // The connector applied the load up to (after_entity, after_key).
  Status SaveLoadProgress(const std::string& target, const std::string& after_entity,
                          const std::string& after_key);
  // Ends `target`'s load: its cursor becomes (load xid, 0). Returns that position.
  StatusOr<OutboundPosition> FinishLoad(const std::string& target);
  // Sources an operator told to reload (outbound_cursor.reload_requested) with no load running.
  StatusOr<std::vector<std::string>> ReloadsRequested();

  struct SourceLag {
    std::string source;
    std::int64_t unacknowledged_records = 0;
    double oldest_unacknowledged_seconds = 0;
  };
  // Every registered source's lag (view source_lag): records whose current canonical state
  // it has not acknowledged, and the age of the oldest such change.
  StatusOr<std::vector<SourceLag>> Lag();

 private:
  pqxx::connection& connection_;
};

}  // namespace synchub
