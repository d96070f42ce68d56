// What becomes of a pushed outbox row after the hub's answer (SPEC section 5: "A failed push
// increments the outbox row's retry_count; at 5 it is parked (dead) and listed for an
// operator, never retried silently"). Pure: the app layer (app/outbox_pusher.cpp) classifies
// what the hub answered, asks here, and has pg/PgOutbox write it. Thread-safe (no state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/json.hpp"
#include "common/core/retry_policy.hpp"

namespace synchub::connector {

// The hub's answer to one pushed change, as the adapter classifies it.
enum class PushAnswer {
  kDecided,     // resolved at the hub (any outcome, a dead letter too)
  kDeferred,    // DEFERRED: not decided yet
  kRejected,    // INVALID_ARGUMENT: the hub refuses this change as it is
  kNotDecided,  // no answer, or the hub could not make it durable (UNAVAILABLE, internal)
};

struct PushStep {
  enum class Kind {
    kSent,        // mark it sent; its answer is held for the key
    kRetryLater,  // stays pending; pushed again after `delay`
    kPark,        // out of attempts: parked, reported to the hub as a dead letter
  };
  Kind kind = Kind::kSent;
  std::chrono::milliseconds delay{0};
  bool counts_as_failure = false;  // a rejection: retry_count goes up, the error is kept
};

// A deferred change is asked about again after 2 s; a change the hub did not decide is pushed
// again after 1 s (the hub was away: not the change's fault, no attempt is counted).
inline constexpr std::chrono::milliseconds kAskAgainDelay{2000};
inline constexpr std::chrono::milliseconds kNotDecidedDelay{1000};
inline constexpr int kMaxPushAttempts = 5;

// The schedule of rejected pushes: `first_delay_ms` (push_backoff_ms) doubling to 60 s, 20 %
// jitter, kMaxPushAttempts attempts in all.
RetryPolicy PushRejectionPolicy(int first_delay_ms);

// `failures_before`: the row's retry_count before this push. `unit_random` draws the jitter.
PushStep DecidePush(PushAnswer answer, int failures_before, const RetryPolicy& rejection_policy,
                    double unit_random);

// True when the hub's answer `record` (the canonical record, API form) is exactly the state the
// pushed row sent: an upsert holding every field in `mapped_fields` (`sent_fields`), at
// `sent_version`, and the record live, at that version, with JSON-equal values for each of them
// (a field missing from the record equals null). Applying such an answer would write the row
// it came from again: the adapter only records its etag (when no later change of the key is
// pending, and only for the last pushed row of the key in a batch), instead of holding it.
bool AnswerEqualsSent(const Json& sent_fields, std::int64_t sent_version, bool sent_upsert,
                      const std::vector<std::string>& mapped_fields, const Json& record);

}  // namespace synchub::connector
