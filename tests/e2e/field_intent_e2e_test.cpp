// Field intent and exact values on the whole stack (issue 10): each input that lost or altered
// data, with its correct result in the hub and in all four sources.
#include <chrono>
#include <thread>

#include "two_way_fixture.hpp"

namespace synchub {
namespace {

using testing::BodyOf;

class FieldIntentE2e : public TwoWayE2e {
 protected:
  // Waits until `sql` gives `want` in all four sources; fails the test otherwise.
  void ExpectEverywhere(const std::string& sql, const std::string& want) {
    WaitEverywhere(sql, want, "", std::chrono::seconds(10));
    for (const auto& source : kSources) EXPECT_EQ(LocalScalar(source, sql), want) << source;
  }

  // Waits until the hub's `sql` gives `want`; returns what it gave last.
  std::string WaitHub(const std::string& sql, const std::string& want) {
    std::string got;
    testing::WaitUntil([&] { return (got = HubScalar(sql)) == want; }, std::chrono::seconds(10));
    return got;
  }
};

// Input 1: a concurrent edit of another field is kept.
TEST_F(FieldIntentE2e, ConcurrentEditsOfDifferentFieldsBothSurvive) {
  Local("CRM",
        "INSERT INTO local_records (external_id, full_name, email) "
        "VALUES ('ANN', 'Ann', 'ann@old')");
  const std::string row =
      "SELECT full_name || '|' || email || '|' || version FROM local_records "
      "WHERE external_id = 'ANN'";
  ExpectEverywhere(row, "Ann|ann@old|1");

  // Portal opens a transaction and changes the email; meanwhile LocalDB changes the name and
  // commits; then Portal commits.
  pqxx::connection portal(local_["Portal"]);
  pqxx::work portal_tx(portal);
  portal_tx.exec("UPDATE local_records SET email = 'ann@new' WHERE external_id = 'ANN'");
  Local("LocalDB", "UPDATE local_records SET full_name = 'Ann Edited' WHERE external_id = 'ANN'");
  EXPECT_EQ(WaitHub("SELECT fields->>'fullName' FROM canonical_record WHERE external_id = 'ANN'",
                    "Ann Edited"),
            "Ann Edited");
  portal_tx.commit();

  EXPECT_EQ(WaitHub("SELECT (fields->>'fullName') || '|' || (fields->>'email') || '|' || version "
                    "FROM canonical_record WHERE external_id = 'ANN'",
                    "Ann Edited|ann@new|2"),
            "Ann Edited|ann@new|2");
  ExpectEverywhere(row, "Ann Edited|ann@new|2");
  EXPECT_EQ(HubScalar("SELECT count(*) FROM conflict_log WHERE external_id = 'ANN'"), "0");
  // Each field remembers who wrote it at which version.
  auto record = stack_->Http()->Get("/api/records/client/ANN");
  ASSERT_TRUE(record);
  const Json body = BodyOf(record);
  EXPECT_EQ(body["provenance"]["fullName"], "LocalDB");
  EXPECT_EQ(body["provenance"]["email"], "Portal");
  EXPECT_EQ(body["fieldVersions"]["fullName"], 2);
  EXPECT_EQ(body["fieldVersions"]["email"], 2);
}

// Input 2: a re-created row lives, above its tombstone.
TEST_F(FieldIntentE2e, ARecreatedRowLivesEverywhereAboveItsTombstone) {
  Local("LocalDB", "INSERT INTO local_records (external_id, full_name) VALUES ('R', 'First')");
  const std::string row =
      "SELECT full_name || '|' || version FROM local_records WHERE "
      "external_id = 'R'";
  ExpectEverywhere(row, "First|1");
  Local("LocalDB", "DELETE FROM local_records WHERE external_id = 'R'");
  ExpectEverywhere("SELECT count(*) FROM local_records WHERE external_id = 'R'", "0");
  Local("LocalDB", "INSERT INTO local_records (external_id, full_name) VALUES ('R', 'Second')");
  ExpectEverywhere(row, "Second|3");
  EXPECT_EQ(
      WaitHub("SELECT deleted || '|' || version FROM canonical_record WHERE external_id = 'R'",
              "false|3"),
      "false|3");
  // It stays: nothing sends the tombstone back, once everything has travelled.
  ASSERT_TRUE(WaitQuiescent());
  ExpectEverywhere(row, "Second|3");
}

// Input 3: a key change deletes the old key everywhere.
TEST_F(FieldIntentE2e, AKeyChangeDeletesTheOldKeyEverywhere) {
  Local("LocalDB",
        "INSERT INTO local_records (external_id, full_name, email) VALUES ('P1', 'Pat', 'p@x')");
  ExpectEverywhere("SELECT full_name FROM local_records WHERE external_id = 'P1'", "Pat");
  Local("LocalDB", "UPDATE local_records SET external_id = 'P2' WHERE external_id = 'P1'");
  ExpectEverywhere("SELECT count(*) FROM local_records WHERE external_id = 'P1'", "0");
  ExpectEverywhere("SELECT full_name || '|' || email FROM local_records WHERE external_id = 'P2'",
                   "Pat|p@x");
  EXPECT_EQ(WaitHub("SELECT deleted::text FROM canonical_record WHERE external_id = 'P1'", "true"),
            "true");
  EXPECT_EQ(HubScalar("SELECT deleted::text FROM canonical_record WHERE external_id = 'P2'"),
            "false");
}

// Input 4: numbers keep every digit, through HTTP, the log, the stream and every column.
TEST_F(FieldIntentE2e, NumbersKeepEveryDigitEndToEnd) {
  auto posted = stack_->Http()->Post(
      "/api/sync",
      R"({"externalId":"B","source":"CRM","version":1,"accountNo":123456789012345678901234567890})",
      "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200) << posted->body;
  EXPECT_NE(posted->body.find("\"accountNo\":123456789012345678901234567890"), std::string::npos)
      << posted->body;
  auto record = stack_->Http()->Get("/api/records/client/B");
  EXPECT_NE(record->body.find("\"accountNo\":123456789012345678901234567890"), std::string::npos)
      << record->body;
  auto history = stack_->Http()->Get("/api/records/client/B/history");
  EXPECT_NE(history->body.find("123456789012345678901234567890"), std::string::npos);
  EXPECT_EQ(history->body.find("e+29"), std::string::npos) << history->body;

  // A 20-digit decimal amount of an order, inserted in LocalDB, reaches every source exactly.
  Local("LocalDB",
        "INSERT INTO local_orders (external_id, client_id, amount) "
        "VALUES ('ORD-EXACT', 'B', 12345678901234567890.12345678901234567890)");
  ExpectEverywhere("SELECT amount::text FROM local_orders WHERE external_id = 'ORD-EXACT'",
                   "12345678901234567890.12345678901234567890");
  auto order = stack_->Http()->Get("/api/records/order/ORD-EXACT");
  EXPECT_NE(order->body.find("\"amount\":12345678901234567890.12345678901234567890"),
            std::string::npos)
      << order->body;
}

// A value a source's column cannot hold exactly is parked there and reported, never rounded.
TEST_F(FieldIntentE2e, AValueASourceCannotHoldIsParkedAndReportedNotRounded) {
  // (A type change of a synced column is refused unless deliberately allowed.)
  Local("ERP",
        "SET LOCAL synchub.allow_ddl = on; "
        "ALTER TABLE local_orders ALTER COLUMN amount TYPE numeric(12,2)");
  Local("LocalDB", "INSERT INTO local_orders (external_id, amount) VALUES ('ORD-FINE', 10.005)");
  const std::string amount = "SELECT amount::text FROM local_orders WHERE external_id = 'ORD-FINE'";
  WaitEverywhere(amount, "10.005", "ERP", std::chrono::seconds(10));
  for (const auto& source : {"CRM", "Portal", "LocalDB"}) {
    EXPECT_EQ(LocalScalar(source, amount), "10.005") << source;
  }
  EXPECT_EQ(WaitHub("SELECT count(*) FROM dead_letter WHERE reason = 'CONNECTOR_APPLY_FAILED' "
                    "AND source = 'ERP'",  // the source that could not hold it
                    "1"),
            "1");
  EXPECT_EQ(LocalScalar("ERP", amount), "NULL");  // not there, not 10.01
  EXPECT_EQ(LocalScalar("ERP", "SELECT count(*) FROM synchub_inbound_parked"), "1");
}

}  // namespace
}  // namespace synchub
