#include "resolver/pg/log_verifier.hpp"

#include <map>
#include <optional>
#include <set>

#include "common/core/event_parse.hpp"
#include "common/core/record.hpp"
#include "common/pg/pg_errors.hpp"
#include "resolver/core/log_replay.hpp"

namespace synchub {
namespace {

constexpr const char* kDecidedIds = R"sql(
WITH ids AS (SELECT jsonb_array_elements_text($1::jsonb) AS event_id)
SELECT event_id FROM resolution_log JOIN ids USING (event_id)
UNION ALL SELECT event_id FROM dead_letter JOIN ids USING (event_id)
UNION ALL SELECT event_id FROM deferred_event JOIN ids USING (event_id))sql";

constexpr const char* kLogOfKeys = R"sql(
SELECT r.seq, r.event::text, r.outcome, r.record_after::text
  FROM resolution_log r
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id)
 ORDER BY r.seq)sql";

constexpr const char* kLogOfAll = R"sql(
SELECT seq, event::text, outcome, record_after::text FROM resolution_log ORDER BY seq)sql";

// Where retention cut a record's log: its state after the last dropped event.
constexpr const char* kCheckpointsOfKeys = R"sql(
SELECT c.entity, c.external_id, c.seq, c.record::text
  FROM record_checkpoint c
  JOIN jsonb_to_recordset($1::jsonb) AS k(entity text, external_id text) USING (entity, external_id))sql";

constexpr const char* kCheckpointsOfAll = R"sql(
SELECT entity, external_id, seq, record::text FROM record_checkpoint)sql";

constexpr const char* kRecord = R"sql(
SELECT fields::text, provenance::text, version, last_source, field_versions::text
  FROM canonical_record
 WHERE entity = $1 AND external_id = $2)sql";

}  // namespace

StatusOr<LogVerification> VerifyResolutionLog(pqxx::connection& connection, const Catalog& catalog,
                                              const std::vector<std::string>& acknowledged,
                                              const std::vector<RecordKey>& keys) {
  LogVerification report;
  report.acknowledged = acknowledged.size();
  try {
    pqxx::read_transaction tx(connection);
    constexpr std::size_t kChunk = 5000;
    for (std::size_t start = 0; start < acknowledged.size(); start += kChunk) {
      Json chunk = Json::array();
      for (std::size_t i = start; i < std::min(acknowledged.size(), start + kChunk); ++i) {
        chunk.push_back(acknowledged[i]);
      }
      std::set<std::string> found;
      for (const auto& row : tx.exec_params(kDecidedIds, JsonText(chunk))) {
        found.insert(row[0].as<std::string>());
      }
      for (const auto& id : chunk) {
        if (found.count(id.get<std::string>()) == 0) report.missing.push_back(id);
      }
    }

    std::map<RecordKey, std::vector<LoggedResolution>> logs;
    auto add_rows = [&](const pqxx::result& rows) {
      for (const auto& row : rows) {
        LoggedResolution logged;
        logged.seq = row[0].as<std::int64_t>();
        logged.event = EventFromStoredJson(ParseStoredJson(row[1].as<std::string>()));
        logged.outcome = row[2].as<std::string>();
        if (!row[3].is_null()) logged.record_after = ParseStoredJson(row[3].as<std::string>());
        RecordKey key(logged.event.entity, logged.event.external_id);
        logs[key].push_back(std::move(logged));
      }
    };
    // A record whose log retention cut replays from its checkpoint (sql/008_log_retention.sql).
    std::map<RecordKey, std::optional<CanonicalRecord>> starts;
    auto add_checkpoints = [&](const pqxx::result& rows) {
      for (const auto& row : rows) {
        RecordKey key(row[0].as<std::string>(), row[1].as<std::string>());
        std::optional<CanonicalRecord> start;
        if (!row[3].is_null()) {
          auto record = RecordFromJson(ParseStoredJson(row[3].as<std::string>()));
          if (!record.ok()) {
            report.mismatches.push_back(key.second +
                                        ": unreadable checkpoint: " + record.status().message());
            continue;
          }
          start = std::move(record).value();
        }
        starts[key] = std::move(start);
        logs[key];  // replayed (and compared) even when no event is left after it
      }
    };
    if (keys.empty()) {
      add_rows(tx.exec(kLogOfAll));
      add_checkpoints(tx.exec(kCheckpointsOfAll));
    } else {
      Json array = Json::array();
      for (const auto& [entity, external_id] : keys) {
        array.push_back({{"entity", entity}, {"external_id", external_id}});
      }
      add_rows(tx.exec_params(kLogOfKeys, JsonText(array)));
      add_checkpoints(tx.exec_params(kCheckpointsOfKeys, JsonText(array)));
    }
    for (const auto& [key, log] : logs) {
      auto start = starts.find(key);
      RecordReplay replay =
          ReplayRecordLog(log, catalog, start == starts.end() ? std::nullopt : start->second);
      ++report.records_checked;
      report.events_replayed += log.size();
      for (auto& mismatch : replay.mismatches) report.mismatches.push_back(std::move(mismatch));
      auto rows = tx.exec_params(kRecord, key.first, key.second);
      if (!replay.final_record) {
        if (!rows.empty()) report.mismatches.push_back(key.second + ": record without a creator");
        continue;
      }
      if (rows.empty()) {
        report.mismatches.push_back(key.second + ": replayed record missing from the store");
        continue;
      }
      const CanonicalRecord& record = *replay.final_record;
      Json fields = Json::object();
      for (const auto& [name, value] : record.fields) fields[name] = value;
      Json provenance = Json::object();
      for (const auto& [name, source] : record.provenance) provenance[name] = source;
      Json versions = Json::object();
      for (const auto& [name, value] : record.fields) versions[name] = record.FieldVersion(name);
      Json stored_versions = ParseStoredJson(rows[0][4].as<std::string>());
      for (const auto& [name, value] : record.fields) {
        if (!stored_versions.contains(name)) stored_versions[name] = rows[0][2].as<std::int64_t>();
      }
      if (!JsonEqual(stored_versions, versions) ||
          !JsonEqual(ParseStoredJson(rows[0][0].as<std::string>()), fields) ||
          !JsonEqual(ParseStoredJson(rows[0][1].as<std::string>()), provenance) ||
          rows[0][2].as<std::int64_t>() != record.version ||
          rows[0][3].as<std::string>() != record.last_source) {
        report.mismatches.push_back(key.second + ": canonical record differs from the replay");
      }
    }
    return report;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "verifying the resolution log");
  }
}

}  // namespace synchub
