#include "resolver/app/request_router.hpp"

#include <gtest/gtest.h>

#include <set>

namespace synchub {
namespace {

v1::SubmitRequest RequestOf(const std::vector<std::string>& keys, std::uint64_t id = 7) {
  v1::SubmitRequest request;
  request.set_request_id(id);
  for (const auto& key : keys) {
    v1::Event* event = request.add_events();
    event->set_external_id(key);
    event->set_event_id("e-" + key);
  }
  return request;
}

v1::SubmitReply AnswerTo(const RequestPart& part) {
  v1::SubmitReply reply;
  reply.set_request_id(part.part_id);
  for (const auto& event : part.request.events()) {
    reply.add_results()->set_event_id(event.event_id());
  }
  return reply;
}

TEST(ShardOf, IsStableAndSpreadsKeys) {
  std::set<int> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "K" + std::to_string(i);
    EXPECT_EQ(ShardOf("client", key, 4), ShardOf("", key, 4));
    seen.insert(ShardOf("client", key, 4));
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(ShardOf("client", "anything", 1), 0);
}

TEST(RequestRouter, OneRecordAlwaysGoesToOneWorkerInOrder) {
  RequestRouter router(3);
  auto parts = router.Split("c", RequestOf({"A", "B", "A", "C", "A"}));
  int holders = 0;
  for (const auto& part : parts) {
    std::vector<std::string> ids;
    for (const auto& event : part.request.events()) {
      if (event.external_id() == "A") ids.push_back(event.event_id());
    }
    if (!ids.empty()) {
      ++holders;
      EXPECT_EQ(ids.size(), 3u);
      EXPECT_EQ(part.worker, ShardOf("client", "A", 3));
    }
  }
  EXPECT_EQ(holders, 1);
}

TEST(RequestRouter, AssemblesTheReplyInRequestOrderWhenEveryPartIsIn) {
  RequestRouter router(4);
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("K" + std::to_string(i));
  auto parts = router.Split("client-1", RequestOf(keys, 99));
  ASSERT_GT(parts.size(), 1u);
  for (std::size_t p = 0; p + 1 < parts.size(); ++p) {
    EXPECT_FALSE(router.Complete(parts[p].part_id, AnswerTo(parts[p])).has_value());
  }
  auto finished = router.Complete(parts.back().part_id, AnswerTo(parts.back()));
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->client, "client-1");
  EXPECT_EQ(finished->reply.request_id(), 99u);
  ASSERT_EQ(finished->reply.results_size(), 40);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(finished->reply.results(i).event_id(), "e-K" + std::to_string(i));
  }
  EXPECT_EQ(router.pending_requests(), 0u);
}

TEST(RequestRouter, AnUnknownPartIsIgnored) {
  RequestRouter router(2);
  EXPECT_FALSE(router.Complete(12345, v1::SubmitReply()).has_value());
}

TEST(RequestRouter, AnEmptyRequestIsAnsweredAtOnce) {
  RequestRouter router(2);
  EXPECT_TRUE(router.Split("c", RequestOf({}, 5)).empty());
  auto empty = router.TakeEmpty();
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].reply.request_id(), 5u);
  EXPECT_TRUE(router.TakeEmpty().empty());
}

}  // namespace
}  // namespace synchub
