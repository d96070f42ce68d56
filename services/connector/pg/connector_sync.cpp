#include "connector/pg/connector_sync.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "common/core/dead_letter_reason.hpp"
#include "common/core/event.hpp"
#include "common/core/json.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/runtime/steady_clock.hpp"
#include "connector/core/push_decisions.hpp"

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
// A rejected push: $3 parks the row, $4 is the delay before the next push (push_decisions.hpp).
constexpr const char* kMarkFailed = R"sql(
UPDATE synchub_outbox
   SET retry_count = retry_count + 1, last_error = $2, parked = $3,
       next_attempt_at = now() + $4 * interval '1 millisecond'
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
constexpr const char* kRetryLater =
    "UPDATE synchub_outbox SET next_attempt_at = now() + $2 * interval '1 millisecond' WHERE id = "
    "$1";

}  // namespace

std::string OutboxPusher::EventIdOf(const std::string& installation,
                                    const std::string& outbox_id) const {
  return config_.source + "-" + installation.substr(0, 12) + "-" + outbox_id;
}

OutboxPusher::OutboxPusher(const ConnectorConfig& config, zmq::context_t& context)
    : config_(config),
      hub_(context, {{config.submit_endpoint}, std::chrono::seconds(5), 2}),
      settler_(config) {}

StatusOr<int> OutboxPusher::PushOnce(pqxx::connection& connection) {
  try {
    std::vector<std::int64_t> ids;
    std::vector<int> failures;  // retry_count of each row
    std::vector<v1::Event> events;
    {
      pqxx::read_transaction tx(connection);
      for (const auto& row : tx.exec(kDueRows)) {
        v1::Event event;
        ids.push_back(row[0].as<std::int64_t>());
        failures.push_back(row[6].as<int>());
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
    const RetryPolicy rejection_policy = connector::PushRejectionPolicy(config_.push_backoff_ms);
    // Carries out what push_decisions.hpp decides for row `i`; true when it was sent.
    auto carry_out = [&](std::size_t i, connector::PushAnswer answer, const std::string& error) {
      const connector::PushStep step =
          connector::DecidePush(answer, failures[i], rejection_policy, JitterDraw());
      if (step.kind == connector::PushStep::Kind::kSent) return true;
      if (step.counts_as_failure) {
        tx.exec_params(kMarkFailed, ids[i], error, step.kind == connector::PushStep::Kind::kPark,
                       step.delay.count());
      } else {
        tx.exec_params(kRetryLater, ids[i], step.delay.count());
      }
      return false;
    };
    if (!reply.ok()) {
      for (std::size_t i = 0; i < ids.size(); ++i) {
        carry_out(i, connector::PushAnswer::kNotDecided, reply.status().message());
      }
      tx.commit();
      return reply.status();
    }
    int sent = 0;
    Json sent_ids = Json::array();
    std::vector<InboundApplier::Incoming> answers;
    for (int i = 0; i < reply->results_size(); ++i) {
      const v1::ResolutionResult& result = reply->results(i);
      const auto index = static_cast<std::size_t>(i);
      const v1::Event& event = events[index];
      // The adapter classifies the answer; DecidePush decides. A DEFERRED change stays pending
      // (inbound changes of the key keep waiting) and is asked about again; the resend is
      // answered from the hub's records until decided.
      const auto answer =
          result.error().code() == v1::STATUS_CODE_OK
              ? (result.outcome() == v1::OUTCOME_DEFERRED ? connector::PushAnswer::kDeferred
                                                          : connector::PushAnswer::kDecided)
          : result.error().code() == v1::STATUS_CODE_INVALID_ARGUMENT
              ? connector::PushAnswer::kRejected
              : connector::PushAnswer::kNotDecided;
      if (!carry_out(index, answer, result.error().message())) continue;
      sent_ids.push_back(ids[index]);  // decided at the hub (any outcome, dead letters too)
      ++sent;
      // What the change resolved to: held, then applied once nothing of the key is pending.
      Json record =
          result.record_json().empty() ? Json() : TryParseStoredJson(result.record_json());
      if (record.is_object()) {
        answers.push_back(
            {event.entity(), event.external_id(), result.etag(), std::move(record), true});
      }
    }
    if (!sent_ids.empty()) tx.exec_params(kMarkSent, JsonText(sent_ids));
    InboundApplier::HoldAnswers(tx, answers);
    tx.commit();
    // Apply what the answers resolved to in a transaction of its own: a failure there must not
    // hold back the push (the 2 s sweep of the pull side tries again).
    if (auto settled = settler_.SettleHeld(connection); !settled.ok()) {
      spdlog::warn("{}", settled.status().message());
    }
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
      report.set_reason(std::string(DeadLetterReasonName(DeadLetterReason::kConnectorPushFailed)));
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
      report.set_reason(std::string(DeadLetterReasonName(DeadLetterReason::kConnectorApplyFailed)));
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

}  // namespace synchub
