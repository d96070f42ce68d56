#include "common/zmq/stop_signals.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <future>
#include <memory>
#include <optional>
#include <thread>

namespace synchub {
namespace {

bool Blocked(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

TEST(StopSignals, SigtermRunsTheCallbacksOnceAndWakesWaiters) {
  StopSignals signals;
  std::promise<void> called;
  int calls = 0;
  auto subscription = signals.OnStop([&] {
    ++calls;
    called.set_value();
  });
  auto waiter = std::async(std::launch::async, [&] { signals.WaitForStop(); });
  EXPECT_FALSE(signals.stop_requested());
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);  // blocked here: only the waiting thread takes it
  called.get_future().wait();
  waiter.get();
  EXPECT_TRUE(signals.stop_requested());
  EXPECT_EQ(calls, 1);
  bool late = false;
  auto late_subscription = signals.OnStop([&] { late = true; });  // after the stop: at once
  EXPECT_TRUE(late);
}

TEST(StopSignals, ACallbackWhoseSubscriptionEndedIsNotCalled) {
  StopSignals signals;
  bool called = false;
  {
    auto subscription = signals.OnStop([&] { called = true; });
  }
  signals.RequestStop();
  EXPECT_TRUE(signals.stop_requested());
  EXPECT_FALSE(called);
}

TEST(StopSignals, ACallbackMayEndSubscriptionsAndAnotherThreadMayRequestTheStop) {
  StopSignals signals;
  std::optional<StopSignals::Subscription> other;
  bool other_called = false;
  auto own = std::make_unique<std::optional<StopSignals::Subscription>>();
  // The first callback ends a later one's subscription and its own: no deadlock, and the
  // ended one is not called.
  own->emplace(signals.OnStop([&] {
    other.reset();
    own->reset();
  }));
  other.emplace(signals.OnStop([&] { other_called = true; }));
  std::thread requester([&] { signals.RequestStop(); });
  signals.WaitForStop();  // returns once the callbacks ran
  requester.join();
  EXPECT_TRUE(signals.stop_requested());
  EXPECT_FALSE(other_called);
}

TEST(StopSignals, EndsQuietlyWithoutASignalAndRestoresTheMask) {
  ASSERT_FALSE(Blocked(SIGINT));
  bool called = false;
  {
    StopSignals signals;
    EXPECT_TRUE(Blocked(SIGINT));
    EXPECT_TRUE(Blocked(SIGTERM));
    auto subscription = signals.OnStop([&] { called = true; });
  }
  EXPECT_FALSE(called);
  EXPECT_FALSE(Blocked(SIGINT));
  EXPECT_FALSE(Blocked(SIGTERM));
}

}  // namespace
}  // namespace synchub
