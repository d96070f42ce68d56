#include "connector/app/snapshot_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/pg/connection.hpp"
#include "connector/app/batch_push.hpp"
#include "connector/app/outbox_pusher.hpp"
#include "connector/pg/batch_state.hpp"
#include "connector/pg/local_table.hpp"

namespace synchub {
namespace {

void PrintSummary(const std::string& source, const SnapshotRun& run, const BatchCounts& counts,
                  double seconds) {
  std::int64_t read = 0;
  std::int64_t skipped = 0;
  std::string tables;
  for (const auto& entity : run.entities) {
    read += entity.rows_read;
    skipped += entity.rows_skipped;
    tables += (tables.empty() ? "" : ", ") + entity.entity + " " + std::to_string(entity.rows_read);
  }
  std::printf("snapshot %s of %s: %lld rows read (%s) in %.1f s\n", run.id.c_str(), source.c_str(),
              static_cast<long long>(read), tables.c_str(), seconds);
  std::string outcomes;
  for (const auto& [outcome, rows] : counts.outcomes) {
    outcomes += (outcomes.empty() ? "" : ", ") + outcome + " " + std::to_string(rows);
  }
  std::printf("not sent: %lld (received from the hub and unchanged here since)\n",
              static_cast<long long>(skipped));
  std::printf("outcomes of the %lld sent: %s\n", static_cast<long long>(counts.queued),
              outcomes.empty() ? "none" : outcomes.c_str());
  std::printf(
      "changed the hub: %lld; changed nothing: %lld (%lld of them duplicates of an "
      "earlier run, the others values the hub already held or kept)\n",
      static_cast<long long>(counts.changed),
      static_cast<long long>(counts.answered() - counts.changed),
      static_cast<long long>(counts.duplicates));
  auto count = [&](const char* outcome) {
    auto it = counts.outcomes.find(outcome);
    return static_cast<long long>(it == counts.outcomes.end() ? 0 : it->second);
  };
  std::printf("conflicts (MANUAL, open for an operator): %lld\n", count("MANUAL"));
  std::printf("deferred (waiting for a record they refer to): %lld\n", count("DEFERRED"));
  std::printf("dead letters: %lld (rejected and parked: %lld)\n",
              count("DEAD_LETTER") + static_cast<long long>(counts.parked),
              static_cast<long long>(counts.parked));
}

}  // namespace

int RunSnapshot(const ConnectorConfig& config, const SnapshotOptions& options,
                zmq::context_t& context, const std::atomic<bool>& stop) {
  auto connection = ConnectPg(config.database);
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-connector snapshot: %s\n", connection.status().message().c_str());
    return 2;
  }
  pqxx::connection& db = **connection;
  auto locked = TryLockSnapshot(db);
  if (!locked.ok() || !*locked) {
    std::fprintf(stderr, "synchub-connector snapshot: %s\n",
                 locked.ok() ? "another snapshot of this database is running; wait for it to end"
                             : locked.status().message().c_str());
    return 2;
  }
  auto run = BeginSnapshot(db, config, options.restart);
  if (!run.ok()) {
    std::fprintf(stderr, "synchub-connector snapshot: %s (run `setup` first?)\n",
                 run.status().message().c_str());
    return 2;
  }
  std::int64_t total = 0;
  std::int64_t read = 0;
  std::vector<PgLocalTable> tables;
  for (const auto& entity : run->entities) {
    total += entity.total_rows;
    read += entity.rows_read;
    tables.emplace_back(config.source, *config.ForEntity(entity.entity));
  }
  std::fprintf(stderr, "snapshot %s of %s %s: about %lld rows\n", run->id.c_str(),
               config.source.c_str(), run->resumed ? "resumes" : "begins",
               static_cast<long long>(total));
  const std::int64_t read_before = read;
  const auto started = std::chrono::steady_clock::now();
  std::size_t current = 0;
  RefillBatch refill = [&](std::int64_t pending) -> StatusOr<bool> {
    while (current < run->entities.size() && run->entities[current].finished) ++current;
    if (current == run->entities.size()) return false;
    if (pending >= 2 * options.chunk_rows) return true;
    SnapshotEntity& entity = run->entities[current];
    auto chunk =
        tables[current].QueueSnapshotChunk(db, run->id, entity.after_key, options.chunk_rows);
    if (!chunk.ok()) return chunk.status();
    if (chunk->rows > 0) entity.after_key = chunk->last_key;
    entity.rows_read += chunk->rows;
    entity.rows_skipped += chunk->rows - chunk->queued;
    read += chunk->rows;
    if (chunk->rows < options.chunk_rows) {
      if (Status finished = FinishSnapshotEntity(db, entity.entity); !finished.ok()) {
        return finished;
      }
      entity.finished = true;
    }
    return true;
  };
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  BatchProgress progress = [&](std::int64_t pending) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::int64_t done = read - pending;
    const double rate = seconds > 0 ? static_cast<double>(done - read_before) / seconds : 0;
    const double left =
        rate > 0 ? static_cast<double>(std::max<std::int64_t>(total - done, 0)) / rate : 0;
    std::fprintf(stderr, "%s%lld/%lld rows answered (%lld read), %.0f rows/s, about %.0f s left%s",
                 terminal ? "\r" : "", static_cast<long long>(done),
                 static_cast<long long>(std::max(total, read)), static_cast<long long>(read), rate,
                 left, terminal ? "   " : "\n");
    std::fflush(stderr);
  };
  OutboxPusher pusher(config, context, stop);
  const Status pushed = PushBatch(db, pusher, run->id, stop, refill, progress);
  if (terminal) std::fprintf(stderr, "\n");
  if (!pushed.ok()) {
    std::fprintf(stderr, "synchub-connector snapshot: %s; run it again to resume\n",
                 pushed.message().c_str());
    return stop ? 3 : 2;
  }
  auto counts = CountBatch(db, run->id);
  if (!counts.ok()) {
    std::fprintf(stderr, "synchub-connector snapshot: %s\n", counts.status().message().c_str());
    return 2;
  }
  PrintSummary(config.source, *run, *counts,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return counts->parked > 0 ? 1 : 0;
}

}  // namespace synchub
