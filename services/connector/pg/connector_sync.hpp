// The connector's two directions against its local PostgreSQL database.
//
// PgOutbox (push, with app/OutboxPusher): sends the outbox's due rows to the hub as events whose
// event id is
// "<source>-<installation>-<outbox id>" (so a resend is idempotent at the hub), and marks a
// row sent only after the hub's durable answer. A row the hub rejects gets retry_count + 1
// and a backoff (core/push_decisions.hpp: push_backoff_ms doubling, jittered); at 5 it is
// parked: never retried silently, listed by `synchub-connector status`. An unreachable hub
// only delays (no count).
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

#include <atomic>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/core/push_decisions.hpp"
#include "synchub/v1/event.pb.h"
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
    enum class Mode {
      kDelivery,  // from the outbound stream: connector::DecideInbound
      kAnswer,    // the hub's answer to a pushed change: connector::StateToApplyOnAnswer
      kLoad,      // a reverse load's record: connector::DecideLoad
      kRepair,    // reconcile --repair: applied unless a local change of the key is pending
    };
    std::string entity;
    std::string external_id;
    std::int64_t etag = 0;
    Json record;  // the canonical record (API form)
    Mode mode = Mode::kDelivery;
    // kAnswer: the record is exactly the state the pushed row sent, and that row was the last
    // pushed for the key (connector::AnswerEqualsSent): HoldAnswers only records its etag.
    bool equals_sent = false;
    // kLoad: the hub was restored (LoadPage.reset): apply whatever etag was applied before.
    bool reset = false;
  };
  // What applying a set of incoming states did.
  struct Counts {
    int applied = 0;
    int held = 0;
    int parked = 0;
    int kept = 0;  // kLoad: local copies kept (DecideLoad) and queued to go to the hub
    std::vector<std::string> kept_keys;  // the first 10 of them
  };

  explicit InboundApplier(const ConnectorConfig& config) : config_(config) {}

  // Applies a delivery, each change decided by connector::DecideInbound: applied when newer
  // (or the same state again), skipped when older, held in synchub_held while the key has a
  // local change the hub has not answered (an inbound change never overwrites it). Returns
  // how many records were applied, or an error with nothing applied and nothing recorded, so
  // the caller must not acknowledge. After kApplyAttemptsBeforeParking failures of the same
  // delivery, a change that fails for any reason is parked instead of failing it again.
  // Locks: never waits while holding one. When a local transaction holds a key's row or capture
  // lock, the whole apply is rolled back and tried again (up to ~1.5 s), then fails with
  // nothing applied (kInternal, "a local transaction holds a key"); such failures never count
  // towards parking. The same holds for ApplyLoad, ApplyRepair and SettleHeld.
  StatusOr<int> Apply(pqxx::connection& connection, const v1::Deliver& deliver);

  // In the caller's transaction (the push's, marking rows sent): keeps each answer's
  // canonical state in synchub_held when it is newer than the held one and not older than the
  // applied one; SettleHeld applies it. An answer that `equals_sent`, for a key with no other
  // pending change, is not held: the row already holds it, so only its etag is recorded as
  // applied (never lowered). Throws pqxx errors (the caller's transaction fails).
  static void HoldAnswers(pqxx::work& tx, const std::vector<Incoming>& answers);

  // The change applied last (synchub_connector): its seq (0: none since the last load), record
  // and etag, sent with each Subscribe so that the hub can tell whether its log still holds it.
  struct ResumePoint {
    std::uint64_t seq = 0;
    std::string entity;
    std::string external_id;
    std::int64_t etag = 0;
  };
  StatusOr<ResumePoint> LastApplied(pqxx::connection& connection);

  // Applies one page of a reverse load (docs/design.md, "Reverse load"), each record decided by
  // connector::DecideLoad, in one transaction; `last`: the load ends with it, and the applied
  // position is forgotten (the stream starts afresh where the load began). Returns the counts,
  // or an error with nothing applied (the page is not acknowledged and comes again).
  StatusOr<Counts> ApplyLoad(pqxx::connection& connection, const v1::LoadPage& page);

  // Sets keys to their canonical records (reconcile --repair), in one transaction; a key with a
  // pending local change is held instead. Returns the counts, or an error with nothing applied.
  StatusOr<Counts> ApplyRepair(pqxx::connection& connection, const std::vector<Incoming>& records);

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

  // How often an apply was rolled back and tried again because a local transaction held one of
  // its keys (a counter since construction). Any thread may read it while another applies.
  std::int64_t busy_retries() const { return busy_retries_.load(); }

 private:
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
  std::atomic<std::int64_t> busy_retries_{0};
};

// PgOutbox: the outbox's side of a push, as plain reads and writes; what becomes of each row
// is decided by the app layer (app/outbox_pusher.hpp with core/push_decisions.hpp).
// Errors: kUnavailable (connection lost), kInvalidArgument, kInternal (pg_errors.hpp).
// Thread safety: none; one per thread and connection.
class PgOutbox {
 public:
  // REQUIRES: `config` outlives this object.
  explicit PgOutbox(const ConnectorConfig& config);

  // A due outbox row (pending, not parked, its next attempt due), as the event to push.
  struct DueChange {
    std::int64_t id = 0;
    int failures = 0;  // retry_count: rejected pushes so far
    // Event id "<source>-<installation>-<outbox id>", or the row's own (a snapshot's or a
    // reconcile's, derived from key, version and content): resends are idempotent.
    v1::Event event;
  };
  // Up to 200 due rows in outbox order.
  StatusOr<std::vector<DueChange>> ReadDue(pqxx::connection& connection);

  // What was decided for a pushed row.
  struct PushedRow {
    std::int64_t id = 0;
    connector::PushStep step;
    std::string error;       // the hub's message, kept when the step counts as a failure
    std::string outcome;     // a sent row: the hub's outcome (WireOutcomeName), kept for summaries
    bool duplicate = false;  // a sent row the hub had decided before (an idempotent resend)
    bool changed = false;    // a sent row that changed the canonical record (not a duplicate)
  };
  // Takes the database's push lock for this session: one pusher at a time (a snapshot or a
  // reconcile pushing while `run` does would reorder a key's changes). Returns false when
  // another session holds it. UnlockPush releases it (a lost connection releases it too).
  StatusOr<bool> TryLockPush(pqxx::connection& connection);
  void UnlockPush(pqxx::connection& connection);
  // In one transaction: marks rows sent, counts failures (parking as decided), sets each next
  // attempt, and holds the answers' records for their keys (InboundApplier::HoldAnswers).
  Status RecordPush(pqxx::connection& connection, const std::vector<PushedRow>& rows,
                    const std::vector<InboundApplier::Incoming>& answers);

  // A parked change not yet reported to the hub: an outbox row the hub kept rejecting, or an
  // inbound change this database could not hold exactly (`inbound`).
  struct Unreported {
    bool inbound = false;
    std::int64_t id = 0;
    std::string event_id;
    std::string event_json;
    std::string detail;
    int attempts = 1;
  };
  StatusOr<std::vector<Unreported>> ReadUnreported(pqxx::connection& connection);
  // Marks `parked` reported (it is not read again).
  Status MarkReported(pqxx::connection& connection, const Unreported& parked);

 private:
  std::string EventIdOf(const std::string& installation, const std::string& outbox_id) const;

  const ConnectorConfig& config_;
};

}  // namespace synchub
