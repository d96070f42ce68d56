// InboundApplier: the pull direction of a connector (connector_sync.hpp has the contract).
#include <algorithm>
#include <map>

#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"
#include "connector/connector_sync.hpp"

namespace synchub {
namespace {

constexpr const char* kAppliedEtags = R"sql(
SELECT a.entity, a.external_id, a.etag FROM synchub_applied a
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id))sql";
constexpr const char* kSaveApplied = R"sql(
INSERT INTO synchub_applied (entity, external_id, etag)
SELECT entity, external_id, etag
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = EXCLUDED.etag)sql";
constexpr const char* kSaveSeq = "UPDATE synchub_connector SET last_seq = greatest(last_seq, $1)";

// One record to apply: the row for the upsert (or the key for a delete) and what it came from.
struct InboundRow {
  std::string entity;
  std::string external_id;
  std::int64_t etag = 0;
  std::int64_t version = 0;
  bool deleted = false;
  Json row;     // {column: value} for an upsert
  Json record;  // the canonical record as delivered
};

// "" when every mapped column of `stored` holds the value of `intended` exactly; otherwise
// what differs. Numbers are checked (a column type may round or truncate them: numeric(p,s),
// float, integer); other values either fit or make PostgreSQL raise an error.
std::string InexactColumn(const EntityMapping& mapping, const Json& intended, const Json& stored) {
  for (const auto& [column, field] : mapping.columns_to_fields) {
    auto want = intended.find(column);
    if (want == intended.end()) continue;
    auto got = stored.find(column);
    if (want->is_string() && got != stored.end() && IsJsonNumber(*got)) {
      // A string that a numeric column turned into a number: the value's type changed.
      return "column " + column + " holds numbers, and " + field + " is the string " +
             JsonText(*want);
    }
    if (!IsJsonNumber(*want)) continue;
    bool exact = false;
    if (got != stored.end() && IsJsonNumber(*got)) exact = JsonEqual(*want, *got);
    if (got != stored.end() && got->is_string())
      exact = got->get<std::string>() == NumberText(*want);
    if (!exact) {
      return "column " + column + " cannot hold " + field + " = " + NumberText(*want) +
             " exactly (it would store " + (got == stored.end() ? "nothing" : JsonText(*got)) + ")";
    }
  }
  return "";
}

// Runs `statement` for `rows` inside a savepoint; returns "" when it applied every row exactly,
// else the error (and the savepoint is rolled back: nothing of it stays).
std::string ApplyInSavepoint(pqxx::work& tx, const EntityMapping& mapping, bool upsert,
                             const std::vector<const InboundRow*>& rows) {
  Json parameter = Json::array();
  for (const InboundRow* row : rows) {
    parameter.push_back(upsert ? row->row : Json(row->external_id));
  }
  // A plain SAVEPOINT on the transaction (not pqxx::subtransaction, whose rollback after a
  // failed statement libpqxx 6 does not issue).
  tx.exec("SAVEPOINT synchub_apply");
  std::string error;
  try {
    auto result =
        tx.exec_params(upsert ? UpsertSql(mapping) : DeleteSql(mapping), JsonText(parameter));
    if (upsert) {
      std::map<std::string, Json> stored;
      for (const auto& line : result) {
        stored[line[0].as<std::string>()] = ParseStoredJson(line[1].as<std::string>());
      }
      for (const InboundRow* row : rows) {
        error = InexactColumn(mapping, row->row, stored[row->external_id]);
        if (!error.empty()) break;
      }
    }
  } catch (const pqxx::sql_error& failure) {
    // Only what the data itself causes is parked: class 22 (data exception: out of range,
    // invalid text for the type, value too long) and 23 (a constraint). Anything else (a lost
    // connection, a lock timeout, a trigger that raised) fails the whole delivery, which is
    // then not acknowledged and comes again.
    const std::string state = failure.sqlstate();
    if (state.rfind("22", 0) != 0 && state.rfind("23", 0) != 0) throw;
    error = failure.what();
  }
  tx.exec(error.empty() ? "RELEASE SAVEPOINT synchub_apply"
                        : "ROLLBACK TO SAVEPOINT synchub_apply");
  return error;
}

// An exact number whose value is an integer ("2.0", "1e2") in integer form ("2", "100"), so that
// an integer column takes it; any other value as it is.
Json ForIntegerColumn(const Json& value) {
  if (!IsExactNumber(value)) return value;
  const std::string text = NumberText(value);
  const std::size_t point = text.find('.');
  if (point == std::string::npos || text.find_first_not_of('0', point + 1) != std::string::npos) {
    return value;
  }
  const std::string integer = text.substr(0, point);
  return ExactNumber(integer == "-0" ? "0" : integer);
}

constexpr const char* kColumnTypes = R"sql(
SELECT c.relname, a.attname, t.typname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped)sql";

constexpr const char* kParkInbound = R"sql(
INSERT INTO synchub_inbound_parked (entity, external_id, etag, record, error)
SELECT entity, external_id, etag, record, error
  FROM jsonb_to_recordset($1::jsonb) AS p(entity text, external_id text, etag bigint,
       record jsonb, error text))sql";

// Builds the row to apply for `record` (a canonical record in API form).
InboundRow BuildRow(const EntityMapping& mapping, const ColumnTypeMap& types,
                    const std::string& external_id, std::int64_t etag, Json record) {
  InboundRow row;
  row.entity = mapping.entity;
  row.external_id = external_id;
  row.etag = etag;
  row.version = record.value("version", std::int64_t{0});
  row.deleted = record.value("deleted", false);
  if (!row.deleted) {
    row.row = Json::object();
    row.row[mapping.key_column] = external_id;
    row.row[mapping.version_column] = row.version;
    const Json fields = record.value("fields", Json::object());
    for (const auto& [column, field] : mapping.columns_to_fields) {
      Json value = fields.contains(field) ? fields[field] : Json();
      // 2.0 is the integer 2 (JSON equality): an integer column takes it. 2.5 stays, and
      // PostgreSQL refuses it: the change is parked.
      auto type = types.find({mapping.table, column});
      if (type != types.end() &&
          (type->second == "int2" || type->second == "int4" || type->second == "int8")) {
        value = ForIntegerColumn(value);
      }
      row.row[column] = std::move(value);
    }
  }
  row.record = std::move(record);
  return row;
}

// What applying a set of rows left: the applied ones (etags, tombstones) and the failures.
struct ApplyResult {
  Json applied = Json::array();     // [{entity, external_id, etag}]
  Json tombstones = Json::array();  // [{entity, external_id, version}]
  std::vector<std::pair<const InboundRow*, std::string>> failed;
};

// Applies `rows` of one entity: one statement under a savepoint, or, when it fails or a value
// would not be exact, row by row, so that only the failing rows are left out.
void ApplyRows(pqxx::work& tx, const std::string& entity, const EntityMapping& mapping, bool upsert,
               const std::vector<InboundRow>& rows, ApplyResult* result) {
  std::vector<const InboundRow*> all;
  for (const auto& row : rows) all.push_back(&row);
  std::vector<const InboundRow*> failed_rows;
  if (!ApplyInSavepoint(tx, mapping, upsert, all).empty()) {
    for (const InboundRow* row : all) {
      std::string error = ApplyInSavepoint(tx, mapping, upsert, {row});
      if (error.empty()) continue;
      result->failed.emplace_back(row, std::move(error));
      failed_rows.push_back(row);
    }
  }
  for (const InboundRow* row : all) {
    if (std::find(failed_rows.begin(), failed_rows.end(), row) != failed_rows.end()) continue;
    result->applied.push_back(
        {{"entity", entity}, {"external_id", row->external_id}, {"etag", row->etag}});
    if (!upsert) {
      result->tombstones.push_back(
          {{"entity", entity}, {"external_id", row->external_id}, {"version", row->version}});
    }
  }
}

// Records what was applied: etags and tombstones.
void SaveApplied(pqxx::work& tx, const ApplyResult& result) {
  if (!result.applied.empty()) tx.exec_params(kSaveApplied, JsonText(result.applied));
  if (!result.tombstones.empty()) tx.exec_params(SaveTombstonesSql(), JsonText(result.tombstones));
}

constexpr const char* kParkedForRetry = R"sql(
SELECT p.id, p.entity, p.external_id, p.etag, p.record::text, coalesce(a.etag, 0)
  FROM synchub_inbound_parked p LEFT JOIN synchub_applied a USING (entity, external_id)
 ORDER BY p.entity, p.external_id, p.etag, p.id
 LIMIT 100)sql";
constexpr const char* kForgetParked = "DELETE FROM synchub_inbound_parked WHERE id = $1";
constexpr const char* kUpdateParkedError =
    "UPDATE synchub_inbound_parked SET error = $2 WHERE id = $1";

}  // namespace

const ColumnTypeMap& InboundApplier::ColumnTypes(pqxx::work& tx) {
  if (column_types_.empty()) {
    for (const auto& mapping : config_.entities) {
      for (const auto& row : tx.exec_params(kColumnTypes, mapping.table)) {
        column_types_[{mapping.table, row[1].as<std::string>()}] = row[2].as<std::string>();
      }
    }
  }
  return column_types_;
}

StatusOr<int> InboundApplier::Apply(pqxx::connection& connection, const v1::Deliver& deliver) {
  try {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL synchub.inbound = 'on'");
    std::uint64_t last_seq = 0;
    // The newest change per record this source holds.
    std::map<std::pair<std::string, std::string>, const v1::OutboundChange*> newest;
    for (const auto& change : deliver.changes()) {
      last_seq = std::max(last_seq, change.seq());
      if (config_.ForEntity(change.entity()) == nullptr) continue;  // not held here
      auto& slot = newest[{change.entity(), change.external_id()}];
      if (slot == nullptr || slot->etag() <= change.etag()) slot = &change;
    }
    Json keys = Json::array();
    for (const auto& [key, change] : newest) {
      keys.push_back({{"entity", key.first}, {"external_id", key.second}});
    }
    std::map<std::pair<std::string, std::string>, std::int64_t> applied_etags;
    if (!keys.empty()) {
      for (const auto& row : tx.exec_params(kAppliedEtags, JsonText(keys))) {
        applied_etags[{row[0].as<std::string>(), row[1].as<std::string>()}] =
            row[2].as<std::int64_t>();
      }
    }
    // Per entity: the rows to upsert and the keys to delete.
    std::map<std::string, std::vector<InboundRow>> upserts;
    std::map<std::string, std::vector<InboundRow>> deletes;
    Json parked = Json::array();
    auto park = [&](const std::string& entity, const InboundRow& row, const std::string& error) {
      parked.push_back({{"entity", entity},
                        {"external_id", row.external_id},
                        {"etag", row.etag},
                        {"record", row.record},
                        {"error", error}});
    };
    const ColumnTypeMap& types = ColumnTypes(tx);
    for (const auto& [key, change] : newest) {
      // Older than what was applied: a late redelivery, skipped. The same etag is applied
      // again (it is idempotent): the hub sends a record back unchanged when the local copy
      // went astray (a stale local edit), and the local row must return to it.
      auto known = applied_etags.find(key);
      if (known != applied_etags.end() && known->second > change->etag()) continue;
      const auto etag = static_cast<std::int64_t>(change->etag());
      Json record = TryParseStoredJson(change->record_json());
      if (!record.is_object() || !record.contains("version")) {
        InboundRow unreadable;
        unreadable.external_id = key.second;
        unreadable.etag = etag;
        unreadable.record = Json{{"unreadable", change->record_json()}};
        park(key.first, unreadable, "the delivered record is not a canonical record");
        continue;
      }
      InboundRow row =
          BuildRow(*config_.ForEntity(key.first), types, key.second, etag, std::move(record));
      (row.deleted ? deletes : upserts)[key.first].push_back(std::move(row));
    }
    // Each statement runs in a savepoint; when it fails or a value would not be kept exactly,
    // the rows are applied one by one and the failing ones are parked, never half-applied.
    ApplyResult result;
    for (const auto& [entity, rows] : upserts) {
      ApplyRows(tx, entity, *config_.ForEntity(entity), true, rows, &result);
    }
    for (const auto& [entity, rows] : deletes) {
      ApplyRows(tx, entity, *config_.ForEntity(entity), false, rows, &result);
    }
    for (const auto& [row, error] : result.failed) park(row->entity, *row, error);
    SaveApplied(tx, result);
    if (!parked.empty()) tx.exec_params(kParkInbound, JsonText(parked));
    tx.exec_params(kSaveSeq, static_cast<std::int64_t>(last_seq));
    tx.commit();
    return static_cast<int>(result.applied.size());
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "applying inbound changes");
  }
}

StatusOr<int> InboundApplier::RetryParked(pqxx::connection& connection) {
  try {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL synchub.inbound = 'on'");
    const ColumnTypeMap& types = ColumnTypes(tx);
    int applied = 0;
    for (const auto& line : tx.exec(kParkedForRetry)) {
      const auto id = line[0].as<std::int64_t>();
      const std::string entity = line[1].as<std::string>();
      const std::int64_t etag = line[3].as<std::int64_t>();
      const EntityMapping* mapping = config_.ForEntity(entity);
      Json record = TryParseStoredJson(line[4].as<std::string>());
      // A newer change of the record was applied since, or the entity is no longer mapped,
      // or the record was unreadable: nothing left to apply.
      if (line[5].as<std::int64_t>() >= etag || mapping == nullptr || !record.contains("version")) {
        tx.exec_params(kForgetParked, id);
        continue;
      }
      std::vector<InboundRow> rows;
      rows.push_back(BuildRow(*mapping, types, line[2].as<std::string>(), etag, std::move(record)));
      ApplyResult result;
      ApplyRows(tx, entity, *mapping, !rows.front().deleted, rows, &result);
      if (!result.failed.empty()) {
        tx.exec_params(kUpdateParkedError, id, result.failed.front().second);
        continue;
      }
      SaveApplied(tx, result);
      tx.exec_params(kForgetParked, id);
      ++applied;
    }
    tx.commit();
    return applied;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "retrying parked inbound changes");
  }
}

}  // namespace synchub
