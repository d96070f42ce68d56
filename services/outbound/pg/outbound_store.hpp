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
