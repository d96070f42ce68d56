// Pushing a batch of queued rows (a snapshot's, a reconcile's) until the hub answered each:
// the one loop both commands share. Rows are pushed by OutboxPusher under the database's push
// lock, so when `synchub-connector run` holds it, this waits for `run` to push them.
// Thread safety: none; one per thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "common/core/status.hpp"
#include "connector/app/outbox_pusher.hpp"

namespace synchub {

// Called before each round with the batch's pending rows: queues more rows when it wants to
// (returns true while it may queue more), false once everything is queued.
using RefillBatch = std::function<StatusOr<bool>(std::int64_t pending)>;
// Called about once a second with the batch's pending rows.
using BatchProgress = std::function<void(std::int64_t pending)>;

// Pushes until `refill` says everything is queued and no row of batch `run` is pending (each
// one answered or parked), then reports parked rows to the hub as dead letters. Returns
// kUnavailable when `stop` became true (nothing is lost: the rows stay queued), an error of the
// local database, or Ok. A hub that does not answer only delays (the rows stay pending).
Status PushBatch(pqxx::connection& connection, OutboxPusher& pusher, const std::string& run,
                 const std::atomic<bool>& stop, const RefillBatch& refill,
                 const BatchProgress& progress);

}  // namespace synchub
