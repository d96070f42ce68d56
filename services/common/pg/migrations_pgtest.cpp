#include <gtest/gtest.h>

#include "common/pg/connection.hpp"
#include "common/pg/migrations.hpp"
#include "common/pg/testing/test_database.hpp"

namespace synchub {
namespace {

using testing::TestDatabase;

int Count(pqxx::connection& connection, const std::string& sql) {
  pqxx::read_transaction tx(connection);
  return tx.exec1(sql)[0].as<int>();
}

TEST(Migrations, BundledMigrationsAreNumberedFromOneWithoutGaps) {
  const auto& migrations = BundledMigrations();
  ASSERT_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1)) << migrations[i].name;
  }
}

TEST(Migrations, AppliesEveryMigrationOnceAndRecordsIt) {
  TestDatabase db(/*migrate=*/false);
  auto connection = db.Connect();
  EXPECT_EQ(CheckSchemaCurrent(*connection, BundledMigrations()).code(),
            StatusCode::kFailedPrecondition);

  auto first = ApplyMigrations(*connection, BundledMigrations());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->applied.size(), BundledMigrations().size());
  EXPECT_EQ(first->schema_version, BundledMigrations().back().version);
  EXPECT_TRUE(CheckSchemaCurrent(*connection, BundledMigrations()).ok());

  auto second = ApplyMigrations(*connection, BundledMigrations());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM schema_migration"),
            static_cast<int>(BundledMigrations().size()));
}

TEST(Migrations, SeedsTheDemoPrioritiesEntitiesAndDependency) {
  TestDatabase db;
  auto connection = db.Connect();
  pqxx::read_transaction tx(*connection);
  auto priorities = tx.exec("SELECT source, priority FROM source_priority ORDER BY priority");
  ASSERT_EQ(priorities.size(), 4u);
  EXPECT_EQ(priorities[0][0].as<std::string>(), "CRM");
  EXPECT_EQ(priorities[1][0].as<std::string>(), "ERP");
  EXPECT_EQ(priorities[2][0].as<std::string>(), "Portal");
  EXPECT_EQ(priorities[3][0].as<std::string>(), "LocalDB");
  EXPECT_EQ(priorities[3][1].as<int>(), 4);
  auto dependency = tx.exec1("SELECT entity, field, target_entity FROM entity_dependency");
  EXPECT_EQ(dependency[0].as<std::string>(), "order");
  EXPECT_EQ(dependency[1].as<std::string>(), "clientId");
  EXPECT_EQ(dependency[2].as<std::string>(), "client");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM entity_type").front().as<int>(), 2);
}

TEST(Migrations, CreatesEveryHubTable) {
  TestDatabase db;
  auto connection = db.Connect();
  for (const char* table : {"canonical_record", "resolution_log", "conflict_log", "deferred_event",
                            "dead_letter", "outbound_change"}) {
    EXPECT_EQ(Count(*connection, std::string("SELECT count(*) FROM ") + table), 0) << table;
  }
}

// Migration 8 partitions a log that already holds rows: they stay, in the first partition,
// the views read the partitioned table, and seq goes on from where it was.
TEST(Migrations, PartitioningTheLogKeepsItsRowsViewsAndSequence) {
  TestDatabase db(/*migrate=*/false);
  auto connection = db.Connect();
  std::vector<Migration> before_8;
  for (const auto& migration : BundledMigrations()) {
    if (migration.version < 8) before_8.push_back(migration);
  }
  ASSERT_TRUE(ApplyMigrations(*connection, before_8).ok());
  {
    pqxx::work tx(*connection);
    for (int i = 1; i <= 3; ++i) {
      tx.exec(
          "INSERT INTO resolution_log (event_id, entity, external_id, source, version, event,"
          " outcome, changed, etag_after, record_after, targets) VALUES ('e" +
          std::to_string(i) + "', 'client', 'K" + std::to_string(i) +
          "', 'CRM', 1, '{}', 'NEW_RECORD', true, 1, '{\"version\":1}', '{ERP}')");
    }
    tx.commit();
  }
  auto applied = ApplyMigrations(*connection, BundledMigrations());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM resolution_log"), 3);
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM resolution_log_0"), 3);
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM outbound_change WHERE target_source = 'ERP'"),
            3);
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM dbo.outboundchanges"), 3);
  EXPECT_EQ(Count(*connection,
                  "SELECT count(*) FROM log_partition WHERE name = 'resolution_log_0'"
                  " AND seq_to = 4"),
            1);
  // Every view that read the old table reads the partitioned one.
  EXPECT_EQ(Count(*connection,
                  "SELECT count(*) FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid "
                  "WHERE d.refobjid = 'resolution_log_0'::regclass"),
            0);
  {
    pqxx::work tx(*connection);
    tx.exec(
        "CREATE TABLE resolution_log_4 PARTITION OF resolution_log FOR VALUES FROM (4) TO (10)");
    EXPECT_EQ(tx.exec1("INSERT INTO resolution_log (event_id, entity, external_id, source, version,"
                       " event, outcome, changed) VALUES ('e4', 'client', 'K4', 'CRM', 1, '{}',"
                       " 'STALE_SKIP', false) RETURNING seq")[0]
                  .as<int>(),
              4);
    tx.commit();
  }
}

TEST(Migrations, RefusesAMigrationWhoseTextChangedAfterItWasApplied) {
  TestDatabase db;
  auto connection = db.Connect();
  auto changed = BundledMigrations();
  changed.front().sql += "\n-- edited";
  auto report = ApplyMigrations(*connection, changed);
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSchemaCurrent(*connection, changed).code(), StatusCode::kFailedPrecondition);
}

TEST(Migrations, AFailingMigrationAppliesNothingOfItself) {
  TestDatabase db;
  auto connection = db.Connect();
  auto migrations = BundledMigrations();
  migrations.push_back({static_cast<int>(migrations.size()) + 1, "999_broken",
                        "CREATE TABLE half_done (x int); SELECT no_such_function();"});
  auto report = ApplyMigrations(*connection, migrations);
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(*connection, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
  EXPECT_EQ(CheckSchemaCurrent(*connection, migrations).code(), StatusCode::kFailedPrecondition);
}

TEST(Migrations, AnUnreachableServerIsUnavailable) {
  auto connection = ConnectPg("host=127.0.0.1 port=1 connect_timeout=2 dbname=none");
  EXPECT_EQ(connection.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace synchub
