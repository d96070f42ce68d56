// PgHubTransaction: one resolver unit of work against the hub's PostgreSQL schema.
//
// Each method runs one or a few statements inside the transaction the object holds and
// returns a Status that tells the caller what to do next (pg_errors.hpp):
//   kAborted          an etag moved, an insert raced or the database chose this transaction
//                     as a deadlock victim: roll back (destroy the object) and re-run
//   kUnavailable      the connection is gone: answer nothing, the submitter retries
//   kInvalidArgument  the database refuses the data (a poison event): never retry as is
//   kInternal         a bug
// Nothing is durable until Commit() returns OK; destroying the object rolls back.
//
// Thread safety: none; one thread per connection.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/core/dead_letter_reason.hpp"
#include "common/core/status.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/core/deferral.hpp"
#include "resolver/core/event_result.hpp"

namespace synchub {

class PgHubTransaction {
 public:
  // Begins a read-committed transaction on `connection` (which must outlive this object).
  // Never throws: when BEGIN fails (the connection is gone), every method returns that
  // failure (kUnavailable) and nothing is written.
  explicit PgHubTransaction(pqxx::connection& connection);

  // OK when the transaction began; else why not (kUnavailable when the connection is gone).
  const Status& begun() const { return begun_; }

  // Locks up to `limit` deferred events that are due and not locked by another resolver
  // (FOR UPDATE SKIP LOCKED) and returns them with their attempts so far.
  StatusOr<std::vector<WorkItem>> ClaimDueDeferred(int limit);

  // What the hub knows of events by idempotency key (SPEC section 4).
  struct KnownEvents {
    // The recorded answers of events already decided (logged, pending as deferred, or dead
    // letters), each with duplicate = true.
    std::map<EventKey, EventResult> decided;
    // The content digest (EventDigest, 32 bytes) of each known key: the one kept with the key,
    // or, for a key decided before digests were kept, the digest of the stored event.
    std::map<EventKey, std::string> digests;
  };
  // Looks up `keys`. Deferred events whose keys are in `reruns` are not reported as decided.
  StatusOr<KnownEvents> FindKnown(const std::vector<EventKey>& keys,
                                  const std::set<EventKey>& reruns);

  // Keeps the idempotency key of each event with its digest (EventDigest). A key kept
  // already keeps its first digest. Returns how many keys were new.
  StatusOr<std::size_t> InsertKeys(const std::vector<std::pair<EventKey, std::string>>& digests);

  // Records a refused reuse of `event`'s key: what was sent, the digest kept with the key and
  // the refused event's digest (both raw, 32 bytes).
  Status RecordReuse(const Event& event, const std::string& first_digest,
                     const std::string& digest);

  // Forgets idempotency keys first seen more than `window_seconds` ago, at most `limit`.
  // Returns how many were forgotten.
  StatusOr<std::int64_t> PruneKeys(std::int64_t window_seconds, int limit);

  // Reads the records of `keys` that exist; with `lock`, locks them in key order first.
  StatusOr<StoredRecords> ReadRecords(const std::vector<RecordKey>& keys, bool lock);

  // Locks every record the plan read (in key order) and checks it still has the etag read.
  // Returns OK, or kAborted naming the first record whose etag moved.
  Status LockAndVerify(const BatchPlan& plan);

  // Writes the plan: records (conditional on their etags; kAborted when one moved or an
  // insert raced), the resolution log, conflicts, outbound changes, deferrals as
  // `deferral_steps` says (the app layer decides: re-queue with a delay, or a dead letter
  // DEPENDENCY_UNMET), removes re-run deferrals that were decided, and wakes deferrals waiting
  // for written records. `prior_attempts[i]` (empty: all 0) and `deferral_steps[i]` belong to
  // plan.events[i]. Returns one result per plan event, in order.
  StatusOr<std::vector<EventResult>> WritePlan(const BatchPlan& plan,
                                               const std::vector<int>& prior_attempts,
                                               const std::vector<DeferralStep>& deferral_steps);

  // Persists a dead letter for `event` (upserting the live one of the same event id).
  // `event_json` is its canonical JSON text; when the database refuses it as jsonb the caller
  // passes it as `raw` with an empty `event_json`. Returns the dead letter's id.
  // `source` is the event's source ('' when it could not be decoded).
  StatusOr<std::int64_t> InsertDeadLetter(const std::string& source, const std::string& event_id,
                                          const std::string& event_json, const std::string& raw,
                                          DeadLetterReason reason, const std::string& detail,
                                          int attempts);

  // Removes the deferred rows of `keys` (an event that became a dead letter).
  Status DeleteDeferred(const std::vector<EventKey>& keys);

  // Marks open conflict `id` resolved with `take` ("incoming" | "canonical"). Returns
  // kAlreadyExists when it is not open (resolved before, or by a concurrent operator).
  Status MarkConflictResolved(std::int64_t id, const std::string& take, std::int64_t credential_id);

  // Commits. kUnavailable when the outcome is unknown or the connection broke.
  Status Commit();

 private:
  Status begun_;
  std::optional<pqxx::work> tx_;  // empty when BEGIN failed
};

}  // namespace synchub
