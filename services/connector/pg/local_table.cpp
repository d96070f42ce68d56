#include "connector/pg/local_table.hpp"

#include <algorithm>
#include <optional>

#include "common/core/json.hpp"
#include "common/core/range_checksum.hpp"
#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

std::optional<std::string> UpTo(const connector::KeyRange& range) { return range.up_to; }

}  // namespace

PgLocalTable::PgLocalTable(const std::string& source, const EntityMapping& mapping)
    : source_(source), mapping_(mapping) {}

std::string PgLocalTable::KeySql() const { return mapping_.key_column + "::text COLLATE \"C\""; }

std::string PgLocalTable::RangeSql(int after_param) const {
  const std::string after = "$" + std::to_string(after_param);
  const std::string up_to = "$" + std::to_string(after_param + 1);
  return KeySql() + " > " + after + "::text AND (" + up_to + "::text IS NULL OR " + KeySql() +
         " <= " + up_to + "::text)";
}

std::string PgLocalTable::FieldsObjectSql(const std::string& prefix) const {
  std::string pairs;
  for (const auto& [column, field] : mapping_.columns_to_fields) {
    pairs += std::string(pairs.empty() ? "" : ", ") + "'" + field + "', " + prefix + column;
  }
  return "jsonb_build_object(" + pairs + ")";
}

std::vector<std::string> PgLocalTable::FieldNames() const {
  std::vector<std::string> names;
  for (const auto& [column, field] : mapping_.columns_to_fields) names.push_back(field);
  std::sort(names.begin(), names.end());
  return names;
}

StatusOr<std::int64_t> PgLocalTable::CountRows(pqxx::connection& connection) {
  try {
    pqxx::read_transaction tx(connection);
    return tx.exec1("SELECT count(*) FROM " + mapping_.table)[0].as<std::int64_t>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "counting " + mapping_.table);
  }
}

StatusOr<PgLocalTable::Chunk> PgLocalTable::QueueSnapshotChunk(pqxx::connection& connection,
                                                               const std::string& run,
                                                               const std::string& after,
                                                               int limit) {
  // A row without a version (NULL, or below 1) is given version 1, as it is sent (an inbound
  // write: not captured), so that the row and the hub agree on it. A row that came from the hub
  // (applied here) and was never captured since holds the hub's state: it is read, not sent.
  const std::string key_text = "t." + mapping_.key_column + "::text";
  const std::string sql =
      "WITH chunk AS (SELECT " + key_text + " COLLATE \"C\" AS k, t." + mapping_.version_column +
      " AS raw_v, greatest(coalesce(t." + mapping_.version_column + ", 1), 1) AS v, " +
      FieldsObjectSql("t.") + " AS f, EXISTS (SELECT 1 FROM synchub_applied a WHERE a.entity = '" +
      mapping_.entity + "' AND a.external_id = " + key_text +
      ") AND NOT EXISTS (SELECT 1 FROM synchub_outbox o WHERE o.entity = '" + mapping_.entity +
      "' AND o.external_id = " + key_text + ") AS from_hub FROM " + mapping_.table + " t WHERE " +
      key_text + " COLLATE \"C\" > $1::text ORDER BY " + key_text +
      " COLLATE \"C\" LIMIT $2 FOR SHARE OF t), "
      "versioned AS (UPDATE " +
      mapping_.table + " t SET " + mapping_.version_column + " = 1 FROM chunk c WHERE t." +
      mapping_.key_column +
      "::text COLLATE \"C\" = c.k AND (c.raw_v IS NULL OR c.raw_v < 1) RETURNING 1), "
      "queued AS (INSERT INTO synchub_outbox (entity, external_id, op, version, fields, "
      "event_id, batch) SELECT '" +
      mapping_.entity + "', k, 'upsert', v, f, " +
      RowEventIdSql("$3", mapping_.entity, "k", "'upsert'", "v", "f") +
      ", $4 FROM chunk WHERE NOT from_hub ORDER BY k RETURNING 1) "
      "SELECT (SELECT count(*) FROM chunk), (SELECT count(*) FROM queued), "
      "coalesce((SELECT max(k) FROM chunk), '')";
  try {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL synchub.inbound = 'on'");  // the version fix is not a change to send
    auto row = tx.exec_params1(sql, after, limit, source_ + "-row-", run);
    Chunk chunk{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::string>()};
    if (chunk.rows > 0) {
      tx.exec_params(
          "UPDATE synchub_snapshot SET after_key = $2, rows_read = rows_read + $3, "
          "rows_skipped = rows_skipped + $4 WHERE entity = $1",
          mapping_.entity, chunk.last_key, chunk.rows, chunk.rows - chunk.queued);
      tx.exec("SELECT pg_notify('synchub_outbox', '')");
    }
    tx.commit();
    return chunk;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading a snapshot chunk of " + mapping_.table);
  }
}

StatusOr<std::vector<connector::RangeSum>> PgLocalTable::Checksums(
    pqxx::connection& connection, const std::vector<connector::KeyRange>& ranges) {
  std::vector<ChecksumField> fields;
  for (const auto& [column, field] : mapping_.columns_to_fields) {
    fields.push_back({field, "to_jsonb(t." + column + ")"});
  }
  const std::string row_hash =
      RowHashSql("t." + mapping_.key_column + "::text",
                 "coalesce(t." + mapping_.version_column + ", 0)", std::move(fields));
  const std::string key = "t." + mapping_.key_column + "::text COLLATE \"C\"";
  // Every range in one statement: one index range scan per range (the index setup creates);
  // a bounded and an unbounded branch, so that neither needs an OR the index cannot serve.
  const std::string sql =
      "SELECT s.* FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (after text, up_to text)) "
      "WITH ORDINALITY AS r(after, up_to, i) CROSS JOIN LATERAL (SELECT " +
      RangeChecksumSelectSql(row_hash) + " FROM (SELECT * FROM " + mapping_.table +
      " t WHERE r.up_to IS NOT NULL AND " + key + " > r.after AND " + key +
      " <= r.up_to UNION ALL SELECT * FROM " + mapping_.table + " t WHERE r.up_to IS NULL AND " +
      key + " > r.after) t) s ORDER BY r.i";
  Json list = Json::array();
  for (const auto& range : ranges) {
    list.push_back({{"after", range.after}, {"up_to", range.up_to ? Json(*range.up_to) : Json()}});
  }
  try {
    pqxx::read_transaction tx(connection);
    std::vector<connector::RangeSum> sums;
    for (const auto& row : tx.exec_params(sql, JsonText(list))) {
      sums.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
    }
    if (sums.size() != ranges.size()) return Status::Internal("a checksum per range expected");
    return sums;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "checksumming " + mapping_.table);
  }
}

StatusOr<std::vector<std::string>> PgLocalTable::SplitKeys(pqxx::connection& connection,
                                                           const connector::KeyRange& range,
                                                           int parts) {
  // The last key of each of `parts` equal slices, but the last slice's.
  const std::string sql =
      "SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS n, count(*) OVER () AS total "
      "FROM (SELECT " +
      KeySql() + " AS k FROM " + mapping_.table + " WHERE " + RangeSql(1) +
      ") r) s WHERE n < total AND n % greatest(ceil(total::numeric / $3)::bigint, 1) = 0 "
      "ORDER BY k";
  try {
    pqxx::read_transaction tx(connection);
    std::vector<std::string> keys;
    for (const auto& row : tx.exec_params(sql, range.after, UpTo(range), parts)) {
      keys.push_back(row[0].as<std::string>());
    }
    return keys;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "splitting " + mapping_.table);
  }
}

StatusOr<std::vector<connector::LocalRow>> PgLocalTable::Rows(pqxx::connection& connection,
                                                              const connector::KeyRange& range) {
  const std::string sql = "SELECT " + KeySql() + ", coalesce(" + mapping_.version_column +
                          ", 0), " + FieldsObjectSql() + "::text FROM " + mapping_.table +
                          " WHERE " + RangeSql(1) + " ORDER BY 1";
  try {
    pqxx::read_transaction tx(connection);
    std::vector<connector::LocalRow> rows;
    for (const auto& row : tx.exec_params(sql, range.after, UpTo(range))) {
      rows.push_back({row[0].as<std::string>(), row[1].as<std::int64_t>(),
                      ParseStoredJson(row[2].as<std::string>())});
    }
    return rows;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading rows of " + mapping_.table);
  }
}

StatusOr<std::map<std::string, std::int64_t>> PgLocalTable::Tombstones(
    pqxx::connection& connection, const connector::KeyRange& range) {
  const std::string sql =
      "SELECT external_id, version FROM synchub_tombstone WHERE entity = $3 AND "
      "external_id COLLATE \"C\" > $1::text AND ($2::text IS NULL OR external_id COLLATE \"C\" <= "
      "$2::text)";
  try {
    pqxx::read_transaction tx(connection);
    std::map<std::string, std::int64_t> tombstones;
    for (const auto& row : tx.exec_params(sql, range.after, UpTo(range), mapping_.entity)) {
      tombstones[row[0].as<std::string>()] = row[1].as<std::int64_t>();
    }
    return tombstones;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading tombstones of " + mapping_.entity);
  }
}

StatusOr<std::int64_t> PgLocalTable::QueueLocalState(
    pqxx::connection& connection, const std::string& run, const std::vector<std::string>& keys,
    const std::map<std::string, std::int64_t>& deleted) {
  Json key_list = Json::array();
  for (const auto& key : keys) key_list.push_back(key);
  Json delete_list = Json::array();
  for (const auto& [key, version] : deleted) {
    delete_list.push_back({{"k", key}, {"v", version}});
  }
  // A key with a pending local change is left out (that change goes, and a whole row would
  // re-assert columns it never touched); its applied etag is forgotten, so that the hub's
  // answer applies whatever etag was held before (after a restore, old etags mean nothing).
  const std::string deletes =
      "WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(k text, v bigint) "
      "WHERE NOT EXISTS (SELECT 1 FROM synchub_outbox o WHERE o.entity = '" +
      mapping_.entity +
      "' AND o.external_id = d.k AND o.sent_at IS NULL AND NOT o.parked)), "
      "forgotten AS (DELETE FROM synchub_applied a USING d WHERE a.entity = '" +
      mapping_.entity +
      "' AND a.external_id = d.k) "
      "INSERT INTO synchub_outbox (entity, external_id, op, version, fields, event_id, batch) "
      "SELECT '" +
      mapping_.entity + "', d.k, 'delete', d.v, '{}'::jsonb, " +
      RowEventIdSql("$2", mapping_.entity, "d.k", "'delete'", "d.v", "'{}'::jsonb") +
      ", $3 FROM d ORDER BY d.k";
  try {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL synchub.inbound = 'on'");  // the version fix is not a change to send
    std::int64_t queued = 0;
    if (!keys.empty()) {
      queued += static_cast<std::int64_t>(
          tx.exec_params(QueueLocalRowsSql(mapping_), JsonText(key_list), source_ + "-row-", run)
              .affected_rows());
    }
    if (!deleted.empty()) {
      queued += static_cast<std::int64_t>(
          tx.exec_params(deletes, JsonText(delete_list), source_ + "-row-", run).affected_rows());
    }
    tx.exec("SELECT pg_notify('synchub_outbox', '')");
    tx.commit();
    return queued;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "queueing rows of " + mapping_.table);
  }
}

std::string QueueLocalRowsSql(const EntityMapping& mapping) {
  std::string pairs;
  for (const auto& [column, field] : mapping.columns_to_fields) {
    pairs += std::string(pairs.empty() ? "" : ", ") + "'" + field + "', t." + column;
  }
  const std::string key = "t." + mapping.key_column + "::text";
  return "WITH rows AS (SELECT " + key + " AS k, t." + mapping.version_column +
         " AS raw_v, greatest(coalesce(t." + mapping.version_column + ", 1), 1) AS v, " +
         "jsonb_build_object(" + pairs + ") AS f FROM " + mapping.table + " t WHERE " + key +
         " IN (SELECT jsonb_array_elements_text($1::jsonb)) AND NOT EXISTS (SELECT 1 FROM "
         "synchub_outbox o WHERE o.entity = '" +
         mapping.entity + "' AND o.external_id = " + key +
         " AND o.sent_at IS NULL AND NOT o.parked) FOR SHARE OF t), "
         "versioned AS (UPDATE " +
         mapping.table + " t SET " + mapping.version_column + " = 1 FROM rows r WHERE " + key +
         " = r.k AND (r.raw_v IS NULL OR r.raw_v < 1) RETURNING 1), "
         "forgotten AS (DELETE FROM synchub_applied a USING rows r WHERE a.entity = '" +
         mapping.entity +
         "' AND a.external_id = r.k) "
         "INSERT INTO synchub_outbox (entity, external_id, op, version, fields, event_id, batch) "
         "SELECT '" +
         mapping.entity + "', k, 'upsert', v, f, " +
         RowEventIdSql("$2", mapping.entity, "k", "'upsert'", "v", "f") +
         ", $3 FROM rows ORDER BY k";
}

}  // namespace synchub
