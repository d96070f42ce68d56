#include <gtest/gtest.h>

#include "outbound/core/queued_change.hpp"

namespace synchub {
namespace {

QueuedChange Change(std::uint64_t xid, std::int64_t seq, const std::string& key,
                    std::int64_t etag) {
  QueuedChange change;
  change.position = {xid, seq};
  change.entity = "client";
  change.external_id = key;
  change.etag = etag;
  return change;
}

TEST(NewestPerRecord, KeepsTheHighestEtagOfEachRecordInPositionOrder) {
  // A transaction that started first (xid 100) committed the later state of B (etag 6).
  auto newest = NewestPerRecord({Change(100, 7, "B", 6), Change(100, 8, "A", 2),
                                 Change(101, 5, "B", 5), Change(102, 9, "A", 3)});
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].external_id, "B");
  EXPECT_EQ(newest[0].etag, 6);
  EXPECT_EQ(newest[1].external_id, "A");
  EXPECT_EQ(newest[1].etag, 3);
}

}  // namespace
TEST(PrefixWithinBytes, CutsAtTheCapButAlwaysSendsOne) {
  auto of = [](const std::vector<std::size_t>& sizes) {
    std::vector<QueuedChange> changes;
    for (std::size_t size : sizes) {
      QueuedChange change;
      change.record_json = std::string(size, 'x');
      changes.push_back(change);
    }
    return changes;
  };
  EXPECT_EQ(PrefixWithinBytes(of({}), 10), 0u);
  EXPECT_EQ(PrefixWithinBytes(of({4, 4, 4}), 10), 2u);
  EXPECT_EQ(PrefixWithinBytes(of({4, 6, 4}), 10), 2u);
  EXPECT_EQ(PrefixWithinBytes(of({4, 4, 2}), 10), 3u);
  EXPECT_EQ(PrefixWithinBytes(of({11, 1}), 10), 1u);
  // 235 records of about 320 KiB (a fresh-eyes test's 75 MiB Deliver) go in 4 MiB messages.
  EXPECT_EQ(PrefixWithinBytes(of(std::vector<std::size_t>(235, 320 << 10)), kMaxMessageRecordBytes),
            12u);
}

}  // namespace synchub
