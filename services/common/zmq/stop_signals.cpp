#include "common/zmq/stop_signals.hpp"

#include <pthread.h>

#include <csignal>

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
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this] { Wait(); });
}

StopSignals::~StopSignals() {
  closing_ = true;
  // Wakes the waiter: the signal is blocked everywhere, so only its sigwait takes it.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

void StopSignals::Wait() {
  const sigset_t set = StopSet();
  int signal = 0;
  while (sigwait(&set, &signal) == 0) {
    if (closing_) return;
    RequestStop();
    return;
  }
}

void StopSignals::RequestStop() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_requested_.exchange(true)) return;
    callbacks.swap(callbacks_);
  }
  stopped_.notify_all();
  for (auto& callback : callbacks) callback();
}

void StopSignals::OnStop(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stop_requested_) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

void StopSignals::WaitForStop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopped_.wait(lock, [this] { return stop_requested_.load(); });
}

}  // namespace synchub
