#include "connector/app/outbox_pusher.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "common/codec/proto_codec.hpp"
#include "common/core/dead_letter_reason.hpp"
#include "common/core/json.hpp"
#include "common/runtime/steady_clock.hpp"
#include "common/zmq/curve.hpp"
#include "connector/core/connector_stats.hpp"

namespace synchub {

connector::PushAnswer ClassifyPushAnswer(const v1::ResolutionResult& result) {
  switch (result.error().code()) {
    case v1::STATUS_CODE_OK:
      return result.outcome() == v1::OUTCOME_DEFERRED ? connector::PushAnswer::kDeferred
                                                      : connector::PushAnswer::kDecided;
    case v1::STATUS_CODE_INVALID_ARGUMENT:
    case v1::STATUS_CODE_ALREADY_EXISTS:  // event_id_reused: the hub will never take it as is
      return connector::PushAnswer::kRejected;
    default:
      return connector::PushAnswer::kNotDecided;
  }
}

OutboxPusher::OutboxPusher(const ConnectorConfig& config, zmq::context_t& context,
                           const std::atomic<bool>& stop, ConnectorMetrics* metrics)
    : config_(config),
      hub_(context, {{config.submit_endpoint},
                     std::chrono::seconds(5),
                     2,
                     &stop,
                     CurveClientKeysOrPlain(config.curve_secret_key_file,
                                            config.curve_submit_server_key_file)}),
      outbox_(config),
      settler_(config),
      rejection_policy_(connector::PushRejectionPolicy(config.push_backoff_ms)),
      metrics_(metrics) {}

StatusOr<int> OutboxPusher::PushOnce(pqxx::connection& connection) {
  auto locked = outbox_.TryLockPush(connection);
  if (!locked.ok()) return locked.status();
  if (!*locked) return 0;  // another process of this source pushes now
  auto pushed = PushLocked(connection);
  outbox_.UnlockPush(connection);
  return pushed;
}

StatusOr<int> OutboxPusher::PushLocked(pqxx::connection& connection) {
  auto due = outbox_.ReadDue(connection);
  if (!due.ok()) return due.status();
  if (due->empty()) return 0;
  std::vector<v1::Event> events;
  events.reserve(due->size());
  for (const auto& change : *due) events.push_back(change.event);
  auto reply = hub_.Submit(std::move(events));
  if (metrics_ != nullptr && reply.ok()) metrics_->HubAnswered();

  std::vector<PgOutbox::PushedRow> rows;
  rows.reserve(due->size());
  std::vector<InboundApplier::Incoming> answers;
  // The last row pushed per key: only its answer may skip the hold (AnswerEqualsSent).
  std::map<std::pair<std::string, std::string>, std::size_t> last_of_key;
  for (std::size_t i = 0; i < due->size(); ++i) {
    last_of_key[{(*due)[i].event.entity(), (*due)[i].event.external_id()}] = i;
  }
  int sent = 0;
  for (std::size_t i = 0; i < due->size(); ++i) {
    const PgOutbox::DueChange& change = (*due)[i];
    const bool answered = reply.ok() && i < static_cast<std::size_t>(reply->results_size());
    const v1::ResolutionResult* result = answered ? &reply->results(static_cast<int>(i)) : nullptr;
    const connector::PushAnswer answer =
        result != nullptr ? ClassifyPushAnswer(*result) : connector::PushAnswer::kNotDecided;
    PgOutbox::PushedRow row;
    row.id = change.id;
    row.step = connector::DecidePush(answer, change.failures, rejection_policy_, JitterDraw());
    if (metrics_ != nullptr) {
      metrics_->Pushed(connector::PushedOutcomeLabel(
          answer, result != nullptr ? WireOutcomeName(result->outcome()) : std::string()));
    }
    if (result != nullptr) row.error = result->error().message();
    if (row.step.kind == connector::PushStep::Kind::kSent) {
      ++sent;  // decided at the hub (any outcome, dead letters too)
      row.outcome = WireOutcomeName(result->outcome());
      row.duplicate = result->duplicate();
      row.changed = result->changed() && !result->duplicate();
      // What the change resolved to: held, then applied once nothing of the key is pending.
      Json record =
          result->record_json().empty() ? Json() : TryParseStoredJson(result->record_json());
      if (record.is_object()) {
        const EntityMapping* mapping = config_.ForEntity(change.event.entity());
        bool equals_sent = false;
        if (mapping != nullptr &&
            last_of_key[{change.event.entity(), change.event.external_id()}] == i) {
          std::vector<std::string> mapped;
          for (const auto& [column, field] : mapping->columns_to_fields) mapped.push_back(field);
          equals_sent = connector::AnswerEqualsSent(
              TryParseStoredJson(change.event.fields_json()), change.event.version(),
              change.event.op() != v1::OP_DELETE, mapped, record);
        }
        answers.push_back({change.event.entity(), change.event.external_id(), result->etag(),
                           std::move(record), InboundApplier::Incoming::Mode::kAnswer,
                           equals_sent});
      }
    }
    rows.push_back(std::move(row));
  }
  if (Status recorded = outbox_.RecordPush(connection, rows, answers); !recorded.ok()) {
    return recorded;
  }
  if (!reply.ok()) return reply.status();
  // Apply what the answers resolved to in a transaction of its own: a failure there must not
  // hold back the push (the pull side's sweep tries again).
  if (auto settled = settler_.SettleHeld(connection); !settled.ok()) {
    spdlog::warn("{}", settled.status().message());
  } else if (metrics_ != nullptr) {
    metrics_->Applied(*settled);
  }
  return sent;
}

StatusOr<int> OutboxPusher::ReportParked(pqxx::connection& connection) {
  auto unreported = outbox_.ReadUnreported(connection);
  if (!unreported.ok()) return unreported.status();
  int reported = 0;
  for (const auto& parked : *unreported) {
    v1::DeadLetterReport report;
    report.set_event_id(parked.event_id);
    report.set_event_json(parked.event_json);
    report.set_reason(
        std::string(DeadLetterReasonName(parked.inbound ? DeadLetterReason::kConnectorApplyFailed
                                                        : DeadLetterReason::kConnectorPushFailed)));
    report.set_detail(parked.detail);
    report.set_attempts(parked.attempts);
    auto id = hub_.ReportDeadLetter(report);
    if (id.status().code() == StatusCode::kInvalidArgument) {
      spdlog::error("the hub refuses the report of parked change {}: {}", parked.event_id,
                    id.status().message());
      continue;  // the others still go
    }
    if (!id.ok()) break;  // the hub is away: report on a later round
    if (metrics_ != nullptr) metrics_->HubAnswered();
    if (Status marked = outbox_.MarkReported(connection, parked); !marked.ok()) return marked;
    ++reported;
  }
  return reported;
}

}  // namespace synchub
