// SteadyClock: the real Clock (common/core/clock.hpp), std::chrono::steady_clock.
// Thread safety: safe from any thread.
#pragma once

#include <chrono>
#include <random>

#include "common/core/clock.hpp"

namespace synchub {

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// A uniform draw in [0, 1) for RetryDelay's jitter, from a per-thread generator.
inline double JitterDraw() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace synchub
