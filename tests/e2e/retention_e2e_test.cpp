// The resolution log's retention with real connectors (docs/design.md, "Log retention"): a
// stopped connector within the lag cap keeps its changes past the retention age and catches
// up when it returns; one past the cap is reloaded and converges. The log is aged by SQL (the
// test's clock); the policy runs in this process (PgLogMaintenance), as synchub-maintain does.
#include "resolver/pg/log_maintenance.hpp"
#include "two_way_fixture.hpp"

namespace synchub {
namespace {

using std::chrono::hours;

class RetentionE2e : public TwoWayE2e {
 protected:
  std::vector<std::string> ResolverFlags() const override {
    return {"--log-partition-events", "50", "--retention-every", "0"};
  }
  void Hub(const std::string& sql) {
    auto connection = stack_->db->Connect();
    pqxx::work tx(*connection);
    tx.exec(sql);
    tx.commit();
  }
  // Applies the policy (retention 1 day, lag cap 3 days) to a log made `age` old.
  RetentionReport Retain(const std::string& age) {
    Hub("UPDATE resolution_log SET resolved_at = now() - interval '" + age + "'");
    auto connection = stack_->db->Connect();
    LogMaintenanceOptions options;
    options.partition_events = 50;
    options.retention.max_age = hours(24);
    options.retention.lag_cap = hours(72);
    auto report = PgLogMaintenance(*connection, options).ApplyRetention();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RetentionReport{};
  }
  static std::int64_t Events(const RetentionReport& report) {
    std::int64_t events = 0;
    for (const auto& drop : report.dropped) events += drop.events;
    return events;
  }
  // 120 clients written in CRM (`round` 1: inserted; later rounds: updated to a new email).
  void WriteInCrm(int round) {
    for (int i = 0; i < 120; ++i) {
      const std::string key = "'RET-" + std::to_string(1000 + i) + "'";
      const std::string email = "'r" + std::to_string(round) + "@example.com'";
      Local("CRM", round == 1
                       ? "INSERT INTO local_records (external_id, full_name, email) VALUES (" +
                             key + ", 'Ret', " + email + ")"
                       : "UPDATE local_records SET email = " + email +
                             ", version = version + 1 WHERE external_id = " + key);
    }
  }
  std::chrono::milliseconds WaitForRound(int round, const std::string& except) {
    return WaitEverywhere(
        "SELECT count(*) FROM local_records WHERE external_id LIKE 'RET-%' AND email = 'r" +
            std::to_string(round) + "@example.com'",
        "120", except, std::chrono::seconds(60));
  }
};

TEST_F(RetentionE2e, AStoppedConnectorKeepsItsChangesAndCatchesUpAndOnePastTheLagCapIsReloaded) {
  // ERP's connector is away while CRM writes 120 records.
  connectors_.erase("ERP");
  WriteInCrm(1);
  WaitForRound(1, "ERP");
  ASSERT_EQ(LocalScalar("Portal",
                        "SELECT count(*) FROM local_records WHERE external_id LIKE "
                        "'RET-%'"),
            "120");
  const std::string logged = HubScalar("SELECT count(*) FROM resolution_log");

  // Two days later (retention: one day) ERP's changes are kept: it is within the lag cap.
  RetentionReport report = Retain("2 days");
  EXPECT_EQ(Events(report), 0);
  EXPECT_NE(report.kept_because.find("not acknowledged by ERP (within the lag cap)"),
            std::string::npos)
      << report.kept_because;
  EXPECT_EQ(HubScalar("SELECT count(*) FROM resolution_log"), logged);

  // ERP returns and catches up from the log, without a reload.
  StartConnector("ERP");
  WaitForRound(1, "");
  ASSERT_TRUE(WaitQuiescent(std::chrono::seconds(60)));
  EXPECT_EQ(HubScalar("SELECT count(*) FROM outbound_cursor WHERE reload_requested"), "0");

  // Everyone acknowledged: the full partitions go, each record keeps a checkpoint.
  report = Retain("2 days");
  EXPECT_GE(Events(report), 100);
  for (const auto& drop : report.dropped) EXPECT_TRUE(drop.reloaded.empty()) << drop.name;
  EXPECT_NE(HubScalar("SELECT count(*) FROM record_checkpoint WHERE external_id LIKE 'RET-%'"),
            "0");

  // Portal's connector is away while CRM changes every record, past the lag cap.
  connectors_.erase("Portal");
  WriteInCrm(2);
  WaitForRound(2, "Portal");
  report = Retain("4 days");
  bool portal_reloaded = false;
  for (const auto& drop : report.dropped) {
    for (const auto& source : drop.reloaded) portal_reloaded |= source == "Portal";
  }
  EXPECT_TRUE(portal_reloaded);
  EXPECT_EQ(HubScalar("SELECT reload_requested FROM outbound_cursor WHERE target_source = "
                      "'Portal'"),
            "t");
  EXPECT_NE(HubScalar("SELECT count(*) FROM log_truncation WHERE 'Portal' = ANY (reloaded)"), "0")
      << "the drop names the source it reloaded";

  // Portal returns: a reverse load brings every canonical record, and all four converge.
  StartConnector("Portal");
  WaitForRound(2, "");
  ASSERT_TRUE(WaitQuiescent(std::chrono::seconds(60)));
  EXPECT_EQ(HubScalar("SELECT reload_requested FROM outbound_cursor WHERE target_source = "
                      "'Portal'"),
            "f");
  EXPECT_NE(HubScalar("SELECT loaded_at FROM outbound_cursor WHERE target_source = 'Portal'"),
            "NULL");
  for (const auto& source : kSources) {
    EXPECT_EQ(LocalScalar(source,
                          "SELECT string_agg(external_id || '=' || email, ',' ORDER BY "
                          "external_id) FROM local_records WHERE external_id LIKE 'RET-%'"),
              HubScalar("SELECT string_agg(external_id || '=' || (fields->>'email'), ',' ORDER BY "
                        "external_id) FROM canonical_record WHERE external_id LIKE 'RET-%'"))
        << source;
  }
}

}  // namespace
}  // namespace synchub
