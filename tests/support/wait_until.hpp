// Waiting for a condition instead of sleeping for it (tests only).
#pragma once

#include <chrono>
#include <thread>

namespace synchub::testing {

// Evaluates `condition()` until it returns true or `timeout` has passed, pausing `interval`
// between tries. Returns true when the condition held, false on timeout (the caller asserts).
template <typename Condition>
bool WaitUntil(Condition&& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace synchub::testing
