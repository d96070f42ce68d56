// StopSignals: one way for every service to stop on SIGTERM and SIGINT.
//
// The constructor blocks both signals in the calling thread, so every thread it starts later
// inherits the mask, and starts a thread that waits for them with sigwait(2): the stop is
// handled as an ordinary function call on that thread, not in a signal handler (no
// async-signal-safety rules apply to the callbacks). POSIX.1-2017, "Signal Concepts".
//
// REQUIRES: constructed in main() before any other thread is started (a thread started
// earlier keeps the default action: termination).
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace synchub {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Runs `callback` once when a stop signal arrives (on the waiting thread), or at once on
  // the calling thread when one arrived already.
  void OnStop(std::function<void()> callback);

  // True once SIGTERM or SIGINT arrived (or RequestStop was called).
  bool stop_requested() const { return stop_requested_; }
  const std::atomic<bool>& flag() const { return stop_requested_; }

  // Blocks until a stop signal arrives.
  void WaitForStop();

  // Acts as if a stop signal arrived (for a service that decides to end by itself).
  void RequestStop();

 private:
  void Wait();

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> closing_{false};
  std::mutex mutex_;
  std::condition_variable stopped_;
  std::vector<std::function<void()>> callbacks_;
  std::thread waiter_;
};

}  // namespace synchub
