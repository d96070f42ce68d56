#include "resolver/pg/log_maintenance.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

// One advisory lock for every maintenance transaction: two resolvers never create or drop the
// same partition at once.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(hashtext('synchub_log_maintenance'))";

// How long a partition's DETACH may wait for the log's lock (writers queue behind it).
constexpr int kDetachLockTimeoutMs = 500;

constexpr const char* kNextSeq =
    "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
    "FROM resolution_log_seq_seq";

constexpr const char* kPartitions = R"sql(
SELECT name, seq_from, seq_to, pg_total_relation_size(name::regclass)
  FROM log_partition ORDER BY seq_from)sql";

// Where each subscribed source's stream resumes: its acknowledged position, or the start of
// its load's stream while a load runs. A source waiting for a reload needs nothing of the log.
constexpr const char* kPositions = R"sql(
SELECT target_source,
       CASE WHEN load_xid IS NOT NULL THEN load_xid ELSE xid END::text,
       CASE WHEN load_xid IS NOT NULL THEN 0 ELSE seq END
  FROM outbound_cursor
 WHERE load_xid IS NOT NULL OR NOT reload_requested
 ORDER BY target_source)sql";

constexpr const char* kMarkReload = R"sql(
UPDATE outbound_cursor SET reload_requested = true
 WHERE target_source = ANY (string_to_array($1, E'\x1f')))sql";

struct Position {
  std::string source;
  std::string xid;
  std::int64_t seq = 0;
};

std::string PartitionSql(pqxx::transaction_base& tx, const std::string& name) {
  return tx.quote_name(name);
}

std::vector<Position> ReadPositions(pqxx::transaction_base& tx) {
  std::vector<Position> positions;
  for (const auto& row : tx.exec(kPositions)) {
    positions.push_back(
        {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>()});
  }
  return positions;
}

std::vector<std::string> Unacknowledged(pqxx::transaction_base& tx, const std::string& name,
                                        const std::vector<Position>& positions) {
  std::vector<std::string> sources;
  const std::string sql = "SELECT EXISTS (SELECT 1 FROM " + PartitionSql(tx, name) +
                          " WHERE targets <> '{}' AND $1 = ANY (targets)"
                          " AND (xid, seq) > ($2::xid8, $3))";
  for (const auto& position : positions) {
    if (tx.exec_params1(sql, position.source, position.xid, position.seq)[0].as<bool>()) {
      sources.push_back(position.source);
    }
  }
  return sources;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// Writes the partition's rows to DIR/NAME.copy (COPY text format), synced to disk. Returns
// the path, or throws.
std::string Archive(pqxx::transaction_base& tx, const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name + ".copy";
  const std::string partial = path + ".partial";
  // The owner's only: the rows hold every record's values.
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::FILE* file = fd < 0 ? nullptr : ::fdopen(fd, "w");
  if (file == nullptr) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot write " + partial);
  }
  {
    pqxx::stream_from rows(tx, name);
    std::string line;
    while (rows.get_raw_line(line)) {
      if (line.empty() || line.back() != '\n') line.push_back('\n');
      if (std::fwrite(line.data(), 1, line.size(), file) != line.size()) {
        std::fclose(file);
        throw std::runtime_error("cannot write " + partial);
      }
    }
    rows.complete();
  }
  const bool synced = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  if (std::fclose(file) != 0 || !synced || std::rename(partial.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot write " + path);
  }
  return path;
}

}  // namespace

StatusOr<std::vector<std::string>> PgLogMaintenance::EnsurePartitions() {
  std::vector<std::string> created;
  try {
    pqxx::work tx(connection_);
    tx.exec(kLock);
    tx.exec("SET LOCAL lock_timeout = " + std::to_string(options_.lock_timeout_ms));
    const std::int64_t next = tx.exec1(kNextSeq)[0].as<std::int64_t>();
    std::int64_t top =
        tx.exec1("SELECT coalesce(max(seq_to), 1) FROM log_partition")[0].as<std::int64_t>();
    const std::int64_t room = std::max(options_.partition_events, options_.min_room_events);
    while (next + room > top) {
      // Rows past the last partition could not be written (the insert failed): the new
      // partition covers their seqs too.
      const std::int64_t to = std::max(top, next) + options_.partition_events;
      const std::string name = "resolution_log_" + std::to_string(top);
      const std::string quoted = tx.quote_name(name);
      // Made apart and attached: ATTACH takes a lock that lets the log's readers and writers
      // go on (CREATE TABLE ... PARTITION OF would block them).
      tx.exec("CREATE TABLE " + quoted +
              " (LIKE resolution_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
      tx.exec("ALTER TABLE " + quoted + " ADD CHECK (seq >= " + std::to_string(top) +
              " AND seq < " + std::to_string(to) + ")");
      tx.exec("ALTER TABLE resolution_log ATTACH PARTITION " + quoted + " FOR VALUES FROM (" +
              std::to_string(top) + ") TO (" + std::to_string(to) + ")");
      tx.exec_params("INSERT INTO log_partition (name, seq_from, seq_to) VALUES ($1, $2, $3)", name,
                     top, to);
      created.push_back(name);
      top = to;
    }
    tx.commit();
    return created;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "creating resolution-log partitions");
  }
}

StatusOr<RetentionReport> PgLogMaintenance::ApplyRetention(bool dry_run) {
  RetentionReport report;
  RetentionPlan plan;
  std::map<std::string, LogPartition> by_name;
  try {
    pqxx::read_transaction tx(connection_);
    const std::int64_t next = tx.exec1(kNextSeq)[0].as<std::int64_t>();
    const std::vector<Position> positions = ReadPositions(tx);
    std::vector<LogPartition> partitions;
    for (const auto& row : tx.exec(kPartitions)) {
      LogPartition partition;
      partition.name = row[0].as<std::string>();
      partition.seq_from = row[1].as<std::int64_t>();
      partition.seq_to = row[2].as<std::int64_t>();
      partition.bytes = row[3].as<std::int64_t>();
      if (partition.seq_to <= next) {
        auto newest = tx.exec("SELECT extract(epoch FROM now() - resolved_at)::bigint FROM " +
                              PartitionSql(tx, partition.name) + " ORDER BY seq DESC LIMIT 1");
        partition.empty = newest.empty();
        if (!partition.empty)
          partition.newest_age = std::chrono::seconds(newest[0][0].as<std::int64_t>());
        partition.unacknowledged_by = Unacknowledged(tx, partition.name, positions);
      }
      by_name[partition.name] = partition;
      partitions.push_back(std::move(partition));
    }
    plan = PlanRetention(partitions, next, options_.retention);
    report.kept_because = plan.kept_because;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the resolution log's partitions");
  }
  if (dry_run) {
    report.planned = plan.drops;
  } else {
    for (const auto& drop : plan.drops) {
      const LogPartition& partition = by_name.at(drop.name);
      try {
        pqxx::work tx(connection_);
        tx.exec(kLock);
        tx.exec("SET LOCAL lock_timeout = " + std::to_string(options_.lock_timeout_ms));
        // Another maintainer may have dropped it since the plan was read.
        if (tx.exec_params("SELECT 1 FROM log_partition WHERE name = $1", drop.name).empty()) {
          continue;
        }
        const std::string quoted = PartitionSql(tx, drop.name);
        // Positions only move forward, but check again under the lock: a source that has
        // not acknowledged this partition's changes and is not being reloaded keeps it.
        bool keep = false;
        for (const auto& source : Unacknowledged(tx, drop.name, ReadPositions(tx))) {
          if (std::find(drop.reload.begin(), drop.reload.end(), source) == drop.reload.end()) {
            report.kept_because = drop.name + ": not acknowledged by " + source;
            keep = true;
          }
        }
        if (keep) break;
        DroppedPartition dropped{drop.name,   partition.seq_from, partition.seq_to,
                                 0,           partition.bytes,    0,
                                 drop.reason, drop.reload,        ""};
        if (!drop.reload.empty()) tx.exec_params(kMarkReload, Join(drop.reload, "\x1f"));
        dropped.checkpoints = static_cast<std::int64_t>(
            tx.exec("INSERT INTO record_checkpoint (entity, external_id, seq, record, resolved_at)"
                    " SELECT DISTINCT ON (entity, external_id) entity, external_id, seq,"
                    "        record_after, resolved_at FROM " +
                    quoted +
                    " ORDER BY entity, external_id, seq DESC"
                    " ON CONFLICT (entity, external_id) DO UPDATE"
                    "   SET seq = EXCLUDED.seq, record = EXCLUDED.record,"
                    "       resolved_at = EXCLUDED.resolved_at"
                    " WHERE record_checkpoint.seq < EXCLUDED.seq")
                .affected_rows());
        // The recorded answers go with the rows: a resend of one of these events is resolved
        // again (the ladder makes an equal resend a STALE_SKIP), as after the idempotency window.
        // A MANUAL event keeps its key: its answer is the conflict, which stays.
        tx.exec("DELETE FROM idempotency_key k USING " + quoted +
                " p WHERE k.source = p.source AND k.event_id = p.event_id"
                " AND NOT EXISTS (SELECT 1 FROM conflict_log c"
                "                  WHERE c.source = p.source AND c.event_id = p.event_id)");
        dropped.events = tx.exec1("SELECT count(*) FROM " + quoted)[0].as<std::int64_t>();
        if (!options_.archive_dir.empty()) {
          dropped.archived_to = Archive(tx, options_.archive_dir, drop.name);
        }
        tx.exec_params(
            "INSERT INTO log_truncation (partition, seq_from, seq_to, events, bytes, reason,"
            " reloaded, archived_to) VALUES ($1, $2, $3, $4, $5, $6,"
            " coalesce(string_to_array(nullif($7, ''), E'\\x1f'), '{}'), nullif($8, ''))",
            drop.name, partition.seq_from, partition.seq_to, dropped.events, partition.bytes,
            drop.reason, Join(drop.reload, "\x1f"), dropped.archived_to);
        // DETACH waits for every transaction using the log, so a writer still inserting into
        // this partition (its seq was taken before the plan was read) has ended when it
        // returns: if it added rows, nothing above saw them, and the drop is called off.
        // Waiting writers queue behind it: it waits at most kDetachLockTimeoutMs.
        tx.exec("SET LOCAL lock_timeout = " + std::to_string(kDetachLockTimeoutMs));
        tx.exec("ALTER TABLE resolution_log DETACH PARTITION " + quoted);
        if (tx.exec1("SELECT count(*) FROM " + quoted)[0].as<std::int64_t>() != dropped.events) {
          tx.abort();
          report.kept_because = drop.name + ": events arrived during the drop (tried again later)";
          break;
        }
        tx.exec("DROP TABLE " + quoted);
        tx.exec_params("DELETE FROM log_partition WHERE name = $1", drop.name);
        tx.commit();
        report.dropped.push_back(std::move(dropped));
      } catch (const std::exception& error) {
        return StatusFromPgException(error, "dropping " + drop.name);
      }
    }
  }
  try {
    pqxx::read_transaction tx(connection_);
    auto row = tx.exec1(
        "SELECT count(*), coalesce(sum(pg_total_relation_size(name::regclass)), 0)::bigint "
        "FROM log_partition");
    report.partitions = row[0].as<int>();
    report.log_bytes = row[1].as<std::int64_t>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "measuring the resolution log");
  }
  return report;
}

}  // namespace synchub
