#include "common/zmq/stop_signals.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>

namespace synchub {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

StopSignals::StopSignals() {
  const sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  waiter_ = std::thread([this] { Wait(); });
}

StopSignals::~StopSignals() {
  closing_ = true;  // the waiter sees it within its 100 ms wait
  waiter_.join();
  if (stopper_.joinable()) stopper_.join();
  // A stop signal that came after the waiter ended is dropped here: restoring the mask would
  // deliver it with its default action (termination) while the process is ending anyway.
  const sigset_t set = StopSet();
  const timespec now = {0, 0};
  while (sigtimedwait(&set, nullptr, &now) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void StopSignals::Wait() {
  const sigset_t set = StopSet();
  const timespec slice = {0, 100 * 1000 * 1000};
  while (!closing_) {
    const int signal = sigtimedwait(&set, nullptr, &slice);
    if (signal < 0) continue;  // EAGAIN (the slice passed) or EINTR
    if (stop_requested_) {
      std::fprintf(stderr, "second stop signal (%d) during shutdown: exiting now\n", signal);
      std::fflush(stderr);
      std::_Exit(128 + signal);
    }
    // The callbacks run on a thread of their own: this one keeps listening for a second
    // signal, whatever they do.
    stopper_ = std::thread([this] { RequestStop(); });
    while (!stop_requested_) std::this_thread::yield();
  }
}

void StopSignals::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_requested_.exchange(true)) return;
  }
  {
    std::lock_guard<std::mutex> running(running_);
    callbacks_thread_ = std::this_thread::get_id();
    // One at a time, so that a callback that ends another's subscription keeps it from
    // being called.
    while (true) {
      std::function<void()> callback;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (callbacks_.empty()) break;
        callback = std::move(callbacks_.begin()->second);
        callbacks_.erase(callbacks_.begin());
      }
      try {
        callback();
      } catch (const std::exception& error) {
        std::fprintf(stderr, "a stop callback failed: %s\n", error.what());
      } catch (...) {
        std::fprintf(stderr, "a stop callback failed\n");
      }
    }
    callbacks_thread_ = std::thread::id();
  }
  // Under the lock: a waiter that wakes may destroy this object, so nothing of it is used
  // after the unlock.
  std::lock_guard<std::mutex> lock(mutex_);
  callbacks_done_ = true;
  stopped_.notify_all();
}

StopSignals::Subscription StopSignals::OnStop(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stop_requested_) {
      const std::uint64_t id = next_id_++;
      callbacks_.emplace(id, std::move(callback));
      return Subscription(this, id);
    }
  }
  callback();
  return Subscription(nullptr, 0);
}

void StopSignals::Unsubscribe(std::uint64_t id) {
  if (callbacks_thread_.load() == std::this_thread::get_id()) {
    // Called from a running callback: those not run yet are still in callbacks_.
    std::lock_guard<std::mutex> lock(mutex_);
    callbacks_.erase(id);
    return;
  }
  // Waits for callbacks running on another thread: after this, the callback is never called.
  std::lock_guard<std::mutex> running(running_);
  std::lock_guard<std::mutex> lock(mutex_);
  callbacks_.erase(id);
}

StopSignals::Subscription::~Subscription() {
  if (owner_ != nullptr) owner_->Unsubscribe(id_);
}

void StopSignals::WaitForStop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopped_.wait(lock, [this] { return callbacks_done_; });
}

}  // namespace synchub
