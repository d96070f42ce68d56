// InboundApplier: the pull direction of a connector (connector_sync.hpp has the contract).
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "common/core/event.hpp"
#include "common/core/exact_number.hpp"
#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"
#include "connector/core/sync_decisions.hpp"
#include "connector/pg/connector_sync.hpp"
#include "connector/pg/local_table.hpp"

namespace synchub {
namespace {

// The keys' capture locks (the trigger's, connector_sql.cpp), tried, never waited for: false
// when a local transaction holds one of them.
constexpr const char* kTryLockKeys = R"sql(
SELECT coalesce(bool_and(pg_try_advisory_xact_lock(hashtextextended(k, 7365))), true)
  FROM (SELECT DISTINCT jsonb_array_elements_text($1::jsonb) AS k ORDER BY 1) AS keys)sql";

// A key an apply must lock is held by a local transaction (its row, or its capture lock).
struct KeysBusy : std::runtime_error {
  KeysBusy() : std::runtime_error("a local transaction holds a key being applied; retried") {}
};

bool IsKeysBusy(const std::exception& error) {
  if (dynamic_cast<const KeysBusy*>(&error) != nullptr) return true;
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
  return sql != nullptr && sql->sqlstate() == "55P03";  // lock_not_available (NOWAIT)
}

// Runs `body` in a transaction of its own and commits it; when a key it must lock is busy, rolls
// back (releasing every lock it took) and runs it again after a pause (2, 4, ... 64 ms; about
// 1.5 s in all), then throws KeysBusy. An apply never waits while it holds locks, so it can
// never deadlock with an application's statement, whose order of row lock and capture lock
// depends on the statement (an UPDATE locks the row, then its trigger the key; an INSERT ... ON
// CONFLICT DO UPDATE the key, then the conflicting row): the application is never the one
// PostgreSQL aborts (docs/connectors.md, "Locks").
template <typename Body>
auto InOwnTransaction(pqxx::connection& connection, std::atomic<std::int64_t>& retries,
                      Body&& body) {
  constexpr int kAttempts = 28;
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::work tx(connection);
      auto result = body(tx);
      tx.commit();
      return result;
    } catch (const std::exception& error) {
      if (!IsKeysBusy(error)) throw;
      if (attempt == kAttempts) throw KeysBusy();
    }
    ++retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(64, 1 << attempt)));
  }
}
// Per key: the applied etag, whether a local change is pending, the held state.
constexpr const char* kKeyStates = R"sql(
SELECT k.entity, k.external_id, coalesce(a.etag, 0),
       EXISTS (SELECT 1 FROM synchub_outbox o
                WHERE o.entity = k.entity AND o.external_id = k.external_id
                  AND o.sent_at IS NULL AND NOT o.parked),
       coalesce(h.etag, 0), h.record::text, t.version
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text)
  LEFT JOIN synchub_applied a USING (entity, external_id)
  LEFT JOIN synchub_held h USING (entity, external_id)
  LEFT JOIN synchub_tombstone t USING (entity, external_id))sql";
constexpr const char* kSaveHeld = R"sql(
INSERT INTO synchub_held (entity, external_id, etag, record)
SELECT entity, external_id, etag, record
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint, record jsonb)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = EXCLUDED.etag, record = EXCLUDED.record
 WHERE synchub_held.etag < EXCLUDED.etag)sql";
constexpr const char* kForgetHeld = R"sql(
DELETE FROM synchub_held h
 USING jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint)
 WHERE h.entity = k.entity AND h.external_id = k.external_id AND h.etag <= k.etag)sql";
// An answer is kept when newer than the held state and not older than the applied one.
constexpr const char* kHoldAnswers = R"sql(
INSERT INTO synchub_held (entity, external_id, etag, record)
SELECT k.entity, k.external_id, k.etag, k.record
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint, record jsonb)
 WHERE NOT EXISTS (SELECT 1 FROM synchub_applied a
                    WHERE a.entity = k.entity AND a.external_id = k.external_id AND a.etag > k.etag)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = EXCLUDED.etag, record = EXCLUDED.record
 WHERE synchub_held.etag < EXCLUDED.etag)sql";
// Answers equal to the row they came from (Incoming::equals_sent), for keys with nothing else
// pending: the row holds the state already; only the etag is recorded. Returns those keys.
constexpr const char* kApplyEqualAnswers = R"sql(
INSERT INTO synchub_applied (entity, external_id, etag)
SELECT k.entity, k.external_id, k.etag
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint)
 WHERE NOT EXISTS (SELECT 1 FROM synchub_outbox o
                    WHERE o.entity = k.entity AND o.external_id = k.external_id
                      AND o.sent_at IS NULL AND NOT o.parked)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = greatest(synchub_applied.etag, EXCLUDED.etag)
RETURNING entity, external_id)sql";
// Held states that can never apply: older than the applied state, or of an unmapped entity.
constexpr const char* kForgetStaleHeld = R"sql(
DELETE FROM synchub_held h
 WHERE NOT (h.entity IN (SELECT jsonb_array_elements_text($1::jsonb)))
    OR EXISTS (SELECT 1 FROM synchub_applied a
                WHERE a.entity = h.entity AND a.external_id = h.external_id AND a.etag > h.etag))sql";
constexpr const char* kSettledHeld = R"sql(
SELECT h.entity, h.external_id FROM synchub_held h
 WHERE NOT EXISTS (SELECT 1 FROM synchub_outbox o
                    WHERE o.entity = h.entity AND o.external_id = h.external_id
                      AND o.sent_at IS NULL AND NOT o.parked)
 ORDER BY h.entity, h.external_id LIMIT 200)sql";
constexpr const char* kSaveApplied = R"sql(
INSERT INTO synchub_applied (entity, external_id, etag)
SELECT entity, external_id, etag
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = EXCLUDED.etag)sql";
// The change applied last, by seq: the hub checks that its log still holds it at the next
// subscription (docs/design.md, "Reverse load").
constexpr const char* kSaveSeq = R"sql(
UPDATE synchub_connector
   SET last_seq = $1, last_entity = $2, last_external_id = $3, last_etag = $4
 WHERE last_seq < $1)sql";
// A reverse load ended: the stream starts afresh at the hub's position (nothing to check).
constexpr const char* kForgetSeq = R"sql(
UPDATE synchub_connector
   SET last_seq = 0, last_entity = NULL, last_external_id = NULL, last_etag = NULL)sql";

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

// The JSON kind a column gave a value back as: what must not change on the way in.
const char* JsonKind(const Json& value) {
  if (IsJsonNumber(value)) return "number";
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_null()) return "null";
  return value.is_array() ? "array" : "object";
}

// "" when every mapped column of `stored` holds the value of `intended` exactly; otherwise
// what differs. A value must come back as the same JSON kind (a number, boolean, object or
// array that a text column would turn into a string, or a string that a numeric column would
// turn into a number, changed type: captured again it would reach the hub as another value),
// a number as the same number (a column type may round or truncate it: numeric(p,s), float,
// integer), a string as the same string, and an object or array as an equal one (a json/jsonb
// column). Booleans of the same kind either fit or make PostgreSQL raise an error.
std::string InexactColumn(const EntityMapping& mapping, const Json& intended, const Json& stored) {
  for (const auto& [column, field] : mapping.columns_to_fields) {
    auto want = intended.find(column);
    if (want == intended.end() || want->is_null()) continue;
    auto got = stored.find(column);
    if (got != stored.end() && !got->is_null() &&
        std::string_view(JsonKind(*want)) != JsonKind(*got)) {
      return "column " + column + " cannot hold " + field + " = " + JsonText(*want) +
             " exactly (it would store the " + JsonKind(*got) + " " + JsonText(*got) + ")";
    }
    if (want->is_string()) {
      // A string comes back as the same string: a numeric column that reads "nan" as NaN, a
      // varchar(n) that drops trailing blanks, a char(n) that pads, a timestamp that rewrites
      // the text all store another value without raising an error.
      if (got == stored.end() || !got->is_string() || *got != *want) {
        return "column " + column + " cannot hold " + field + " = " + JsonText(*want) +
               " exactly (it would store " + (got == stored.end() ? "nothing" : JsonText(*got)) +
               ")";
      }
      continue;
    }
    if (!IsJsonNumber(*want) && !want->is_structured()) continue;
    if (got == stored.end() || !JsonEqual(*want, *got)) {
      // The texts only for the refusal: the rows that fit (nearly all) build none.
      return "column " + column + " cannot hold " + field + " = " +
             (IsJsonNumber(*want) ? NumberText(*want) : JsonText(*want)) +
             " exactly (it would store " + (got == stored.end() ? "nothing" : JsonText(*got)) + ")";
    }
  }
  return "";
}

// Runs `statement` for `rows` inside a savepoint; returns "" when it applied every row exactly,
// else the error (and the savepoint is rolled back: nothing of it stays).
std::string ApplyInSavepoint(pqxx::work& tx, const EntityMapping& mapping, bool upsert,
                             const std::vector<const InboundRow*>& rows, bool park_any) {
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
    const std::string& state = failure.sqlstate();
    if (!park_any && state.rfind("22", 0) != 0 && state.rfind("23", 0) != 0) throw;
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
  const std::optional<std::string> integer = IntegerText(NumberText(value));
  return integer ? ExactNumber(*integer) : value;
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
               const std::vector<InboundRow>& rows, bool park_any, ApplyResult* result) {
  std::vector<const InboundRow*> all;
  for (const auto& row : rows) all.push_back(&row);
  std::vector<const InboundRow*> failed_rows;
  if (!ApplyInSavepoint(tx, mapping, upsert, all, park_any).empty()) {
    for (const InboundRow* row : all) {
      std::string error = ApplyInSavepoint(tx, mapping, upsert, {row}, park_any);
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
  if (!result.applied.empty()) {
    tx.exec_params(kSaveApplied, JsonText(result.applied));
    tx.exec_params(kForgetHeld, JsonText(result.applied));
  }
  if (!result.tombstones.empty()) tx.exec_params(SaveTombstonesSql(), JsonText(result.tombstones));
}

constexpr const char* kParkedForRetry = R"sql(
SELECT p.id, p.entity, p.external_id, p.etag, p.record::text, coalesce(a.etag, 0)
  FROM synchub_inbound_parked p LEFT JOIN synchub_applied a USING (entity, external_id)
 WHERE NOT EXISTS (SELECT 1 FROM synchub_outbox o
                    WHERE o.entity = p.entity AND o.external_id = p.external_id
                      AND o.sent_at IS NULL AND NOT o.parked)
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

InboundApplier::Counts InboundApplier::ApplyIncoming(pqxx::work& tx,
                                                     const std::vector<Incoming>& incoming,
                                                     bool park_any) {
  tx.exec("SET LOCAL synchub.inbound = 'on'");
  Counts counts;
  if (incoming.empty()) return counts;
  // 1. Lock the local rows, in key order, then the keys' capture locks, without waiting: a
  //    local change in flight, even of a key no row holds yet, holds one of them, and the
  //    whole apply is tried again after it commits (InOwnTransaction), when it is seen as
  //    pending below; one started after waits for this transaction.
  std::map<std::string, Json> keys_by_entity;
  Json keys = Json::array();
  Json lock_names = Json::array();
  for (const auto& change : incoming)
    lock_names.push_back(change.entity + ":" + change.external_id);
  for (const auto& change : incoming) {
    auto& list = keys_by_entity[change.entity];
    if (list.is_null()) list = Json::array();
    list.push_back(change.external_id);
    keys.push_back({{"entity", change.entity}, {"external_id", change.external_id}});
  }
  std::map<std::pair<std::string, std::string>, std::int64_t> local_versions;
  for (const auto& [entity, list] : keys_by_entity) {
    const EntityMapping& mapping = *config_.ForEntity(entity);
    for (const auto& row : tx.exec_params(
             "SELECT " + mapping.key_column + "::text, coalesce(" + mapping.version_column +
                 ", 0) FROM " + mapping.table + " WHERE " + mapping.key_column +
                 "::text IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY " +
                 mapping.key_column + " FOR UPDATE NOWAIT",
             JsonText(list))) {
      local_versions[{entity, row[0].as<std::string>()}] = row[1].as<std::int64_t>();
    }
  }
  if (!tx.exec_params1(kTryLockKeys, JsonText(lock_names))[0].as<bool>()) throw KeysBusy();
  // 2. What this source knows of each key.
  std::map<std::pair<std::string, std::string>, std::pair<connector::KeyState, std::string>> states;
  std::map<std::pair<std::string, std::string>, std::int64_t> tombstones;
  for (const auto& row : tx.exec_params(kKeyStates, JsonText(keys))) {
    connector::KeyState state;
    state.applied_etag = row[2].as<std::int64_t>();
    state.local_pending = row[3].as<bool>();
    state.held_etag = row[4].as<std::int64_t>();
    std::pair<std::string, std::string> key{row[0].as<std::string>(), row[1].as<std::string>()};
    if (!row[6].is_null()) tombstones[key] = row[6].as<std::int64_t>();
    states[key] = {state, row[5].is_null() ? std::string() : row[5].as<std::string>()};
  }
  // 3. Decide per change (sync_decisions.hpp).
  const ColumnTypeMap& types = ColumnTypes(tx);
  std::map<std::string, std::vector<InboundRow>> upserts;
  std::map<std::string, std::vector<InboundRow>> deletes;
  Json held = Json::array();
  Json parked = Json::array();
  std::map<std::string, Json> kept;  // entity -> keys a load keeps (queued to the hub)
  auto park = [&](const InboundRow& row, const std::string& error) {
    parked.push_back({{"entity", row.entity},
                      {"external_id", row.external_id},
                      {"etag", row.etag},
                      {"record", row.record},
                      {"error", error}});
  };
  for (const auto& change : incoming) {
    auto& [state, held_text] = states[{change.entity, change.external_id}];
    const EntityMapping& mapping = *config_.ForEntity(change.entity);
    const bool readable = change.record.is_object() && change.record.contains("version");
    if (change.etag > 0 && !readable) {
      InboundRow unreadable;
      unreadable.entity = change.entity;
      unreadable.external_id = change.external_id;
      unreadable.etag = change.etag;
      unreadable.record = Json{{"unreadable", JsonText(change.record)}};
      park(unreadable, "the delivered record is not a canonical record");
      continue;
    }
    std::int64_t apply_etag = 0;
    Json apply_record;
    if (change.mode == Incoming::Mode::kLoad || change.mode == Incoming::Mode::kRepair) {
      // A reverse load's record, or a repair reconcile decided on: the canonical state is
      // written whatever etag was applied before (the hub's history may have been restored).
      const std::pair<std::string, std::string> key{change.entity, change.external_id};
      connector::LocalCopy local;
      if (auto it = local_versions.find(key); it != local_versions.end()) {
        local.row_version = it->second;
      }
      if (auto it = tombstones.find(key); it != tombstones.end()) {
        local.tombstone_version = it->second;
      }
      connector::LoadAction action =
          change.mode == Incoming::Mode::kRepair
              ? (state.local_pending ? connector::LoadAction::kHold : connector::LoadAction::kApply)
              : connector::DecideLoad(state, local, change.record.value("version", std::int64_t{0}),
                                      change.record.value("deleted", false));
      // A state older than the one applied here (an answer or a delivery overtook the page, or
      // the record reconcile read) is not written back over it; after a restore of the hub
      // (reset) the applied etags are the old hub's and mean nothing.
      if (action == connector::LoadAction::kApply && !change.reset &&
          change.etag < state.applied_etag) {
        continue;
      }
      if (action == connector::LoadAction::kApply) {
        apply_etag = change.etag;
        apply_record = change.record;
      } else if (action == connector::LoadAction::kHold && change.etag > state.held_etag) {
        held.push_back({{"entity", change.entity},
                        {"external_id", change.external_id},
                        {"etag", change.etag},
                        {"record", change.record}});
        ++counts.held;
      } else if (action == connector::LoadAction::kKeepLocal) {
        // Queued to go to the hub (below): pending from now on, so no delivery overwrites it
        // and the ladder decides.
        ++counts.kept;
        if (counts.kept_keys.size() < 10) counts.kept_keys.push_back(change.external_id);
        auto& list = kept[change.entity];
        if (list.is_null()) list = Json::array();
        list.push_back(change.external_id);
      }
    } else if (change.mode == Incoming::Mode::kDelivery) {
      switch (connector::DecideInbound(state, change.etag)) {
        case connector::InboundAction::kApply:
          apply_etag = change.etag;
          apply_record = change.record;
          break;
        case connector::InboundAction::kHold:
          if (change.etag > state.held_etag) {
            held.push_back({{"entity", change.entity},
                            {"external_id", change.external_id},
                            {"etag", change.etag},
                            {"record", change.record}});
            ++counts.held;
          }
          break;
        case connector::InboundAction::kSkipOlder:
          break;
      }
    } else {
      // The hub's answer to a local change (or a periodic settle, etag 0): the newest of it
      // and the held state is applied once nothing of the key is pending any more.
      const std::int64_t etag = connector::StateToApplyOnAnswer(state, readable ? change.etag : 0);
      if (etag != 0 && readable && etag == change.etag) {
        apply_etag = etag;
        apply_record = change.record;
      } else if (etag != 0) {
        apply_etag = etag;
        apply_record = TryParseStoredJson(held_text);
      } else if (readable && state.local_pending && change.etag > state.held_etag &&
                 change.etag >= state.applied_etag) {
        held.push_back({{"entity", change.entity},
                        {"external_id", change.external_id},
                        {"etag", change.etag},
                        {"record", change.record}});
        ++counts.held;
      }
    }
    if (apply_etag == 0 || !apply_record.is_object()) continue;
    InboundRow row =
        BuildRow(mapping, types, change.external_id, apply_etag, std::move(apply_record));
    (row.deleted ? deletes : upserts)[change.entity].push_back(std::move(row));
  }
  // 4. Apply: one statement per entity under a savepoint; failing rows are parked.
  ApplyResult result;
  for (const auto& [entity, rows] : upserts) {
    ApplyRows(tx, entity, *config_.ForEntity(entity), true, rows, park_any, &result);
  }
  for (const auto& [entity, rows] : deletes) {
    ApplyRows(tx, entity, *config_.ForEntity(entity), false, rows, park_any, &result);
  }
  for (const auto& [row, error] : result.failed) park(*row, error);
  SaveApplied(tx, result);
  if (!held.empty()) tx.exec_params(kSaveHeld, JsonText(held));
  if (!parked.empty()) tx.exec_params(kParkInbound, JsonText(parked));
  for (const auto& [entity, keys_kept] : kept) {
    tx.exec_params(QueueLocalRowsSql(*config_.ForEntity(entity)), JsonText(keys_kept),
                   config_.source + "-row-", std::optional<std::string>());
  }
  if (!kept.empty()) tx.exec("SELECT pg_notify('synchub_outbox', '')");
  counts.applied = static_cast<int>(result.applied.size());
  counts.parked = static_cast<int>(parked.size());
  return counts;
}

StatusOr<int> InboundApplier::Apply(pqxx::connection& connection, const v1::Deliver& deliver) {
  const std::uint64_t first_seq = deliver.changes_size() > 0 ? deliver.changes(0).seq() : 0;
  if (first_seq != failing_first_seq_) failed_attempts_ = 0;
  try {
    const int applied = InOwnTransaction(connection, busy_retries_, [&](pqxx::work& tx) {
      const v1::OutboundChange* last = nullptr;  // the change with the highest seq
      // The newest change per record this source holds.
      std::map<std::pair<std::string, std::string>, const v1::OutboundChange*> newest;
      for (const auto& change : deliver.changes()) {
        if (last == nullptr || change.seq() > last->seq()) last = &change;
        if (config_.ForEntity(change.entity()) == nullptr) continue;  // not held here
        auto& slot = newest[{change.entity(), change.external_id()}];
        if (slot == nullptr || slot->etag() <= change.etag()) slot = &change;
      }
      std::vector<Incoming> incoming;
      for (const auto& [key, change] : newest) {
        Json record = TryParseStoredJson(change->record_json());
        if (!record.is_object()) record = Json(change->record_json());
        incoming.push_back({key.first, key.second, static_cast<std::int64_t>(change->etag()),
                            std::move(record), Incoming::Mode::kDelivery});
      }
      const Counts counts =
          ApplyIncoming(tx, incoming, connector::ParkAnyFailure(failed_attempts_));
      if (last != nullptr) {
        tx.exec_params(kSaveSeq, static_cast<std::int64_t>(last->seq()), last->entity(),
                       last->external_id(), last->etag());
      }
      return counts.applied;
    });
    failed_attempts_ = 0;
    return applied;
  } catch (const std::exception& error) {
    failing_first_seq_ = first_seq;
    // Busy keys are the application at work, not a failing change: never a step to parking.
    if (!IsKeysBusy(error)) ++failed_attempts_;
    return StatusFromPgException(error, "applying inbound changes");
  }
}

StatusOr<InboundApplier::ResumePoint> InboundApplier::LastApplied(pqxx::connection& connection) {
  try {
    pqxx::read_transaction tx(connection);
    auto rows = tx.exec(
        "SELECT last_seq, coalesce(last_entity, ''), coalesce(last_external_id, ''), "
        "coalesce(last_etag, 0) FROM synchub_connector LIMIT 1");
    ResumePoint point;
    if (rows.empty()) return point;
    point.seq = rows[0][0].as<std::uint64_t>();
    point.entity = rows[0][1].as<std::string>();
    point.external_id = rows[0][2].as<std::string>();
    point.etag = rows[0][3].as<std::int64_t>();
    return point;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the last applied change");
  }
}

StatusOr<InboundApplier::Counts> InboundApplier::ApplyLoad(pqxx::connection& connection,
                                                           const v1::LoadPage& page) {
  try {
    return InOwnTransaction(connection, busy_retries_, [&](pqxx::work& tx) {
      std::vector<Incoming> incoming;
      for (const auto& change : page.records()) {
        if (config_.ForEntity(change.entity()) == nullptr) continue;  // not held here
        Json record = TryParseStoredJson(change.record_json());
        if (!record.is_object()) record = Json(change.record_json());
        Incoming load{change.entity(), change.external_id(),
                      static_cast<std::int64_t>(change.etag()), std::move(record),
                      Incoming::Mode::kLoad};
        load.reset = page.reset();
        incoming.push_back(std::move(load));
      }
      Counts counts = ApplyIncoming(tx, incoming, /*park_any=*/false);
      if (page.last()) tx.exec(kForgetSeq);
      return counts;
    });
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "applying a reverse load");
  }
}

StatusOr<InboundApplier::Counts> InboundApplier::ApplyRepair(pqxx::connection& connection,
                                                             const std::vector<Incoming>& records) {
  try {
    return InOwnTransaction(connection, busy_retries_, [&](pqxx::work& tx) {
      std::vector<Incoming> incoming = records;
      for (auto& record : incoming) record.mode = Incoming::Mode::kRepair;
      return ApplyIncoming(tx, incoming, /*park_any=*/false);
    });
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "repairing rows");
  }
}

void InboundApplier::HoldAnswers(pqxx::work& tx, const std::vector<Incoming>& answers) {
  // The newest answer per key (one statement cannot upsert a key twice).
  std::map<std::pair<std::string, std::string>, const Incoming*> newest;
  for (const auto& answer : answers) {
    auto& slot = newest[{answer.entity, answer.external_id}];
    if (slot == nullptr || slot->etag < answer.etag) slot = &answer;
  }
  Json equal = Json::array();
  for (const auto& [key, answer_ptr] : newest) {
    if (!answer_ptr->equals_sent) continue;
    equal.push_back(
        {{"entity", key.first}, {"external_id", key.second}, {"etag", answer_ptr->etag}});
  }
  if (!equal.empty()) {
    for (const auto& row : tx.exec_params(kApplyEqualAnswers, JsonText(equal))) {
      newest.erase({row[0].as<std::string>(), row[1].as<std::string>()});
    }
  }
  Json held = Json::array();
  for (const auto& [key, answer_ptr] : newest) {
    const Incoming& answer = *answer_ptr;
    held.push_back({{"entity", answer.entity},
                    {"external_id", answer.external_id},
                    {"etag", answer.etag},
                    {"record", answer.record}});
  }
  if (!held.empty()) tx.exec_params(kHoldAnswers, JsonText(held));
}

StatusOr<int> InboundApplier::SettleHeld(pqxx::connection& connection) {
  try {
    const int applied = InOwnTransaction(connection, busy_retries_, [&](pqxx::work& tx) {
      Json entities = Json::array();
      for (const auto& mapping : config_.entities) entities.push_back(mapping.entity);
      tx.exec_params(kForgetStaleHeld, JsonText(entities));
      std::vector<Incoming> incoming;
      for (const auto& row : tx.exec(kSettledHeld)) {
        incoming.push_back({row[0].as<std::string>(), row[1].as<std::string>(), 0, Json(),
                            Incoming::Mode::kAnswer});
      }
      return ApplyIncoming(tx, incoming, connector::ParkAnyFailure(failed_settles_)).applied;
    });
    failed_settles_ = 0;
    return applied;
  } catch (const std::exception& error) {
    if (!IsKeysBusy(error)) ++failed_settles_;
    return StatusFromPgException(error, "applying held inbound changes");
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
      ApplyRows(tx, entity, *mapping, !rows.front().deleted, rows, /*park_any=*/false, &result);
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
