#include "connector/app/batch_push.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/runtime/pause.hpp"
#include "connector/pg/batch_state.hpp"

namespace synchub {

Status PushBatch(pqxx::connection& connection, OutboxPusher& pusher, const std::string& run,
                 const std::atomic<bool>& stop, const RefillBatch& refill,
                 const BatchProgress& progress) {
  bool more = true;
  auto last_progress = std::chrono::steady_clock::now();
  while (!stop) {
    auto pending = PendingInBatch(connection, run);
    if (!pending.ok()) return pending.status();
    if (more) {
      auto refilled = refill(*pending);
      if (!refilled.ok()) return refilled.status();
      more = *refilled;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress >= std::chrono::seconds(1)) {
      progress(*pending);
      last_progress = now;
    }
    if (!more && *pending == 0) break;
    auto pushed = pusher.PushOnce(connection);
    if (!pushed.ok()) {
      if (!connection.is_open()) return pushed.status();
      spdlog::warn("push: {}", pushed.status().message());
      PauseUnlessStopped(std::chrono::milliseconds(500), stop);
      continue;
    }
    // Nothing pushed: rows wait for a retry, or `run` holds the push lock and pushes them.
    if (*pushed == 0) PauseUnlessStopped(std::chrono::milliseconds(100), stop);
  }
  if (stop) return Status::Unavailable("stopped; the queued rows stay in the outbox");
  progress(0);
  if (auto reported = pusher.ReportParked(connection); !reported.ok()) {
    spdlog::warn("reporting parked rows: {}", reported.status().message());
  }
  return Status::Ok();
}

}  // namespace synchub
