// The resolution log's partitions and retention (sql/008_log_retention.sql,
// resolver/pg/log_maintenance.hpp) on a real PostgreSQL, the log written by a real
// synchub-resolver.
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/pg/catalog_loader.hpp"
#include "resolver/app/resolver_test_harness.hpp"
#include "resolver/pg/log_maintenance.hpp"
#include "resolver/pg/log_verifier.hpp"

namespace synchub {
namespace {

using std::chrono::hours;
using testing::ClientFor;
using testing::RunningResolver;
using testing::StartResolver;
using testing::TestDatabase;
using testing::WireEvent;

constexpr std::int64_t kPartitionEvents = 100;

class LogRetentionTest : public ::testing::Test {
 protected:
  std::int64_t Int(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? -1 : row[0].as<std::int64_t>();
  }
  void Exec(const std::string& sql) {
    pqxx::work tx(*connection_);
    tx.exec(sql);
    tx.commit();
  }
  // Waits until the resolver's maintenance keeps a whole partition ahead of the sequence.
  void WaitForRoom() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Int("SELECT max(seq_to) FROM log_partition") <
           Int("SELECT last_value + 1 FROM resolution_log_seq_seq") + kPartitionEvents) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no partition made ahead";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // `rounds` x 40 events from CRM, ERP and Portal on records R0..R39, each round a newer
  // version; and one MANUAL conflict on record C (CRM against CRM).
  void Resolve(int rounds) {
    RunningResolver resolver = StartResolver(
        db_,
        {"--log-partition-events", std::to_string(kPartitionEvents), "--retention-every", "0"});
    auto client = ClientFor(context_, {resolver.endpoint});
    auto conflict = client->Submit(
        {WireEvent(R"({"externalId":"C","source":"CRM","version":1,"a":"one"})", "c-1"),
         WireEvent(R"({"externalId":"C","source":"CRM","version":1,"a":"two"})", "c-2")});
    ASSERT_TRUE(conflict.ok());
    for (int round = 1; round <= rounds; ++round) {
      WaitForRoom();
      std::vector<v1::Event> events;
      for (int record = 0; record < 40; ++record) {
        const char* source = record % 3 == 0 ? "CRM" : record % 3 == 1 ? "ERP" : "Portal";
        events.push_back(WireEvent(R"({"externalId":"R)" + std::to_string(record) +
                                       R"(","source":")" + source + R"(","version":)" +
                                       std::to_string(round) + R"(,"a":)" +
                                       std::to_string(round * 100 + record) + "}",
                                   "e-" + std::to_string(round) + "-" + std::to_string(record)));
      }
      auto reply = client->Submit(events);
      ASSERT_TRUE(reply.ok()) << reply.status().ToString();
      for (const auto& result : reply->results()) {
        ASSERT_GT(result.log_seq(), 0) << result.ShortDebugString();
      }
    }
  }
  // Every registered source acknowledged the whole log, except `behind` (never subscribed
  // past the start); the log is made `age` old.
  void AcknowledgeAllBut(const std::string& behind, const std::string& age) {
    Exec(
        "INSERT INTO outbound_cursor (target_source, xid, seq) SELECT source, "
        "(SELECT max(xid) FROM resolution_log), (SELECT max(seq) FROM resolution_log) "
        "FROM source_priority ON CONFLICT (target_source) DO UPDATE SET xid = EXCLUDED.xid, "
        "seq = EXCLUDED.seq");
    if (!behind.empty()) {
      Exec("UPDATE outbound_cursor SET xid = '0', seq = 0 WHERE target_source = '" + behind + "'");
    }
    Exec("UPDATE resolution_log SET resolved_at = now() - interval '" + age + "'");
  }
  LogMaintenanceOptions Options(hours max_age, hours lag_cap) {
    LogMaintenanceOptions options;
    options.partition_events = kPartitionEvents;
    options.retention.max_age = max_age;
    options.retention.lag_cap = lag_cap;
    return options;
  }
  void ExpectTheLogVerifies() {
    auto catalog = LoadCatalog(*connection_);
    ASSERT_TRUE(catalog.ok());
    auto verified = VerifyResolutionLog(*connection_, *catalog, {}, {});
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_TRUE(verified->ok()) << (verified->mismatches.empty() ? "" : verified->mismatches[0]);
    EXPECT_EQ(verified->records_checked, 41u);
  }

  zmq::context_t context_{1};
  TestDatabase db_;
  std::unique_ptr<pqxx::connection> connection_ = db_.Connect();
};

TEST_F(LogRetentionTest, TheResolverWritesAcrossPartitionsItCreatesAhead) {
  Resolve(8);  // 322 events: four partitions of 100 and more
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log"), 322);
  EXPECT_GE(Int("SELECT count(*) FROM log_partition"), 5);
  EXPECT_EQ(Int("SELECT count(*) FROM pg_partition_tree('resolution_log') WHERE isleaf"),
            Int("SELECT count(*) FROM log_partition"));
  ExpectTheLogVerifies();
}

// The server ends every session of the hub (as a restart does): the maintenance reconnects and
// goes on making partitions, so writes never run out of them.
TEST_F(LogRetentionTest, PartitionsAreStillMadeAfterTheDatabaseEndedEverySession) {
  RunningResolver resolver = StartResolver(
      db_, {"--log-partition-events", std::to_string(kPartitionEvents), "--retention-every", "0"});
  WaitForRoom();
  const std::int64_t before = Int("SELECT max(seq_to) FROM log_partition");
  Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
      " AND pid <> pg_backend_pid()");
  // Push the sequence past what exists: only a maintenance that reconnected makes room again.
  Exec("SELECT setval('resolution_log_seq_seq', " + std::to_string(before + 10) + ")");
  WaitForRoom();
  EXPECT_GT(Int("SELECT max(seq_to) FROM log_partition"), before);
}

TEST_F(LogRetentionTest, AStoppedSourceWithinTheLagCapKeepsItsChangesPastTheRetentionAge) {
  Resolve(8);
  AcknowledgeAllBut("ERP", "2 days");
  PgLogMaintenance maintenance(*connection_, Options(hours(24), hours(72)));
  auto report = maintenance.ApplyRetention();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Only the migration's empty first partition goes.
  for (const auto& drop : report->dropped) EXPECT_EQ(drop.events, 0) << drop.name;
  EXPECT_EQ(report->kept_because, "resolution_log_1: not acknowledged by ERP (within the lag cap)");
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log"), 322);

  // ERP comes back and acknowledges everything: the log is cut at the partition being written.
  Exec(
      "UPDATE outbound_cursor SET xid = (SELECT max(xid) FROM resolution_log), "
      "seq = (SELECT max(seq) FROM resolution_log) WHERE target_source = 'ERP'");
  report = maintenance.ApplyRetention();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_GE(report->dropped.size(), 3u);
  std::int64_t dropped_events = 0;
  for (const auto& drop : report->dropped) {
    dropped_events += drop.events;
    EXPECT_EQ(drop.reason, "age");
    EXPECT_TRUE(drop.reloaded.empty());
  }
  const std::int64_t cut = report->dropped.back().seq_to;
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log"), 322 - dropped_events);
  EXPECT_EQ(Int("SELECT min(seq) FROM resolution_log"), cut);
  EXPECT_EQ(Int("SELECT count(*) FROM log_truncation WHERE events > 0"),
            static_cast<std::int64_t>(report->dropped.size()));
  EXPECT_EQ(Int("SELECT sum(events) FROM log_truncation"), dropped_events);
  // Every record whose events went has a checkpoint at its last dropped event.
  EXPECT_EQ(Int("SELECT count(*) FROM record_checkpoint"), 41);
  EXPECT_EQ(Int("SELECT count(*) FROM record_checkpoint WHERE seq >= " + std::to_string(cut)), 0);
  // The recorded answers of dropped events go with them; those kept keep theirs.
  // (The MANUAL event's key stays with its open conflict.)
  EXPECT_EQ(Int("SELECT count(*) FROM idempotency_key"), 322 - dropped_events + 1);
  // The open conflict is not the log's: it stays open.
  EXPECT_EQ(Int("SELECT count(*) FROM conflict_log WHERE status = 'open'"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM outbound_cursor WHERE reload_requested"), 0);
  // Replay verification starts from the checkpoints and still reproduces every record.
  ExpectTheLogVerifies();
  // A resend of the MANUAL event whose log row went is answered with its conflict, still open:
  // its key stayed with the conflict.
  EXPECT_EQ(Int("SELECT count(*) FROM idempotency_key WHERE event_id = 'c-2'"), 1);
  {
    RunningResolver resolver = StartResolver(db_, {"--retention-every", "0"});
    auto client = ClientFor(context_, {resolver.endpoint});
    auto resent = client->Submit(
        {WireEvent(R"({"externalId":"C","source":"CRM","version":1,"a":"two"})", "c-2")});
    ASSERT_TRUE(resent.ok()) << resent.status().ToString();
    EXPECT_TRUE(resent->results(0).duplicate()) << resent->results(0).ShortDebugString();
    EXPECT_EQ(resent->results(0).outcome(), v1::OUTCOME_MANUAL);
    EXPECT_EQ(resent->results(0).conflict_id(),
              Int("SELECT id FROM conflict_log WHERE event_id = 'c-2'"));
    EXPECT_EQ(Int("SELECT count(*) FROM conflict_log"), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM dead_letter"), 0);
  }
  // Records resolved after the cut replay too: more events on top of the checkpoints.
  Resolve(1);
  ExpectTheLogVerifies();
}

// A writer still inserting into a partition when the drop was planned: DETACH waits for it,
// and the drop is called off when it added rows the checkpoints and counts did not see.
TEST_F(LogRetentionTest, ADropIsCalledOffWhenAWriterAddsRowsWhileItWaits) {
  Resolve(4);
  // The migration's empty first partition goes first (its drop would wait for the writer too).
  AcknowledgeAllBut("", "1 second");
  ASSERT_TRUE(PgLogMaintenance(*connection_, Options(hours(24), hours(48))).ApplyRetention().ok());
  ASSERT_EQ(Int("SELECT count(*) FROM log_partition WHERE name = 'resolution_log_0'"), 0);
  Exec("UPDATE resolution_log SET resolved_at = now() - interval '2 days'");
  // A transaction holds a row in the first full partition, not yet committed.
  Exec("DELETE FROM resolution_log WHERE seq = 99");  // a free seq among the counted rows
  auto writer = db_.Connect();
  pqxx::work pending(*writer);
  pending.exec(
      "INSERT INTO resolution_log (seq, event_id, entity, external_id, source, version,"
      " event, outcome, changed, resolved_at) VALUES (99, 'late', 'client', 'R0', 'CRM',"
      " 1, '{}', 'STALE_SKIP', false, now() - interval '2 days')");
  std::optional<StatusOr<RetentionReport>> report;
  std::thread maintainer([&] {
    auto connection = db_.Connect();
    report = PgLogMaintenance(*connection, Options(hours(24), hours(48))).ApplyRetention();
  });
  // The drop's DETACH waits for the writer: commit it then.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Int("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query "
             "LIKE '%DETACH PARTITION%'") == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the drop never waited";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pending.commit();
  maintainer.join();
  ASSERT_TRUE(report.has_value() && report->ok());
  EXPECT_EQ((*report)->kept_because,
            "resolution_log_1: events arrived during the drop (tried again later)");
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log WHERE event_id = 'late'"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM log_truncation WHERE events > 0"), 0);
}

TEST_F(LogRetentionTest, ASourcePastTheLagCapIsMarkedForAReloadAndTheRowsAreArchived) {
  Resolve(4);  // 162 events
  AcknowledgeAllBut("ERP", "3 days");
  const std::filesystem::path archive =
      std::filesystem::temp_directory_path() / ("synchub-archive-" + db_.name());
  std::filesystem::create_directories(archive);
  LogMaintenanceOptions options = Options(hours(24), hours(48));
  options.archive_dir = archive.string();
  PgLogMaintenance maintenance(*connection_, options);

  auto dry = maintenance.ApplyRetention(/*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ASSERT_GE(dry->planned.size(), 2u);  // the migration's empty partition, then ERP's changes
  EXPECT_EQ(dry->planned[1].reload, std::vector<std::string>{"ERP"});
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log"), 162);

  auto report = maintenance.ApplyRetention();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_GE(report->dropped.size(), 2u);
  EXPECT_EQ(report->dropped[1].reloaded, std::vector<std::string>{"ERP"});
  EXPECT_EQ(Int("SELECT count(*) FROM outbound_cursor WHERE reload_requested"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM outbound_cursor WHERE reload_requested "
                "AND target_source = 'ERP'"),
            1);
  EXPECT_EQ(Int("SELECT count(*) FROM log_truncation WHERE reloaded = '{ERP}'"),
            static_cast<std::int64_t>(report->dropped.size()) - 1);
  // The archive holds every dropped row, one line each, and loads back into the log.
  std::int64_t lines = 0;
  for (const auto& drop : report->dropped) {
    std::ifstream file(drop.archived_to);
    ASSERT_TRUE(file.good()) << drop.archived_to;
    std::string line;
    std::int64_t in_file = 0;
    while (std::getline(file, line)) ++in_file;
    EXPECT_EQ(in_file, drop.events);
    lines += in_file;
  }
  EXPECT_EQ(lines + Int("SELECT count(*) FROM resolution_log"), 162);
  // Archives are the owner's only (they hold every record's values); the server reads this
  // one to load it back.
  EXPECT_EQ(std::filesystem::status(report->dropped[1].archived_to).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::permissions(archive, std::filesystem::perms::all);
  std::filesystem::permissions(report->dropped[1].archived_to, std::filesystem::perms::all);
  Exec("CREATE TABLE restored (LIKE resolution_log)");
  Exec("COPY restored FROM '" + report->dropped[1].archived_to + "'");
  EXPECT_EQ(Int("SELECT count(*) FROM restored"), report->dropped[1].events);
  ExpectTheLogVerifies();
  std::filesystem::remove_all(archive);
}

TEST_F(LogRetentionTest, NothingYoungerThanTheRetentionAgeGoes) {
  Resolve(4);
  AcknowledgeAllBut("", "2 hours");
  PgLogMaintenance maintenance(*connection_, Options(hours(24), hours(48)));
  auto report = maintenance.ApplyRetention();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& drop : report->dropped) EXPECT_EQ(drop.events, 0) << drop.name;
  EXPECT_EQ(report->kept_because, "resolution_log_1: within the retention age");
  EXPECT_EQ(Int("SELECT count(*) FROM resolution_log"), 162);
}

}  // namespace
}  // namespace synchub
