// A sleep that a stop ends early: the one way services wait between retries.
// Thread safety: safe from any thread; `stop` is read only.
#pragma once

#include <atomic>
#include <chrono>

namespace synchub {

// Waits `delay`, in slices of at most 50 ms, returning early once `stop` is true (so a stop is
// seen within 50 ms).
void PauseUnlessStopped(std::chrono::steady_clock::duration delay, const std::atomic<bool>& stop);

}  // namespace synchub
