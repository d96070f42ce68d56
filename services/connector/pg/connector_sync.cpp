#include "connector/pg/connector_sync.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

// Up to 200 due rows, and no more than about 4 MiB of fields (every row that starts below
// 4 MiB; the first always): one push is one ZeroMQ message, which the gateway's entrance
// refuses over 16 MiB (ZMQ_MAXMSGSIZE), and a refused push would be resent as it was forever.
constexpr const char* kDueRows = R"sql(
SELECT o.id, o.entity, o.external_id, o.op, o.version, o.fields_text, o.retry_count,
       (SELECT installation FROM synchub_connector LIMIT 1), o.event_id
  FROM (SELECT o.*, o.fields::text AS fields_text,
               sum(octet_length(o.fields::text)) OVER (ORDER BY o.id) AS running
          FROM synchub_outbox o
         WHERE o.sent_at IS NULL AND NOT o.parked AND o.next_attempt_at <= now()
         ORDER BY o.id
         LIMIT 200) o
 WHERE o.running - octet_length(o.fields_text) < 4194304
 ORDER BY o.id)sql";
constexpr const char* kMarkSent = R"sql(
UPDATE synchub_outbox o
   SET sent_at = now(), outcome = s.outcome, duplicate = s.duplicate, changed = s.changed
  FROM jsonb_to_recordset($1::jsonb) AS s(id bigint, outcome text, duplicate boolean,
                                          changed boolean)
 WHERE o.id = s.id)sql";
// One pusher at a time per database (`run` and `snapshot` or `reconcile` may both be running):
// two pushers would reorder a key's changes. Held by the pushing session for one round.
constexpr std::int64_t kPushLock = 7366;
// A rejected push: $3 parks the row, $4 is the delay before the next push (push_decisions.hpp).
constexpr const char* kMarkFailed = R"sql(
UPDATE synchub_outbox
   SET retry_count = retry_count + 1, last_error = $2, parked = $3,
       next_attempt_at = now() + $4 * interval '1 millisecond'
 WHERE id = $1)sql";
constexpr const char* kParkedUnreported = R"sql(
SELECT o.id, o.entity, o.external_id, o.op, o.version, o.fields::text, o.retry_count,
       coalesce(o.last_error, ''), (SELECT installation FROM synchub_connector LIMIT 1), o.event_id
  FROM synchub_outbox o WHERE o.parked AND o.reported_at IS NULL ORDER BY o.id LIMIT 50)sql";
constexpr const char* kMarkReported = "UPDATE synchub_outbox SET reported_at = now() WHERE id = $1";
constexpr const char* kInboundParkedUnreported = R"sql(
SELECT p.id, p.entity, p.external_id, p.record::text, p.error,
       (SELECT installation FROM synchub_connector LIMIT 1)
  FROM synchub_inbound_parked p WHERE p.reported_at IS NULL ORDER BY p.id LIMIT 50)sql";
constexpr const char* kMarkInboundReported =
    "UPDATE synchub_inbound_parked SET reported_at = now() WHERE id = $1";
constexpr const char* kRetryLater =
    "UPDATE synchub_outbox SET next_attempt_at = now() + $2 * interval '1 millisecond' WHERE id = "
    "$1";

}  // namespace

PgOutbox::PgOutbox(const ConnectorConfig& config) : config_(config) {}

std::string PgOutbox::EventIdOf(const std::string& installation,
                                const std::string& outbox_id) const {
  return config_.source + "-" + installation.substr(0, 12) + "-" + outbox_id;
}

StatusOr<std::vector<PgOutbox::DueChange>> PgOutbox::ReadDue(pqxx::connection& connection) {
  try {
    std::vector<DueChange> due;
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec(kDueRows)) {
      DueChange change;
      change.id = row[0].as<std::int64_t>();
      change.failures = row[6].as<int>();
      v1::Event& event = change.event;
      event.set_event_id(row[8].is_null()
                             ? EventIdOf(row[7].as<std::string>(), row[0].as<std::string>())
                             : row[8].as<std::string>());
      event.set_entity(row[1].as<std::string>());
      event.set_external_id(row[2].as<std::string>());
      event.set_source(config_.source);
      event.set_version(row[4].as<std::int64_t>());
      event.set_op(row[3].as<std::string>() == "delete" ? v1::OP_DELETE : v1::OP_UPSERT);
      event.set_fields_json(row[5].as<std::string>());
      due.push_back(std::move(change));
    }
    return due;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading the outbox");
  }
}

Status PgOutbox::RecordPush(pqxx::connection& connection, const std::vector<PushedRow>& rows,
                            const std::vector<InboundApplier::Incoming>& answers) {
  try {
    pqxx::work tx(connection);
    Json sent_ids = Json::array();
    for (const auto& row : rows) {
      if (row.step.kind == connector::PushStep::Kind::kSent) {
        sent_ids.push_back({{"id", row.id},
                            {"outcome", row.outcome},
                            {"duplicate", row.duplicate},
                            {"changed", row.changed}});
      } else if (row.step.counts_as_failure) {
        tx.exec_params(kMarkFailed, row.id, row.error,
                       row.step.kind == connector::PushStep::Kind::kPark, row.step.delay.count());
      } else {
        tx.exec_params(kRetryLater, row.id, row.step.delay.count());
      }
    }
    if (!sent_ids.empty()) tx.exec_params(kMarkSent, JsonText(sent_ids));
    InboundApplier::HoldAnswers(tx, answers);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "recording the hub's answers");
  }
}

StatusOr<bool> PgOutbox::TryLockPush(pqxx::connection& connection) {
  try {
    pqxx::nontransaction tx(connection);
    return tx.exec_params1("SELECT pg_try_advisory_lock($1)", kPushLock)[0].as<bool>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "taking the push lock");
  }
}

void PgOutbox::UnlockPush(pqxx::connection& connection) {
  try {
    pqxx::nontransaction tx(connection);
    tx.exec_params("SELECT pg_advisory_unlock($1)", kPushLock);
  } catch (const std::exception&) {
    // A lost connection released the lock with its session.
  }
}

StatusOr<std::vector<PgOutbox::Unreported>> PgOutbox::ReadUnreported(pqxx::connection& connection) {
  try {
    std::vector<Unreported> unreported;
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec(kParkedUnreported)) {
      const std::string event_id =
          row[9].is_null() ? EventIdOf(row[8].as<std::string>(), row[0].as<std::string>())
                           : row[9].as<std::string>();
      Json event = {{"eventId", event_id},
                    {"entity", row[1].as<std::string>()},
                    {"externalId", row[2].as<std::string>()},
                    {"source", config_.source},
                    {"version", row[4].as<std::int64_t>()},
                    {"op", row[3].as<std::string>()},
                    {"fields", ParseStoredJson(row[5].as<std::string>())}};
      Unreported parked;
      parked.inbound = false;
      parked.id = row[0].as<std::int64_t>();
      parked.event_id = event["eventId"].get<std::string>();
      parked.event_json = JsonText(event);
      parked.detail = row[7].as<std::string>();
      parked.attempts = row[6].as<int>();
      unreported.push_back(std::move(parked));
    }
    // Inbound changes this database could not hold exactly: the record as delivered, under
    // an event id of this installation ("<source>-<installation>-in-<id>") and this source's
    // name (the source that could not hold it, and the only one this connector may report
    // as: the gateway refuses any other, docs/security.md). The hub never replays it.
    for (const auto& row : tx.exec(kInboundParkedUnreported)) {
      const Json record = ParseStoredJson(row[3].as<std::string>());
      Json event = {
          {"eventId", EventIdOf(row[5].as<std::string>(), "in-" + row[0].as<std::string>())},
          {"entity", row[1].as<std::string>()},
          {"externalId", row[2].as<std::string>()},
          {"source", config_.source},
          {"version", record.value("version", std::int64_t{0})},
          {"op", record.value("deleted", false) ? "delete" : "upsert"},
          {"fields", record.value("fields", Json::object())}};
      Unreported parked;
      parked.inbound = true;
      parked.id = row[0].as<std::int64_t>();
      parked.event_id = event["eventId"].get<std::string>();
      parked.event_json = JsonText(event);
      parked.detail = config_.source + ": " + row[4].as<std::string>();
      parked.attempts = 1;
      unreported.push_back(std::move(parked));
    }
    return unreported;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading parked rows");
  }
}

Status PgOutbox::MarkReported(pqxx::connection& connection, const Unreported& parked) {
  try {
    pqxx::work tx(connection);
    tx.exec_params(parked.inbound ? kMarkInboundReported : kMarkReported, parked.id);
    tx.commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "marking a parked row reported");
  }
}

}  // namespace synchub
