// BatchResolver: the resolver's unit of work and the one place that decides retry, split and
// dead letter (SPEC section 4).
//
// A micro-batch is resolved in one transaction: decided events are answered from the record
// (idempotent by event id), the rest are planned with the pure ladder against the records
// read, written conditionally on their etags, and committed once. When the etag check fails
// the whole batch is re-read (locking the records from the second attempt on) and
// re-resolved, up to `max_attempts` times. A batch that still fails, or that the database
// refuses, is split and each event is run alone; an event that fails alone becomes a dead
// letter (ETAG_RETRIES_EXHAUSTED, DATABASE_REJECTED or INTERNAL_ERROR). A lost connection
// answers kUnavailable and writes nothing: the submitter retries with the same event ids.
//
// Thread safety: none; one BatchResolver per thread (it owns one connection).
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/dead_letter_reason.hpp"
#include "common/core/retry_policy.hpp"
#include "common/core/status.hpp"
#include "resolver/core/deferral.hpp"
#include "resolver/core/event_result.hpp"

namespace synchub {

struct BatchResolverOptions {
  int max_attempts = 8;  // etag attempts per unit before splitting / dead-lettering
  RetryPolicy deferral = DefaultDeferralPolicy();  // SPEC section 3, rung 0
};

class BatchResolver {
 public:
  // REQUIRES: `connection` outlives this object.
  BatchResolver(pqxx::connection& connection, BatchResolverOptions options);

  // Resolves submitted events (REQUIRES: each validated against `catalog` and with a non-empty
  // event id). Returns one result per item, in order, all durable; or kUnavailable when the
  // database could not be reached (nothing was decided).
  // Idempotent: an event id already decided gets its recorded result (duplicate = true).
  StatusOr<std::vector<EventResult>> Resolve(std::vector<WorkItem> items, const Catalog& catalog);

  // Claims up to `limit` due deferred events and re-runs them. Returns their results (empty
  // when none was due), or kUnavailable.
  StatusOr<std::vector<EventResult>> ResolveDue(int limit, const Catalog& catalog);

 private:
  StatusOr<std::vector<EventResult>> RunUnit(std::vector<WorkItem>* items, int claim_limit,
                                             const Catalog& catalog);
  StatusOr<EventResult> ResolveAlone(const WorkItem& item, const Catalog& catalog);
  StatusOr<EventResult> DeadLetter(const WorkItem& item, DeadLetterReason reason,
                                   const std::string& detail);

  pqxx::connection& connection_;
  BatchResolverOptions options_;
};

}  // namespace synchub
