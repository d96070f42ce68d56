#include "common/core/flat_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace synchub {
namespace {

TEST(FlatStringMap, KeepsKeysSortedAndUniqueLikeStdMap) {
  FlatStringMap<int> flat = {{"b", 2}, {"a", 1}, {"b", 3}};
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat.begin()->first, "a");
  EXPECT_EQ(flat.at("b"), 3);  // a repeated key in the initializer: the last one wins
  EXPECT_FALSE(flat.emplace("a", 9).second);
  EXPECT_EQ(flat.at("a"), 1);
  EXPECT_TRUE(flat.emplace("c", 4).second);
  EXPECT_FALSE(flat.insert_or_assign("c", 5).second);
  EXPECT_EQ(flat.at("c"), 5);
  flat["0"] = 7;
  EXPECT_EQ(flat.begin()->first, "0");
  EXPECT_EQ(flat.count("zz"), 0u);
  EXPECT_THROW(flat.at("zz"), std::out_of_range);
  EXPECT_EQ(flat.erase("a"), 1u);
  EXPECT_EQ(flat.erase("a"), 0u);
  EXPECT_EQ(flat.size(), 3u);
}

TEST(FlatStringMap, MatchesStdMapUnderRandomOperations) {
  std::mt19937 random(5);
  FlatStringMap<int> flat;
  std::map<std::string, int> reference;
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "k" + std::to_string(random() % 60);
    const int value = static_cast<int>(random() % 100);
    switch (random() % 4) {
      case 0:
        EXPECT_EQ(flat.emplace(key, value).second, reference.emplace(key, value).second);
        break;
      case 1:
        flat.insert_or_assign(key, value);
        reference.insert_or_assign(key, value);
        break;
      case 2:
        EXPECT_EQ(flat.erase(key), reference.erase(key));
        break;
      default:
        EXPECT_EQ(flat.count(key), reference.count(key));
    }
  }
  ASSERT_EQ(flat.size(), reference.size());
  auto it = reference.begin();
  for (const auto& [key, value] : flat) {
    EXPECT_EQ(key, it->first);
    EXPECT_EQ(value, it->second);
    ++it;
  }
}

TEST(FlatStringMap, AppendInOrderBuildsTheSameMap) {
  FlatStringMap<int> appended;
  appended.AppendInOrder("a", 1);
  appended.AppendInOrder("b", 2);
  FlatStringMap<int> inserted = {{"b", 2}, {"a", 1}};
  EXPECT_EQ(appended, inserted);
  EXPECT_NE(appended.find("b"), appended.end());
}

}  // namespace
}  // namespace synchub
