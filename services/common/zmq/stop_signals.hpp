// StopSignals: one way for every service to stop on SIGTERM and SIGINT.
//
// The constructor blocks both signals in the calling thread, so every thread it starts later
// inherits the mask, and starts a thread that takes them with sigtimedwait(2): a stop is an
// ordinary function call, not a signal handler, so no async-signal-safety rules apply to the
// callbacks (POSIX.1-2017, "Signal Concepts"). The first signal requests the stop (the
// callbacks run on a thread of their own, so the waiter keeps listening); a second one, while
// the stop is under way, ends the process at once (_Exit(128 + signal)), so an operator can
// always end a shutdown that hangs, also one hanging in a callback.
//
// REQUIRES: constructed in main() before any other thread is started (a thread started
// earlier keeps the default action: termination); destroyed on the thread that made it (the
// destructor restores that thread's signal mask). Construct it only where the process has a
// stop to carry out (a long-running loop): while it lives, SIGINT and SIGTERM do not end the
// process by themselves.
// Thread safety: every method may be called from any thread.
#pragma once

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace synchub {

class StopSignals {
 public:
  // Unregisters its callback when destroyed; waits for the callback if it is running on
  // another thread (a callback may destroy Subscriptions, its own too).
  class Subscription {
   public:
    Subscription(StopSignals* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    Subscription(Subscription&& other) noexcept : owner_(other.owner_), id_(other.id_) {
      other.owner_ = nullptr;
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    Subscription& operator=(Subscription&&) = delete;
    ~Subscription();

   private:
    StopSignals* owner_;
    std::uint64_t id_;
  };

  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Runs `callback` once when a stop is requested (on the waiting thread), or at once on the
  // calling thread when one was requested already. The callback is called only while the
  // returned Subscription lives: declare the Subscription after what the callback uses, so
  // that it is destroyed first.
  [[nodiscard]] Subscription OnStop(std::function<void()> callback);

  // True once SIGTERM or SIGINT arrived (or RequestStop was called).
  bool stop_requested() const { return stop_requested_; }
  const std::atomic<bool>& flag() const { return stop_requested_; }

  // Blocks until a stop was requested and its callbacks have run.
  void WaitForStop();

  // Acts as if a stop signal arrived (for a service that decides to end by itself): runs the
  // callbacks on the calling thread (once; later calls return at once). An exception from a
  // callback is written to stderr and does not stop the others.
  void RequestStop();

 private:
  void Wait();
  void Unsubscribe(std::uint64_t id);

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> closing_{false};
  bool callbacks_done_ = false;                      // guarded by mutex_
  std::atomic<std::thread::id> callbacks_thread_{};  // the thread running the callbacks
  sigset_t previous_mask_{};
  std::mutex mutex_;    // guards callbacks_, next_id_
  std::mutex running_;  // held while callbacks run
  std::condition_variable stopped_;
  std::map<std::uint64_t, std::function<void()>> callbacks_;
  std::uint64_t next_id_ = 1;
  std::thread waiter_;
  std::thread stopper_;  // runs RequestStop for a signal (started by the waiter)
};

}  // namespace synchub
