// Clock: the time source logic is given instead of reading the clock itself (envoy's
// TimeSource). Services pass SteadyClock (common/runtime/steady_clock.hpp: the core reads no
// clock); tests pass ManualClock and move it by hand.
//
// Thread safety: SteadyClock is safe from any thread; ManualClock is not synchronised.
#pragma once

#include <chrono>

namespace synchub {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // The current time on a monotonic clock (never goes backwards).
  virtual TimePoint Now() const = 0;
};

class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_{std::chrono::hours(1)};
};

}  // namespace synchub
