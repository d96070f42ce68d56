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

#include "common/core/status.hpp"
#include "common/zmq/resolver_client.hpp"
#include "connector/connector_config.hpp"
#include "synchub/v1/outbound.pb.h"

namespace synchub {

inline constexpr int kMaxPushAttempts = 5;

// (table, column) -> PostgreSQL type name.
using ColumnTypeMap = std::map<std::pair<std::string, std::string>, std::string>;

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
};

class InboundApplier {
 public:
  explicit InboundApplier(const ConnectorConfig& config) : config_(config) {}
  // Applies every change of `deliver`; returns how many records were applied (parked ones
  // not counted), or an error (kUnavailable for a lost connection) with nothing applied.
  StatusOr<int> Apply(pqxx::connection& connection, const v1::Deliver& deliver);

  // Tries the parked inbound changes again (after an operator widened a column, say): each
  // one that now applies exactly is applied and forgotten; one that a newer applied change
  // made obsolete is forgotten; the others keep their place with the new error. Returns how
  // many were applied. Idempotent.
  StatusOr<int> RetryParked(pqxx::connection& connection);

 private:
  // (table, column) -> PostgreSQL type name (pg_type.typname, e.g. "int4"), read once.
  const ColumnTypeMap& ColumnTypes(pqxx::work& tx);

  const ConnectorConfig& config_;
  ColumnTypeMap column_types_;
};

}  // namespace synchub
