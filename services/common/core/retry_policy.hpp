// RetryPolicy: the one retry/backoff schedule every service uses (reconnecting to PostgreSQL
// or ZeroMQ peers, re-running DEFERRED events, re-trying a connector's push or apply).
//
// Exponential backoff with jitter: the nominal delay before attempt n+1, after n failed
// attempts, is initial_delay * multiplier^(n-1), capped at max_delay (also when initial_delay is
// larger); jitter takes up to `jitter` of it away ("equal jitter" when jitter = 0.5; AWS
// Architecture Blog, "Exponential Backoff And Jitter"), so peers that failed together do not retry
// together. A delay is never longer than the nominal one, so a configured maximum is a real bound.
// Pure: the random draw is passed in, so the schedule is deterministic under test.
#pragma once

#include <chrono>
#include <optional>

namespace synchub {

struct RetryPolicy {
  std::chrono::milliseconds initial_delay{100};  // before the 2nd attempt
  std::chrono::milliseconds max_delay{10000};    // the growth stops here
  double multiplier = 2.0;                       // >= 1
  double jitter = 0.2;                           // in [0, 1]: the share that may be taken away
  int max_attempts = 0;                          // attempts in all, the first included; 0: no end
};

// The schedule for reconnecting to PostgreSQL or a ZeroMQ peer: 100 ms doubling to 1 s,
// 20 % jitter, never giving up (a service waits for its database rather than exiting). The
// cap bounds how long a service stays away after its database is back (measured with
// tests/e2e/db_faults_test.sh); a refused connection attempt a second per thread costs nothing.
inline RetryPolicy ReconnectPolicy() {
  return RetryPolicy{std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 2.0, 0.2, 0};
}

// After `attempts` failed attempts (>= 1): the delay before the next attempt, with
// `unit_random` in [0, 1) choosing the jitter (0 gives the nominal delay); nullopt when
// `max_attempts` attempts have been made. Values outside the ranges above are clamped.
std::optional<std::chrono::milliseconds> RetryDelay(const RetryPolicy& policy, int attempts,
                                                    double unit_random);

// The attempt counter of one retried operation. Thread safety: none.
class Backoff {
 public:
  explicit Backoff(RetryPolicy policy) : policy_(policy) {}

  // Counts a failed attempt and returns the delay before the next one (nullopt: give up).
  // `unit_random` as for RetryDelay.
  std::optional<std::chrono::milliseconds> Failed(double unit_random) {
    return RetryDelay(policy_, ++failures_, unit_random);
  }
  // Counts a success: the next failure starts again from initial_delay.
  void Succeeded() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  RetryPolicy policy_;
  int failures_ = 0;
};

}  // namespace synchub
