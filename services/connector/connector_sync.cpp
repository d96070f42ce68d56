#include "connector/connector_sync.hpp"

#include <map>

#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

constexpr const char* kDueRows = R"sql(
SELECT o.id, o.entity, o.external_id, o.op, o.version, o.fields::text, o.retry_count,
       (SELECT installation FROM synchub_connector LIMIT 1)
  FROM synchub_outbox o
 WHERE o.sent_at IS NULL AND NOT o.parked AND o.next_attempt_at <= now()
 ORDER BY o.id
 LIMIT 200)sql";
constexpr const char* kMarkSent = R"sql(
UPDATE synchub_outbox SET sent_at = now()
 WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint))sql";
constexpr const char* kMarkFailed = R"sql(
UPDATE synchub_outbox
   SET retry_count = retry_count + 1, last_error = $2,
       parked = retry_count + 1 >= $3,
       next_attempt_at = now() + least(60000, $4 * power(2, retry_count)) * interval '1 millisecond'
 WHERE id = $1)sql";
constexpr const char* kParkedUnreported = R"sql(
SELECT o.id, o.entity, o.external_id, o.op, o.version, o.fields::text, o.retry_count,
       coalesce(o.last_error, ''), (SELECT installation FROM synchub_connector LIMIT 1)
  FROM synchub_outbox o WHERE o.parked AND o.reported_at IS NULL ORDER BY o.id LIMIT 50)sql";
constexpr const char* kMarkReported = "UPDATE synchub_outbox SET reported_at = now() WHERE id = $1";
constexpr const char* kInboundParkedUnreported = R"sql(
SELECT p.id, p.entity, p.external_id, p.record::text, p.error,
       (SELECT installation FROM synchub_connector LIMIT 1)
  FROM synchub_inbound_parked p WHERE p.reported_at IS NULL ORDER BY p.id LIMIT 50)sql";
constexpr const char* kMarkInboundReported =
    "UPDATE synchub_inbound_parked SET reported_at = now() WHERE id = $1";
constexpr const char* kDelay =
    "UPDATE synchub_outbox SET next_attempt_at = now() + interval '1 second' WHERE id = $1";
constexpr const char* kAppliedEtags = R"sql(
SELECT a.entity, a.external_id, a.etag FROM synchub_applied a
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id))sql";
constexpr const char* kSaveApplied = R"sql(
INSERT INTO synchub_applied (entity, external_id, etag)
SELECT entity, external_id, etag
  FROM jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text, etag bigint)
ON CONFLICT (entity, external_id) DO UPDATE SET etag = EXCLUDED.etag)sql";
constexpr const char* kSaveSeq = "UPDATE synchub_connector SET last_seq = greatest(last_seq, $1)";

}  // namespace

std::string OutboxPusher::EventIdOf(const std::string& installation,
                                    const std::string& outbox_id) const {
  return config_.source + "-" + installation.substr(0, 12) + "-" + outbox_id;
}

OutboxPusher::OutboxPusher(const ConnectorConfig& config, zmq::context_t& context)
    : config_(config), hub_(context, {{config.submit_endpoint}, std::chrono::seconds(5), 2}) {}

StatusOr<int> OutboxPusher::PushOnce(pqxx::connection& connection) {
  try {
    std::vector<std::int64_t> ids;
    std::vector<v1::Event> events;
    {
      pqxx::read_transaction tx(connection);
      for (const auto& row : tx.exec(kDueRows)) {
        v1::Event event;
        ids.push_back(row[0].as<std::int64_t>());
        event.set_event_id(EventIdOf(row[7].as<std::string>(), row[0].as<std::string>()));
        event.set_entity(row[1].as<std::string>());
        event.set_external_id(row[2].as<std::string>());
        event.set_source(config_.source);
        event.set_version(row[4].as<std::int64_t>());
        event.set_op(row[3].as<std::string>() == "delete" ? v1::OP_DELETE : v1::OP_UPSERT);
        event.set_fields_json(row[5].as<std::string>());
        events.push_back(std::move(event));
      }
    }
    if (events.empty()) return 0;
    auto reply = hub_.Submit(events);
    pqxx::work tx(connection);
    if (!reply.ok()) {
      for (std::int64_t id : ids) tx.exec_params(kDelay, id);
      tx.commit();
      return reply.status();
    }
    int sent = 0;
    Json sent_ids = Json::array();
    for (int i = 0; i < reply->results_size(); ++i) {
      const v1::ResolutionResult& result = reply->results(i);
      const std::int64_t id = ids[static_cast<std::size_t>(i)];
      if (result.error().code() == v1::STATUS_CODE_OK) {
        sent_ids.push_back(id);  // decided at the hub (any outcome, dead letters too)
        ++sent;
      } else if (result.error().code() == v1::STATUS_CODE_INVALID_ARGUMENT) {
        tx.exec_params(kMarkFailed, id, result.error().message(), kMaxPushAttempts,
                       config_.push_backoff_ms);
      } else {
        tx.exec_params(kDelay, id);
      }
    }
    if (!sent_ids.empty()) tx.exec_params(kMarkSent, JsonText(sent_ids));
    tx.commit();
    return sent;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "pushing the outbox");
  }
}

StatusOr<int> OutboxPusher::ReportParked(pqxx::connection& connection) {
  try {
    int reported = 0;
    pqxx::work tx(connection);
    for (const auto& row : tx.exec(kParkedUnreported)) {
      Json event = {{"eventId", EventIdOf(row[8].as<std::string>(), row[0].as<std::string>())},
                    {"entity", row[1].as<std::string>()},
                    {"externalId", row[2].as<std::string>()},
                    {"source", config_.source},
                    {"version", row[4].as<std::int64_t>()},
                    {"op", row[3].as<std::string>()},
                    {"fields", ParseStoredJson(row[5].as<std::string>())}};
      v1::DeadLetterReport report;
      report.set_event_id(event["eventId"].get<std::string>());
      report.set_event_json(JsonText(event));
      report.set_reason("CONNECTOR_PUSH_FAILED");
      report.set_detail(row[7].as<std::string>());
      report.set_attempts(row[6].as<int>());
      auto id = hub_.ReportDeadLetter(report);
      if (!id.ok()) break;  // the hub is away: report on a later round
      tx.exec_params(kMarkReported, row[0].as<std::int64_t>());
      ++reported;
    }
    // Inbound changes this database could not hold exactly: the record as delivered, under
    // an event id of this installation ("<source>-<installation>-in-<id>").
    for (const auto& row : tx.exec(kInboundParkedUnreported)) {
      const Json record = ParseStoredJson(row[3].as<std::string>());
      Json event = {
          {"eventId", EventIdOf(row[5].as<std::string>(), "in-" + row[0].as<std::string>())},
          {"entity", row[1].as<std::string>()},
          {"externalId", row[2].as<std::string>()},
          {"source", record.value("lastSource", config_.source)},
          {"version", record.value("version", std::int64_t{0})},
          {"op", record.value("deleted", false) ? "delete" : "upsert"},
          {"fields", record.value("fields", Json::object())}};
      v1::DeadLetterReport report;
      report.set_event_id(event["eventId"].get<std::string>());
      report.set_event_json(JsonText(event));
      report.set_reason("CONNECTOR_APPLY_FAILED");
      report.set_detail(config_.source + ": " + row[4].as<std::string>());
      report.set_attempts(1);
      auto id = hub_.ReportDeadLetter(report);
      if (!id.ok()) break;
      tx.exec_params(kMarkInboundReported, row[0].as<std::int64_t>());
      ++reported;
    }
    tx.commit();
    return reported;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reporting parked rows");
  }
}

namespace {

// One record to apply: the row for the upsert (or the key for a delete) and what it came from.
struct InboundRow {
  std::string external_id;
  std::int64_t etag = 0;
  std::int64_t version = 0;
  Json row;     // {column: value} for an upsert
  Json record;  // the canonical record as delivered
};

// "" when every mapped column of `stored` holds the value of `intended` exactly; otherwise
// what differs. Numbers are checked (a column type may round or truncate them: numeric(p,s),
// float, integer); other values either fit or make PostgreSQL raise an error.
std::string InexactColumn(const EntityMapping& mapping, const Json& intended, const Json& stored) {
  for (const auto& [column, field] : mapping.columns_to_fields) {
    auto want = intended.find(column);
    if (want == intended.end() || !IsJsonNumber(*want)) continue;
    auto got = stored.find(column);
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

}  // namespace

const std::map<std::pair<std::string, std::string>, std::string>& InboundApplier::ColumnTypes(
    pqxx::work& tx) {
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
    for (const auto& [key, change] : newest) {
      // Older than what was applied: a late redelivery, skipped. The same etag is applied
      // again (it is idempotent): the hub sends a record back unchanged when the local copy
      // went astray (a stale local edit), and the local row must return to it.
      auto known = applied_etags.find(key);
      if (known != applied_etags.end() && known->second > change->etag()) continue;
      InboundRow row;
      row.external_id = key.second;
      row.etag = static_cast<std::int64_t>(change->etag());
      row.record = TryParseStoredJson(change->record_json());
      if (!row.record.is_object() || !row.record.contains("version")) {
        row.record = Json{{"unreadable", change->record_json()}};
        park(key.first, row, "the delivered record is not a canonical record");
        continue;
      }
      row.version = row.record.value("version", std::int64_t{0});
      const EntityMapping& mapping = *config_.ForEntity(key.first);
      if (row.record.value("deleted", false)) {
        deletes[key.first].push_back(std::move(row));
        continue;
      }
      row.row = Json::object();
      row.row[mapping.key_column] = key.second;
      row.row[mapping.version_column] = row.version;
      const Json fields = row.record.value("fields", Json::object());
      const auto& types = ColumnTypes(tx);
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
      upserts[key.first].push_back(std::move(row));
    }
    // Each statement runs in a savepoint; when it fails or a value would not be kept exactly,
    // the rows are applied one by one and the failing ones are parked, never half-applied.
    Json applied = Json::array();
    Json tombstones = Json::array();
    auto apply_all = [&](std::map<std::string, std::vector<InboundRow>>& by_entity, bool upsert) {
      for (const auto& [entity, rows] : by_entity) {
        const EntityMapping& mapping = *config_.ForEntity(entity);
        std::vector<const InboundRow*> all;
        for (const auto& row : rows) all.push_back(&row);
        std::vector<std::pair<const InboundRow*, std::string>> failed;
        if (!ApplyInSavepoint(tx, mapping, upsert, all).empty()) {
          for (const InboundRow* row : all) {
            std::string error = ApplyInSavepoint(tx, mapping, upsert, {row});
            if (!error.empty()) failed.emplace_back(row, std::move(error));
          }
        }
        for (const InboundRow* row : all) {
          bool row_failed = false;
          for (const auto& [bad, error] : failed) {
            if (bad == row) {
              park(entity, *row, error);
              row_failed = true;
            }
          }
          if (row_failed) continue;
          applied.push_back(
              {{"entity", entity}, {"external_id", row->external_id}, {"etag", row->etag}});
          if (!upsert) {
            tombstones.push_back(
                {{"entity", entity}, {"external_id", row->external_id}, {"version", row->version}});
          }
        }
      }
    };
    apply_all(upserts, true);
    apply_all(deletes, false);
    if (!applied.empty()) tx.exec_params(kSaveApplied, JsonText(applied));
    if (!tombstones.empty()) tx.exec_params(SaveTombstonesSql(), JsonText(tombstones));
    if (!parked.empty()) tx.exec_params(kParkInbound, JsonText(parked));
    tx.exec_params(kSaveSeq, static_cast<std::int64_t>(last_seq));
    tx.commit();
    return static_cast<int>(applied.size());
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "applying inbound changes");
  }
}

}  // namespace synchub
