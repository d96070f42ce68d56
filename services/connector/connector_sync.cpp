#include "connector/connector_sync.hpp"

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
constexpr const char* kMarkSent = "UPDATE synchub_outbox SET sent_at = now() WHERE id = $1";
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
constexpr const char* kDelay =
    "UPDATE synchub_outbox SET next_attempt_at = now() + interval '1 second' WHERE id = $1";
constexpr const char* kAppliedEtag =
    "SELECT etag FROM synchub_applied WHERE entity = $1 AND external_id = $2";
constexpr const char* kSaveApplied = R"sql(
INSERT INTO synchub_applied (entity, external_id, etag) VALUES ($1, $2, $3)
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
    for (int i = 0; i < reply->results_size(); ++i) {
      const v1::ResolutionResult& result = reply->results(i);
      const std::int64_t id = ids[static_cast<std::size_t>(i)];
      if (result.error().code() == v1::STATUS_CODE_OK) {
        tx.exec_params(kMarkSent, id);  // decided at the hub (any outcome, dead letters too)
        ++sent;
      } else if (result.error().code() == v1::STATUS_CODE_INVALID_ARGUMENT) {
        tx.exec_params(kMarkFailed, id, result.error().message(), kMaxPushAttempts,
                       config_.push_backoff_ms);
      } else {
        tx.exec_params(kDelay, id);
      }
    }
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
                    {"fields", Json::parse(row[5].as<std::string>())}};
      v1::DeadLetterReport report;
      report.set_event_id(event["eventId"].get<std::string>());
      report.set_event_json(event.dump(-1, ' ', false, Json::error_handler_t::replace));
      report.set_reason("CONNECTOR_PUSH_FAILED");
      report.set_detail(row[7].as<std::string>());
      report.set_attempts(row[6].as<int>());
      auto id = hub_.ReportDeadLetter(report);
      if (!id.ok()) break;  // the hub is away: report on a later round
      tx.exec_params(kMarkReported, row[0].as<std::int64_t>());
      ++reported;
    }
    tx.commit();
    return reported;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reporting parked rows");
  }
}

StatusOr<int> InboundApplier::Apply(pqxx::connection& connection, const v1::Deliver& deliver) {
  try {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL synchub.inbound = 'on'");
    int changed = 0;
    std::uint64_t last_seq = 0;
    for (const auto& change : deliver.changes()) {
      last_seq = std::max(last_seq, change.seq());
      const EntityMapping* mapping = config_.ForEntity(change.entity());
      if (mapping == nullptr) continue;  // an entity this source does not hold
      auto applied = tx.exec_params(kAppliedEtag, change.entity(), change.external_id());
      // Older than what was applied: a late redelivery, skipped. The same etag is applied
      // again (it is idempotent): the hub sends a record back unchanged when the local copy
      // went astray (a stale local edit), and the local row must return to it.
      if (!applied.empty() && applied[0][0].as<std::int64_t>() > change.etag()) continue;
      const Json record = Json::parse(change.record_json(), nullptr, false);
      if (!record.is_object()) continue;
      if (record.value("deleted", false)) {
        tx.exec_params(DeleteSql(*mapping), change.external_id());
      } else {
        Json row = Json::object();
        row[mapping->key_column] = change.external_id();
        row[mapping->version_column] = record.value("version", std::int64_t{0});
        const Json fields = record.value("fields", Json::object());
        for (const auto& [column, field] : mapping->columns_to_fields) {
          row[column] = fields.contains(field) ? fields[field] : Json();
        }
        tx.exec_params(UpsertSql(*mapping), row.dump());
      }
      tx.exec_params(kSaveApplied, change.entity(), change.external_id(), change.etag());
      ++changed;
    }
    tx.exec_params(kSaveSeq, static_cast<std::int64_t>(last_seq));
    tx.commit();
    return changed;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "applying inbound changes");
  }
}

}  // namespace synchub
