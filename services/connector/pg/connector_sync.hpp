// The connector's two directions against its local PostgreSQL database.
//
// OutboxPusher (push): sends the outbox's due rows to the hub as events whose event id is
// "<source>-<installation>-<outbox id>" (so a resend is idempotent at the hub), and marks a
// row sent only after the hub's durable answer. A row the hub rejects gets retry_count + 1
// and a backoff (1 s doubling); at 5 it is parked: never retried silently, listed by
// `synchub-connector status`. An unreachable hub only delays (no count).
//
// InboundApplier (pull): applies a Deliver of canonical records in one local transaction
// marked inbound (SET LOCAL synchub.inbound = 'on', so the capture trigger skips it: no
// echo), recording per record the hub etag applied and the last sequence, in that same
// transaction. Idempotent: applying a change twice leaves the same row; a change older than
// the one applied (a late redelivery) is skipped. Exact: each statement runs under a savepoint
// and returns the stored values; a record whose value a column cannot hold exactly (or that
// PostgreSQL refuses) is left out, never half-applied, and parked in synchub_inbound_parked
// (reported by OutboxPusher::ReportParked as CONNECTOR_APPLY_FAILED). A deleted record's
// canonical version is remembered in synchub_tombstone.
//
// Thread safety: one object per thread, each with its own connection.
#pragma once

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <zmq.hpp>

#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "common/zmq/resolver_client.hpp"
#include "connector/core/connector_config.hpp"
#include "synchub/v1/outbound.pb.h"

namespace synchub {

// (table, column) -> PostgreSQL type name.
using ColumnTypeMap = std::map<std::pair<std::string, std::string>, std::string>;

class InboundApplier {
 public:
  // A canonical state that reached this connector: a delivery from the outbound stream, or
  // the hub's answer to a pushed local change (`answer`; etag 0 and no record for a periodic
  // settle of a held state).
  struct Incoming {
    std::string entity;
    std::string external_id;
    std::int64_t etag = 0;
    Json record;  // the canonical record (API form)
    bool answer = false;
  };

  explicit InboundApplier(const ConnectorConfig& config) : config_(config) {}

  // Applies a delivery, each change decided by connector::DecideInbound: applied when newer
  // (or the same state again), skipped when older, held in synchub_held while the key has a
  // local change the hub has not answered (an inbound change never overwrites it). Returns
  // how many records were applied, or an error with nothing applied and nothing recorded, so
  // the caller must not acknowledge. After kApplyAttemptsBeforeParking failures of the same
  // delivery, a change that fails for any reason is parked instead of failing it again.
  StatusOr<int> Apply(pqxx::connection& connection, const v1::Deliver& deliver);

  // In the caller's transaction (the push's, marking rows sent): keeps each answer's
  // canonical state in synchub_held when it is newer than the held one and not older than the
  // applied one; SettleHeld applies it. Throws pqxx errors (the caller's transaction fails).
  static void HoldAnswers(pqxx::work& tx, const std::vector<Incoming>& answers);

  // Applies held states whose key no longer has a pending local change: the newest of the
  // answered and delivered states (connector::StateToApplyOnAnswer), so the source holds what
  // its change resolved to. Forgets held states older than the applied one. Returns how many
  // were applied; after kApplyAttemptsBeforeParking failures in a row, failing states are
  // parked instead.
  StatusOr<int> SettleHeld(pqxx::connection& connection);

  // Tries the parked inbound changes again (after an operator widened a column, say): each
  // one that now applies exactly is applied and forgotten; one that a newer applied change
  // made obsolete is forgotten; one whose key has a pending local change waits; the others
  // keep their place with the new error. Returns how many were applied. Idempotent.
  StatusOr<int> RetryParked(pqxx::connection& connection);

 private:
  struct Counts {
    int applied = 0;
    int held = 0;
    int parked = 0;
  };
  // The one path every incoming state takes: lock the rows, read each key's state, decide,
  // apply under savepoints, park failures, remember etags, tombstones and held states.
  Counts ApplyIncoming(pqxx::work& tx, const std::vector<Incoming>& incoming, bool park_any);
  // (table, column) -> PostgreSQL type name (pg_type.typname, e.g. "int4"), read once.
  const ColumnTypeMap& ColumnTypes(pqxx::work& tx);

  const ConnectorConfig& config_;
  ColumnTypeMap column_types_;
  std::uint64_t failing_first_seq_ = 0;  // the delivery that failed last, by its first seq
  int failed_attempts_ = 0;              // how often in a row
  int failed_settles_ = 0;               // SettleHeld failures in a row
};

class OutboxPusher {
 public:
  OutboxPusher(const ConnectorConfig& config, zmq::context_t& context);
  // Pushes one batch of due rows. Returns how many rows were sent, or an error.
  StatusOr<int> PushOnce(pqxx::connection& connection);
  // Reports parked rows not yet reported to the hub as dead letters: outbox rows the hub
  // rejected (CONNECTOR_PUSH_FAILED) and inbound changes this database could not hold
  // (CONNECTOR_APPLY_FAILED). Returns how many were reported; stops at the first failure
  // to reach the hub (the rest go on a later round).
  StatusOr<int> ReportParked(pqxx::connection& connection);

 private:
  std::string EventIdOf(const std::string& installation, const std::string& outbox_id) const;

  const ConnectorConfig& config_;
  ResolverClient hub_;
  InboundApplier settler_;  // applies what the hub answered (InboundApplier::SettleHeld)
};

}  // namespace synchub
