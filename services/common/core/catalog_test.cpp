#include "common/core/catalog.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

TEST(Catalog, DemoHasTheSeedsPriorities) {
  Catalog catalog = Catalog::Demo();
  EXPECT_EQ(catalog.PriorityOf("CRM"), 1);
  EXPECT_EQ(catalog.PriorityOf("ERP"), 2);
  EXPECT_EQ(catalog.PriorityOf("Portal"), 3);
  EXPECT_EQ(catalog.PriorityOf("LocalDB"), 4);
  EXPECT_EQ(catalog.PriorityOf("crm"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(catalog.Sources(), (std::vector<std::string>{"CRM", "ERP", "Portal", "LocalDB"}));
  EXPECT_TRUE(catalog.HasEntity("client"));
  EXPECT_TRUE(catalog.HasEntity("order"));
  EXPECT_FALSE(catalog.HasEntity("invoice"));
  ASSERT_EQ(catalog.DependenciesOf("order").size(), 1u);
  EXPECT_EQ(catalog.DependenciesOf("order")[0], (EntityDependency{"order", "clientId", "client"}));
  EXPECT_TRUE(catalog.DependenciesOf("client").empty());
}

TEST(Catalog, SourcesSortByPriorityThenName) {
  Catalog catalog({{"b", 2}, {"a", 2}, {"z", 1}}, {"client"}, {});
  EXPECT_EQ(catalog.Sources(), (std::vector<std::string>{"z", "a", "b"}));
}

TEST(Catalog, WithPriorityChangesOnlyThatSource) {
  Catalog catalog = Catalog::Demo().WithPriority("LocalDB", 0);
  EXPECT_EQ(catalog.PriorityOf("LocalDB"), 0);
  EXPECT_EQ(catalog.PriorityOf("CRM"), 1);
  EXPECT_EQ(catalog.Sources().front(), "LocalDB");
}

}  // namespace
}  // namespace synchub
