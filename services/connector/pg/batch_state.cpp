#include "connector/pg/batch_state.hpp"

#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

constexpr const char* kEntities = R"sql(
SELECT entity, run, after_key, rows_read, rows_skipped, total_rows, finished_at IS NOT NULL
  FROM synchub_snapshot ORDER BY entity)sql";

constexpr const char* kBatchCounts = R"sql(
SELECT coalesce(outcome, ''), coalesce(duplicate, false), parked, sent_at IS NULL, count(*),
       count(*) FILTER (WHERE changed)
  FROM synchub_outbox WHERE batch = $1 GROUP BY 1, 2, 3, 4)sql";

}  // namespace

StatusOr<bool> TryLockSnapshot(pqxx::connection& connection) {
  try {
    pqxx::nontransaction tx(connection);
    return tx.exec1("SELECT pg_try_advisory_lock(7367)")[0].as<bool>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "taking the snapshot lock");
  }
}

StatusOr<SnapshotRun> BeginSnapshot(pqxx::connection& connection, const ConnectorConfig& config,
                                    bool restart) {
  try {
    pqxx::work tx(connection);
    tx.exec("LOCK TABLE synchub_snapshot IN EXCLUSIVE MODE");
    SnapshotRun run;
    std::map<std::string, SnapshotEntity> known;
    bool unfinished = false;
    for (const auto& row : tx.exec(kEntities)) {
      SnapshotEntity entity{row[0].as<std::string>(),  row[2].as<std::string>(),
                            row[3].as<std::int64_t>(), row[4].as<std::int64_t>(),
                            row[5].as<std::int64_t>(), row[6].as<bool>()};
      unfinished = unfinished || !entity.finished;
      run.id = row[1].as<std::string>();
      known[entity.entity] = entity;
    }
    run.resumed = unfinished && !restart;
    if (!run.resumed) {
      run.id = config.source + "-snapshot-" +
               tx.exec1("SELECT left(md5(random()::text || clock_timestamp()::text), 12)")[0]
                   .as<std::string>();
      tx.exec("DELETE FROM synchub_snapshot");
      known.clear();
    }
    for (const auto& mapping : config.entities) {
      auto it = known.find(mapping.entity);
      if (it != known.end()) {
        run.entities.push_back(it->second);
        continue;
      }
      SnapshotEntity entity;
      entity.entity = mapping.entity;
      entity.total_rows = tx.exec1("SELECT count(*) FROM " + mapping.table)[0].as<std::int64_t>();
      tx.exec_params(
          "INSERT INTO synchub_snapshot (entity, run, total_rows) VALUES ($1, $2, $3) "
          "ON CONFLICT (entity) DO UPDATE SET run = $2, total_rows = $3, after_key = '', "
          "rows_read = 0, rows_skipped = 0, finished_at = NULL, started_at = now()",
          entity.entity, run.id, entity.total_rows);
      run.entities.push_back(entity);
    }
    tx.commit();
    return run;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "beginning a snapshot");
  }
}

Status FinishSnapshotEntity(pqxx::connection& connection, const std::string& entity) {
  try {
    pqxx::work tx(connection);
    tx.exec_params("UPDATE synchub_snapshot SET finished_at = now() WHERE entity = $1", entity);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "finishing a snapshot");
  }
}

StatusOr<BatchCounts> CountBatch(pqxx::connection& connection, const std::string& run) {
  try {
    pqxx::read_transaction tx(connection);
    BatchCounts counts;
    for (const auto& row : tx.exec_params(kBatchCounts, run)) {
      const auto rows = row[4].as<std::int64_t>();
      counts.queued += rows;
      if (row[2].as<bool>()) {
        counts.parked += rows;
      } else if (row[3].as<bool>()) {
        counts.pending += rows;
      } else {
        counts.outcomes[row[0].as<std::string>()] += rows;
        if (row[1].as<bool>()) counts.duplicates += rows;
        counts.changed += row[5].as<std::int64_t>();
      }
    }
    return counts;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "counting a batch");
  }
}

StatusOr<std::int64_t> PendingInBatch(pqxx::connection& connection, const std::string& run) {
  try {
    pqxx::read_transaction tx(connection);
    return tx
        .exec_params1(
            "SELECT count(*) FROM synchub_outbox WHERE sent_at IS NULL AND NOT parked "
            "AND batch = $1",
            run)[0]
        .as<std::int64_t>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "counting a batch's pending rows");
  }
}

}  // namespace synchub
