#include "common/zmq/stop_signals.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

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
    RequestStop();
  }
}

void StopSignals::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_requested_.exchange(true)) return;
  }
  stopped_.notify_all();
  std::lock_guard<std::mutex> running(running_);
  std::map<std::uint64_t, std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    callbacks.swap(callbacks_);
  }
  for (auto& [id, callback] : callbacks) callback();
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
  // Waits for callbacks that are running: after this, the callback is never called.
  std::lock_guard<std::mutex> running(running_);
  std::lock_guard<std::mutex> lock(mutex_);
  callbacks_.erase(id);
}

StopSignals::Subscription::~Subscription() {
  if (owner_ != nullptr) owner_->Unsubscribe(id_);
}

void StopSignals::WaitForStop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopped_.wait(lock, [this] { return stop_requested_.load(); });
}

}  // namespace synchub
