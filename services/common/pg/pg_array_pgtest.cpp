#include <gtest/gtest.h>

#include "common/pg/pg_array.hpp"
#include "common/pg/testing/test_database.hpp"

namespace synchub {
namespace {

TEST(PgArrayText, RoundTripsThroughThePostgresArrayParser) {
  testing::TestDatabase db(/*migrate=*/false);
  auto connection = db.Connect();
  const std::vector<std::string> values = {"plain", "with \"quotes\"", "back\\slash", "",
                                           "NULL",  "{braces},commas", "new\nline é"};
  PgArrayText text;
  for (const auto& value : values) text.Add(value);
  text.AddNull();
  pqxx::work tx(*connection);
  auto rows = tx.exec_params(
      "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", text.Text());
  ASSERT_EQ(rows.size(), values.size() + 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(rows[static_cast<int>(i)][0].as<std::string>(), values[i]) << i;
  }
  EXPECT_TRUE(rows[static_cast<int>(values.size())][0].is_null());

  PgArrayText numbers;
  numbers.Add(std::int64_t{-5});
  numbers.Add(std::int64_t{1} << 53);
  PgArrayText flags;
  flags.AddBool(true);
  flags.AddBool(false);
  auto row = tx.exec_params1("SELECT ($1::bigint[])[2], ($2::boolean[])[1], ($2::boolean[])[2]",
                             numbers.Text(), flags.Text());
  EXPECT_EQ(row[0].as<std::int64_t>(), std::int64_t{1} << 53);
  EXPECT_TRUE(row[1].as<bool>());
  EXPECT_FALSE(row[2].as<bool>());
}

}  // namespace
}  // namespace synchub
