// SPEC section 4 under load: several resolver processes, hot keys, kill -9.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "resolver/app/resolver_test_harness.hpp"
#include "resolver/pg/log_verifier.hpp"
#include "wait_until.hpp"

namespace synchub {
namespace {

using testing::ClientFor;
using testing::StartResolver;
using testing::TestDatabase;

// A random event on one of `keys` hot keys, with few field names and values so that
// same-version conflicts are common.
v1::Event RandomEvent(std::mt19937& random, const std::string& source, int keys, int step) {
  Event event;
  event.event_id = NewClientEventId();
  event.external_id = "HOT-" + std::to_string(random() % keys);
  event.source = source;
  event.version = 1 + step / 200 + static_cast<int>(random() % 3);
  event.op = random() % 40 == 0 ? Op::kDelete : Op::kUpsert;
  const int fields = 1 + static_cast<int>(random() % 3);
  for (int f = 0; f < fields; ++f) {
    event.fields["f" + std::to_string(random() % 5)] = static_cast<int>(random() % 4);
  }
  return EventToProto(event);
}

// Replays every record's resolution log through the pure ladder (VerifyResolutionLog) and
// expects every logged outcome, logged record and canonical record reproduced. Returns the
// number of events replayed.
std::size_t ExpectReplayReproducesTheLog(TestDatabase& db,
                                         const std::vector<std::string>& acknowledged = {}) {
  auto connection = db.Connect();
  auto report = VerifyResolutionLog(*connection, Catalog::Demo(), acknowledged, {});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return 0;
  EXPECT_TRUE(report->missing.empty()) << report->missing.size() << " acknowledged missing";
  for (const auto& mismatch : report->mismatches) ADD_FAILURE() << mismatch;
  return report->events_replayed;
}

std::set<std::string> LoggedEventIds(TestDatabase& db) {
  auto connection = db.Connect();
  pqxx::read_transaction tx(*connection);
  std::set<std::string> ids;
  for (const auto& row : tx.exec("SELECT event_id FROM resolution_log")) {
    ids.insert(row[0].as<std::string>());
  }
  return ids;
}

TEST(ResolverConcurrency, TwoResolversOnTwentyHotKeysLoseNoUpdateAndReplayExactly) {
  TestDatabase db;
  auto first = StartResolver(db, {"--workers", "2"});
  auto second = StartResolver(db, {"--workers", "2"});
  const std::vector<std::string> sources = {"CRM", "ERP", "Portal", "LocalDB"};
  constexpr int kEventsPerSource = 2500;
  constexpr int kBatch = 25;
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t s = 0; s < sources.size(); ++s) {
    threads.emplace_back([&, s] {
      zmq::context_t context(1);
      auto client = ClientFor(context, {first.endpoint, second.endpoint}, std::chrono::seconds(30));
      std::mt19937 random(static_cast<unsigned>(1234 + s));
      for (int sent = 0; sent < kEventsPerSource; sent += kBatch) {
        std::vector<v1::Event> batch;
        for (int i = 0; i < kBatch; ++i) {
          batch.push_back(RandomEvent(random, sources[s], 20, sent + i));
        }
        auto reply = client->Submit(batch);
        if (!reply.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& result : reply->results()) {
          if (result.error().code() == v1::STATUS_CODE_OK &&
              result.outcome() != v1::OUTCOME_UNSPECIFIED) {
            acknowledged.push_back(result.event_id());
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  std::printf("[ measure ] %zu events acknowledged by 2 resolvers in %.2f s (%.0f events/s)\n",
              acknowledged.size(), elapsed.count(),
              static_cast<double>(acknowledged.size()) / elapsed.count());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(acknowledged.size(), sources.size() * kEventsPerSource);

  std::set<std::string> logged = LoggedEventIds(db);
  for (const auto& id : acknowledged) EXPECT_EQ(logged.count(id), 1u) << id;
  EXPECT_EQ(ExpectReplayReproducesTheLog(db, acknowledged), logged.size());
}

TEST(ResolverDurability, AcknowledgedEventsSurviveKillNineAndRetriesApplyOnce) {
  TestDatabase db;
  auto resolver = StartResolver(db);
  const std::string endpoint = resolver.endpoint;
  std::atomic<bool> restarted{false};
  std::atomic<int> batches_sent{0};
  testing::RunningResolver replacement;
  std::thread killer([&] {
    // Kill the resolver right after the 30th batch went out: it dies holding it.
    testing::WaitUntil([&] { return batches_sent >= 30; }, std::chrono::seconds(60),
                       std::chrono::milliseconds(0));
    resolver.process->Stop(SIGKILL);
    replacement = StartResolver(db, {}, endpoint);
    restarted = true;
  });

  zmq::context_t context(1);
  auto client = ClientFor(context, {endpoint}, std::chrono::milliseconds(500));
  std::mt19937 random(99);
  std::vector<std::string> acknowledged;
  std::set<std::string> submitted;
  int unanswered = 0;
  int resent_by_test = 0;
  std::thread mark;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int sent = 0; sent < 4000 && std::chrono::steady_clock::now() < deadline; sent += 20) {
    std::vector<v1::Event> batch;
    for (int i = 0; i < 20; ++i) batch.push_back(RandomEvent(random, "CRM", 50, sent + i));
    for (const auto& event : batch) submitted.insert(event.event_id());
    if (sent / 20 == 29) {
      // Send this one ourselves so the kill lands while it is in flight.
      mark = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        batches_sent = 30;
      });
    } else {
      ++batches_sent;
    }
    auto reply = client->Submit(batch);
    while (!reply.ok() && std::chrono::steady_clock::now() < deadline) {
      ++unanswered;  // the resolver died holding this batch: resend it, same ids
      testing::WaitUntil([&] { return restarted.load(); },
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now()));
      resent_by_test += client->resends();
      client = ClientFor(context, {endpoint}, std::chrono::seconds(5));
      reply = client->Submit(batch);
    }
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    for (const auto& result : reply->results()) acknowledged.push_back(result.event_id());
  }
  if (mark.joinable()) mark.join();
  killer.join();
  ASSERT_TRUE(restarted);
  // The kill hit a request in flight: the client resent it (Lazy Pirate) or gave up on it
  // and the test resent it; either way with the same event ids.
  EXPECT_GE(unanswered + resent_by_test + client->resends(), 1)
      << "the kill did not hit the stream";
  std::set<std::string> logged = LoggedEventIds(db);
  for (const auto& id : acknowledged) EXPECT_EQ(logged.count(id), 1u) << id;
  EXPECT_EQ(logged.size(), submitted.size());  // every event applied once, none twice
  ExpectReplayReproducesTheLog(db, acknowledged);
}

}  // namespace
}  // namespace synchub
