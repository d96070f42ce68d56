// OutboxPusher: the push direction's app layer, the one place that decides what becomes of a
// pushed local change (SPEC section 5). Each round reads the due outbox rows (PgOutbox),
// submits them to the hub as one request (ResolverClient), classifies each answer
// (decided, deferred, rejected, not decided), asks core/push_decisions.hpp what follows (sent,
// pushed again later, parked), and has PgOutbox write it together with the answers' records,
// which are then applied (InboundApplier::SettleHeld) once nothing of their key is pending.
// Parked changes are reported to the hub as dead letters (CONNECTOR_PUSH_FAILED,
// CONNECTOR_APPLY_FAILED) and marked reported once the hub stored them.
//
// Idempotent: the event id of a row is "<source>-<installation>-<outbox id>", so a resend
// after a lost answer is answered from the hub's log; a dead letter report by its event id.
// Thread safety: none; one per thread.
#pragma once

#include <pqxx/pqxx>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "common/zmq/resolver_client.hpp"
#include "connector/app/connector_metrics.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/core/push_decisions.hpp"
#include "connector/pg/connector_sync.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

// How the push adapter classifies the hub's answer to one event.
connector::PushAnswer ClassifyPushAnswer(const v1::ResolutionResult& result);

class OutboxPusher {
 public:
  // REQUIRES: `config`, `context`, `stop` and `metrics` (when given: each pushed row, each
  // answer and each settled change is counted there) outlive this object. When `stop` becomes
  // true a push waiting for the hub gives up within 100 ms (kUnavailable; the rows stay pending).
  OutboxPusher(const ConnectorConfig& config, zmq::context_t& context,
               const std::atomic<bool>& stop, ConnectorMetrics* metrics = nullptr);

  // Pushes one batch of due rows, holding the database's push lock (PgOutbox::TryLockPush; 0
  // when another process of this source holds it). Returns how many were decided at the hub
  // (marked sent), or
  // the error that stopped the round: kUnavailable when the hub did not answer (the rows are
  // pushed again after 1 s, no attempt counted) or the local database is away.
  StatusOr<int> PushOnce(pqxx::connection& connection);

  // Reports parked changes not yet reported to the hub as dead letters. Returns how many were
  // reported; stops at the first failure to reach the hub (the rest go on a later round).
  StatusOr<int> ReportParked(pqxx::connection& connection);

 private:
  StatusOr<int> PushLocked(pqxx::connection& connection);

  const ConnectorConfig& config_;
  ResolverClient hub_;
  PgOutbox outbox_;
  InboundApplier settler_;  // applies what the hub answered (InboundApplier::SettleHeld)
  RetryPolicy rejection_policy_;
  ConnectorMetrics* metrics_;  // may be null
};

}  // namespace synchub
