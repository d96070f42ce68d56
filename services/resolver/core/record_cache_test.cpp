#include "resolver/core/record_cache.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

StoredRecord Stored(const std::string& id, const std::string& name, std::int64_t etag) {
  StoredRecord stored;
  stored.record.entity = "customer";
  stored.record.external_id = id;
  stored.record.fields["name"] = name;
  stored.etag = etag;
  return stored;
}

RecordKey Key(const std::string& id) { return {"customer", id}; }

TEST(RecordCache, HitsAreCopiedAndMissesReturnedInOrder) {
  RecordCache cache(10);
  cache.Remember(Key("A"), Stored("A", "Ann", 3));
  StoredRecords hits;
  const auto misses = cache.Lookup({Key("B"), Key("A"), Key("C")}, &hits);
  EXPECT_EQ(misses, (std::vector<RecordKey>{Key("B"), Key("C")}));
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits.at(Key("A")).etag, 3);
  EXPECT_EQ(hits.at(Key("A")).record.fields.at("name"), "Ann");
}

TEST(RecordCache, AnOlderEtagNeverReplacesANewerOne) {
  RecordCache cache(10);
  cache.Remember(Key("A"), Stored("A", "new", 5));
  cache.Remember(Key("A"), Stored("A", "old", 4));
  StoredRecords hits;
  cache.Lookup({Key("A")}, &hits);
  EXPECT_EQ(hits.at(Key("A")).etag, 5);
  EXPECT_EQ(hits.at(Key("A")).record.fields.at("name"), "new");
}

TEST(RecordCache, ACommittedPlanLeavesItsWritesAndItsVerifiedReads) {
  RecordCache cache(10);
  StoredRecords read = {{Key("A"), Stored("A", "Ann", 1)}, {Key("P"), Stored("P", "parent", 7)}};
  BatchPlan plan;
  StoredRecord written = Stored("A", "Anna", 2);
  plan.writes.push_back({Key("A"), written.record, 1, 2});
  plan.writes.push_back({Key("N"), Stored("N", "new", 1).record, std::nullopt, 1});
  plan.unchanged_reads = {{Key("P"), 7}};
  cache.RememberCommitted(plan, read);
  StoredRecords hits;
  EXPECT_TRUE(cache.Lookup({Key("A"), Key("N"), Key("P")}, &hits).empty());
  EXPECT_EQ(hits.at(Key("A")).etag, 2);
  EXPECT_EQ(hits.at(Key("A")).record.fields.at("name"), "Anna");
  EXPECT_EQ(hits.at(Key("N")).etag, 1);
  EXPECT_EQ(hits.at(Key("P")).etag, 7);
}

TEST(RecordCache, ForgottenKeysAreReadAgain) {
  RecordCache cache(10);
  cache.Remember(Key("A"), Stored("A", "Ann", 1));
  cache.Remember(Key("B"), Stored("B", "Bob", 1));
  cache.Forget({Key("A")});
  StoredRecords hits;
  EXPECT_EQ(cache.Lookup({Key("A"), Key("B")}, &hits), (std::vector<RecordKey>{Key("A")}));
}

TEST(RecordCache, AFullCacheStartsOverAndCapacityZeroKeepsNothing) {
  RecordCache cache(2);
  cache.Remember(Key("A"), Stored("A", "a", 1));
  cache.Remember(Key("B"), Stored("B", "b", 1));
  EXPECT_EQ(cache.size(), 2U);
  cache.Remember(Key("C"), Stored("C", "c", 1));
  EXPECT_EQ(cache.size(), 1U);
  StoredRecords hits;
  EXPECT_EQ(cache.Lookup({Key("A"), Key("C")}, &hits), (std::vector<RecordKey>{Key("A")}));

  RecordCache off(0);
  off.Remember(Key("A"), Stored("A", "a", 1));
  EXPECT_EQ(off.size(), 0U);
}

}  // namespace
}  // namespace synchub
