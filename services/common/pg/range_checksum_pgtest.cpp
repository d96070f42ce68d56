// RowHashSql (common/core/range_checksum.hpp) evaluated by PostgreSQL: the row hash that the
// hub and a connector compare must not depend on how a value was written or stored, and must
// change with everything it covers.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/core/range_checksum.hpp"
#include "common/pg/testing/test_database.hpp"

namespace synchub {
namespace {

class RowHash : public ::testing::Test {
 protected:
  RowHash() : connection_(db_.Connect()) {}

  // The hash of the row (key, version) whose fields `names` are read from the jsonb object
  // `object` (a missing member is a missing field), as a connector or the hub would read them.
  std::int64_t Hash(const std::string& key, std::int64_t version,
                    const std::vector<std::string>& names, const std::string& object) {
    std::vector<ChecksumField> fields;
    for (const std::string& name : names) fields.push_back({name, "($3::jsonb->'" + name + "')"});
    pqxx::read_transaction tx(*connection_);
    return tx
        .exec_params1("SELECT " + RowHashSql("$1::text", "$2::bigint", fields), key, version,
                      object)[0]
        .as<std::int64_t>();
  }

  std::int64_t Hash(const std::string& object) { return Hash("K-1", 3, {"x"}, object); }

  testing::TestDatabase db_{/*migrate=*/false};
  std::unique_ptr<pqxx::connection> connection_;
};

TEST_F(RowHash, NumbersHashByValueWhateverTheirTrailingZeros) {
  EXPECT_EQ(Hash(R"({"x": 1})"), Hash(R"({"x": 1.0})"));
  EXPECT_EQ(Hash(R"({"x": 1})"), Hash(R"({"x": 1.00})"));
  EXPECT_EQ(Hash(R"({"x": 1.5})"), Hash(R"({"x": 1.50})"));
  EXPECT_EQ(Hash(R"({"x": 15})"), Hash(R"({"x": 1.50e1})"));
  EXPECT_EQ(Hash(R"({"x": -0.0})"), Hash(R"({"x": 0})"));
  EXPECT_NE(Hash(R"({"x": 1.5})"), Hash(R"({"x": 1.05})"));
  EXPECT_NE(Hash(R"({"x": 10})"), Hash(R"({"x": 1})"));
}

TEST_F(RowHash, AStringHoldingANumberIsNotThatNumber) {
  EXPECT_NE(Hash(R"({"x": "1.5"})"), Hash(R"({"x": 1.5})"));
  EXPECT_NE(Hash(R"({"x": "true"})"), Hash(R"({"x": true})"));
  EXPECT_NE(Hash(R"({"x": "null"})"), Hash(R"({"x": null})"));
}

TEST_F(RowHash, NullEqualsAMissingField) {
  EXPECT_EQ(Hash(R"({"x": null})"), Hash(R"({})"));
  EXPECT_EQ(Hash("K-1", 3, {"a", "b"}, R"({"a": 1})"),
            Hash("K-1", 3, {"a", "b"}, R"({"a": 1, "b": null})"));
  EXPECT_NE(Hash(R"({"x": false})"), Hash(R"({})"));
  EXPECT_NE(Hash(R"({"x": ""})"), Hash(R"({})"));
}

TEST_F(RowHash, TheOrderOfTheFieldsGivenDoesNotMatter) {
  const std::string object = R"({"email": "a@x", "fullName": "Ann", "n": 2.50})";
  const std::int64_t hash = Hash("K-1", 3, {"email", "fullName", "n"}, object);
  EXPECT_EQ(Hash("K-1", 3, {"n", "fullName", "email"}, object), hash);
  EXPECT_EQ(Hash("K-1", 3, {"fullName", "n", "email"}, object), hash);
}

TEST_F(RowHash, OnlyTheFieldsAskedForCount) {
  EXPECT_EQ(Hash("K-1", 3, {"x"}, R"({"x": 1, "other": "a"})"),
            Hash("K-1", 3, {"x"}, R"({"x": 1, "other": "b"})"));
  EXPECT_NE(Hash("K-1", 3, {"x"}, R"({"x": 1})"), Hash("K-1", 3, {"x", "other"}, R"({"x": 1})"));
}

TEST_F(RowHash, TheKeyTheVersionAndEveryValueChangeTheHash) {
  const std::vector<std::string> names = {"a", "b"};
  const std::string object = R"({"a": "one", "b": 2})";
  const std::int64_t hash = Hash("K-1", 3, names, object);
  EXPECT_NE(Hash("K-2", 3, names, object), hash);
  EXPECT_NE(Hash("k-1", 3, names, object), hash);
  EXPECT_NE(Hash("K-1", 4, names, object), hash);
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "One", "b": 2})"), hash);
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "one", "b": 3})"), hash);
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "one"})"), hash);
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "one", "b": [2]})"), hash);
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "one", "b": {"v": 2}})"), hash);
  // A value cannot pass itself off as the next field or the version.
  EXPECT_NE(Hash("K-1", 3, names, R"({"a": "one\u001fb=2", "b": null})"),
            Hash("K-1", 3, names, R"({"a": "one", "b": 2})"));
}

TEST_F(RowHash, ANumericColumnHashesLikeTheSameNumberInJsonb) {
  pqxx::work tx(*connection_);
  tx.exec(
      "CREATE TEMP TABLE t (external_id text, version bigint, x numeric, y numeric(10,2), "
      "s text, missing text)");
  tx.exec("INSERT INTO t VALUES ('K-1', 3, 1.5, 1.5, 'Ann', NULL)");
  const std::string table_hash = RowHashSql("t.external_id", "t.version",
                                            {{"x", "to_jsonb(t.x)"},
                                             {"y", "to_jsonb(t.y)"},
                                             {"s", "to_jsonb(t.s)"},
                                             {"missing", "to_jsonb(t.missing)"}});
  const auto from_table = tx.exec1("SELECT " + table_hash + " FROM t")[0].as<std::int64_t>();
  tx.commit();
  EXPECT_EQ(from_table,
            Hash("K-1", 3, {"x", "y", "s", "missing"}, R"({"x": 1.5, "y": 1.5, "s": "Ann"})"));
  // The jsonb path used for canonical records: fields->'x' of '{"x": 1.5}'.
  pqxx::read_transaction read(*connection_);
  const auto from_literal =
      read.exec1("SELECT " + RowHashSql("'K-1'", "3",
                                        {{"x", "('{\"x\": 1.5}'::jsonb->'x')"},
                                         {"y", "('{\"y\": 1.50}'::jsonb->'y')"},
                                         {"s", "('{\"s\": \"Ann\"}'::jsonb->'s')"},
                                         {"missing", "('{}'::jsonb->'missing')"}}))[0]
          .as<std::int64_t>();
  EXPECT_EQ(from_table, from_literal);
}

TEST_F(RowHash, ARangeChecksumIsTheCountAndTheXorOfItsRowHashes) {
  pqxx::work tx(*connection_);
  tx.exec("CREATE TEMP TABLE r (k text, v bigint, x jsonb)");
  tx.exec(R"(INSERT INTO r VALUES ('A', 1, '1'), ('B', 2, '"b"'), ('C', 1, 'null'))");
  const std::string row_hash = RowHashSql("r.k", "r.v", {{"x", "r.x"}});
  const auto all = tx.exec1("SELECT " + RangeChecksumSelectSql(row_hash) + " FROM r");
  EXPECT_EQ(all[0].as<std::int64_t>(), 3);
  std::int64_t xor_of_rows = 0;
  for (const auto& row : tx.exec("SELECT " + row_hash + " FROM r")) {
    xor_of_rows ^= row[0].as<std::int64_t>();
  }
  EXPECT_EQ(all[1].as<std::int64_t>(), xor_of_rows);
  const auto none = tx.exec1("SELECT " + RangeChecksumSelectSql(row_hash) + " FROM r WHERE false");
  EXPECT_EQ(none[0].as<std::int64_t>(), 0);
  EXPECT_EQ(none[1].as<std::int64_t>(), 0);
}

}  // namespace
}  // namespace synchub
