#include "common/zmq/stop_signals.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <future>

namespace synchub {
namespace {

TEST(StopSignals, SigtermRunsTheCallbacksOnceAndWakesWaiters) {
  StopSignals signals;
  std::promise<void> called;
  int calls = 0;
  signals.OnStop([&] {
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
  signals.OnStop([&] { late = true; });  // registered after the stop: runs at once
  EXPECT_TRUE(late);
}

TEST(StopSignals, EndsQuietlyWithoutASignal) {
  bool called = false;
  {
    StopSignals signals;
    signals.OnStop([&] { called = true; });
  }
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace synchub
