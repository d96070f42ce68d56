// What a connector captures (SPEC section 5, docs/connectors.md), one data-changing statement
// kind per test, and how it applies inbound changes: against a real PostgreSQL database set
// up with SetupSql, with no hub.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/core/json.hpp"
#include "common/pg/testing/test_database.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/pg/connector_sync.hpp"

namespace synchub {
namespace {

constexpr const char* kTables = R"sql(
CREATE TABLE local_records (
  external_id text PRIMARY KEY, full_name text, email text, note text,
  version bigint NOT NULL DEFAULT 1);
CREATE TABLE local_orders (
  external_id text PRIMARY KEY, client_id text, amount numeric, qty integer,
  price numeric(10,2), ratio double precision, version bigint NOT NULL DEFAULT 1);
)sql";

ConnectorConfig Config() {
  ConnectorConfig config;
  config.source = "LocalDB";
  EntityMapping clients{"client",
                        "local_records",
                        "external_id",
                        "version",
                        {{"full_name", "fullName"}, {"email", "email"}}};
  EntityMapping orders{"order",
                       "local_orders",
                       "external_id",
                       "version",
                       {{"client_id", "clientId"},
                        {"amount", "amount"},
                        {"qty", "qty"},
                        {"price", "price"},
                        {"ratio", "ratio"}}};
  config.entities = {clients, orders};
  return config;
}

// One captured outbox row.
struct Captured {
  std::string external_id;
  std::string op;
  std::int64_t version;
  std::string fields;  // jsonb text
};

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Exec(kTables);
    Exec(SetupSql(config_));
  }

  void Exec(const std::string& sql) { db_.Exec(sql); }

  std::string Scalar(const std::string& sql) { return db_.Scalar(sql); }

  // The outbox rows captured since the last call, in order.
  std::vector<Captured> TakeOutbox() {
    auto connection = db_.Connect();
    pqxx::work tx(*connection);
    std::vector<Captured> rows;
    for (const auto& row : tx.exec("SELECT external_id, op, version, fields::text FROM "
                                   "synchub_outbox WHERE sent_at IS NULL ORDER BY id")) {
      rows.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>(),
                      row[3].as<std::string>()});
    }
    tx.exec("UPDATE synchub_outbox SET sent_at = now() WHERE sent_at IS NULL");
    tx.commit();
    return rows;
  }

  // Applies canonical records as the outbound stream delivers them.
  StatusOr<int> Deliver(const std::vector<std::pair<std::string, std::string>>& records,
                        std::uint64_t first_seq = 1) {
    v1::Deliver deliver;
    std::uint64_t seq = first_seq;
    for (const auto& [entity, record_json] : records) {
      auto* change = deliver.add_changes();
      change->set_seq(seq);
      change->set_etag(seq);
      change->set_entity(entity);
      const Json record = ParseStoredJson(record_json);
      change->set_external_id(record["externalId"].get<std::string>());
      change->set_record_json(record_json);
      ++seq;
    }
    auto connection = db_.Connect();
    InboundApplier applier(config_);
    return applier.Apply(*connection, deliver);
  }

  testing::TestDatabase db_{/*migrate=*/false};
  ConnectorConfig config_ = Config();
};

TEST_F(CaptureTest, AnInsertSendsEveryMappedColumnAtVersionOne) {
  Exec("INSERT INTO local_records (external_id, full_name, note) VALUES ('A', 'Ann', 'local')");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].op, "upsert");
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[0].fields, R"({"email": null, "fullName": "Ann"})");  // unmapped note stays
}

TEST_F(CaptureTest, AnUpdateSendsOnlyTheColumnsItChanged) {
  Exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('A', 'Ann', 'a@x')");
  TakeOutbox();
  Exec("UPDATE local_records SET email = 'b@x' WHERE external_id = 'A'");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].version, 2);
  EXPECT_EQ(rows[0].fields, R"({"email": "b@x"})");
  // Set to NULL is a change too, sent as null.
  Exec("UPDATE local_records SET full_name = NULL WHERE external_id = 'A'");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].version, 3);
  EXPECT_EQ(rows[0].fields, R"({"fullName": null})");
}

TEST_F(CaptureTest, AnUpdateOfARowTheHubNeverHeardOfSendsItsOldStateWholeFirst) {
  // A row that was there before setup (written here with the triggers off): the hub has never
  // heard of it. Its first update queues the old state whole at its old version (as a snapshot
  // would, under the same event id), then the update as always: the hub never creates the
  // record from a partial update, and the ladder judges the old state at its own version.
  Exec(
      "SET session_replication_role = replica; INSERT INTO local_records (external_id, "
      "full_name, email, version) VALUES ('OLD', 'Old', 'old@x', 3)");
  Exec("UPDATE local_records SET full_name = 'Edited' WHERE external_id = 'OLD'");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].version, 3);
  EXPECT_EQ(rows[0].fields, R"({"email": "old@x", "fullName": "Old"})");
  EXPECT_EQ(rows[1].version, 4);
  EXPECT_EQ(rows[1].fields, R"({"fullName": "Edited"})");
  // The old state's event id is the one a snapshot gives the same state.
  auto connection = db_.Connect();
  pqxx::work tx(*connection);
  const std::string expected =
      tx.exec1(
            "SELECT 'LocalDB-row-' || left(encode(sha256(convert_to('client' || E'\\x1f' || "
            "'OLD' || E'\\x1f' || 'upsert' || E'\\x1f' || '3' || E'\\x1f' || "
            "'{\"email\": \"old@x\", \"fullName\": \"Old\"}', 'UTF8')), 'hex'), 40)")[0]
          .as<std::string>();
  EXPECT_EQ(tx.exec1("SELECT event_id FROM synchub_outbox WHERE version = 3 AND external_id = "
                     "'OLD'")[0]
                .as<std::string>(),
            expected);
  tx.commit();
  // Once sent, the next update sends only what it changed.
  Exec("UPDATE local_records SET email = 'new@x' WHERE external_id = 'OLD'");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, R"({"email": "new@x"})");
  // A row the hub sent here (applied) is known: partial from the first update.
  Exec(
      "SET session_replication_role = replica; INSERT INTO local_records (external_id, "
      "full_name, email, version) VALUES ('FROMHUB', 'Hub', 'hub@x', 2); "
      "INSERT INTO synchub_applied VALUES ('client', 'FROMHUB', 7)");
  Exec("UPDATE local_records SET full_name = 'Mine' WHERE external_id = 'FROMHUB'");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, R"({"fullName": "Mine"})");
}

TEST_F(CaptureTest, AnUpdateThatChangesNoSyncedColumnSendsNothingAndKeepsTheVersion) {
  Exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('A', 'Ann', 'a@x')");
  TakeOutbox();
  Exec("UPDATE local_records SET full_name = 'Ann', note = 'only local' WHERE external_id = 'A'");
  EXPECT_TRUE(TakeOutbox().empty());
  EXPECT_EQ(Scalar("SELECT version FROM local_records WHERE external_id = 'A'"), "1");
}

TEST_F(CaptureTest, AnApplicationsOwnLowerVersionNeverMovesTheVersionBack) {
  Exec("INSERT INTO local_records (external_id, full_name, version) VALUES ('A', 'Ann', 5)");
  EXPECT_EQ(TakeOutbox()[0].version, 5);
  Exec("UPDATE local_records SET full_name = 'B', version = 2 WHERE external_id = 'A'");
  EXPECT_EQ(TakeOutbox()[0].version, 6);
  Exec("UPDATE local_records SET full_name = 'C', version = 9 WHERE external_id = 'A'");
  EXPECT_EQ(TakeOutbox()[0].version, 9);
}

TEST_F(CaptureTest, AMultiRowUpdateCapturesEachRow) {
  Exec(
      "INSERT INTO local_records (external_id, full_name) VALUES ('A', 'a'), ('B', 'b'), "
      "('C', 'c')");
  TakeOutbox();
  Exec("UPDATE local_records SET email = 'same@x'");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) EXPECT_EQ(row.fields, R"({"email": "same@x"})");
}

TEST_F(CaptureTest, ADeleteThenAReinsertGoesAboveTheTombstone) {
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('R', 'First')");
  Exec("UPDATE local_records SET full_name = 'First!' WHERE external_id = 'R'");  // v2
  Exec("DELETE FROM local_records WHERE external_id = 'R'");                      // delete v3
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('R', 'Second')");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2].op, "delete");
  EXPECT_EQ(rows[2].version, 3);
  EXPECT_EQ(rows[3].op, "upsert");
  EXPECT_EQ(rows[3].version, 4);  // the column default 1 is raised above the tombstone
  EXPECT_EQ(rows[3].fields, R"({"email": null, "fullName": "Second"})");
  EXPECT_EQ(Scalar("SELECT version FROM local_records WHERE external_id = 'R'"), "4");
}

TEST_F(CaptureTest, AKeyChangeIsADeleteOfTheOldKeyAndAnInsertOfTheNew) {
  Exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('P1', 'Pat', 'p@x')");
  TakeOutbox();
  Exec("UPDATE local_records SET external_id = 'P2' WHERE external_id = 'P1'");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].external_id, "P1");
  EXPECT_EQ(rows[0].op, "delete");
  EXPECT_EQ(rows[0].version, 2);
  EXPECT_EQ(rows[1].external_id, "P2");
  EXPECT_EQ(rows[1].op, "upsert");
  EXPECT_EQ(rows[1].version, 1);
  EXPECT_EQ(rows[1].fields, R"({"email": "p@x", "fullName": "Pat"})");
  // Moving back onto P1 goes above P1's tombstone.
  Exec("UPDATE local_records SET external_id = 'P1' WHERE external_id = 'P2'");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].external_id, "P1");
  EXPECT_EQ(rows[1].version, 3);
}

TEST_F(CaptureTest, TruncateSendsADeleteForEveryRow) {
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('A', 'a'), ('B', 'b')");
  TakeOutbox();
  Exec("TRUNCATE local_records");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].external_id, "A");
  EXPECT_EQ(rows[0].op, "delete");
  EXPECT_EQ(rows[0].version, 2);
  EXPECT_EQ(rows[1].external_id, "B");
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('A', 'again')");
  EXPECT_EQ(TakeOutbox()[0].version, 3);
}

TEST_F(CaptureTest, UpsertMergeAndInsertSelectAreCapturedRowByRow) {
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('A', 'a')");
  TakeOutbox();
  Exec(
      "INSERT INTO local_records (external_id, full_name) VALUES ('A', 'a2'), ('B', 'b') "
      "ON CONFLICT (external_id) DO UPDATE SET full_name = EXCLUDED.full_name");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, R"({"fullName": "a2"})");
  EXPECT_EQ(rows[0].version, 2);
  EXPECT_EQ(rows[1].external_id, "B");
  Exec(R"(MERGE INTO local_records t
          USING (VALUES ('A', 'merged'), ('C', 'new')) AS s(id, name) ON t.external_id = s.id
          WHEN MATCHED THEN UPDATE SET full_name = s.name
          WHEN NOT MATCHED THEN INSERT (external_id, full_name) VALUES (s.id, s.name))");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  Exec(
      "MERGE INTO local_records t USING (VALUES ('B')) AS s(id) ON t.external_id = s.id "
      "WHEN MATCHED THEN DELETE");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].op, "delete");
  Exec(
      "INSERT INTO local_records (external_id, full_name) "
      "SELECT 'S' || g, 'n' || g FROM generate_series(1, 3) g");
  EXPECT_EQ(TakeOutbox().size(), 3u);
  Exec("DELETE FROM local_records WHERE external_id LIKE 'S%'");
  EXPECT_EQ(TakeOutbox().size(), 3u);
}

TEST_F(CaptureTest, NumbersAreCapturedExactly) {
  Exec(
      "INSERT INTO local_orders (external_id, amount, qty, price) VALUES "
      "('O', 12345678901234567890.12345678901234567890, 7, 1.50)");
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 1u);
  const Json fields = ParseStoredJson(rows[0].fields);
  EXPECT_EQ(NumberText(fields["amount"]), "12345678901234567890.12345678901234567890");
  EXPECT_EQ(NumberText(fields["price"]), "1.50");
  EXPECT_EQ(NumberText(fields["qty"]), "7");
}

TEST_F(CaptureTest, InboundWritesAreNotCapturedAndKeepNumbersExactly) {
  auto applied =
      Deliver({{"order", R"({"entity":"order","externalId":"O","version":3,"deleted":false,)"
                         R"("fields":{"amount":12345678901234567890.12345678901234567890,"qty":4,)"
                         R"("price":2.50,"ratio":0.1,"clientId":null}})"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 1);
  EXPECT_TRUE(TakeOutbox().empty());
  EXPECT_EQ(Scalar("SELECT amount::text || ' ' || qty || ' ' || price || ' ' || ratio || ' ' || "
                   "version FROM local_orders WHERE external_id = 'O'"),
            "12345678901234567890.12345678901234567890 4 2.50 0.1 3");
}

TEST_F(CaptureTest, AValueAColumnCannotHoldExactlyIsParkedNotRounded) {
  // 1.005 into numeric(10,2), 1.5 into an integer, 30 digits into a double: each is parked
  // with the reason; the other record of the same delivery is applied.
  auto applied =
      Deliver({{"order", R"({"entity":"order","externalId":"P","version":1,"deleted":false,)"
                         R"("fields":{"price":1.005}})"},
               {"order", R"({"entity":"order","externalId":"Q","version":1,"deleted":false,)"
                         R"("fields":{"qty":1.5}})"},
               {"order", R"({"entity":"order","externalId":"R","version":1,"deleted":false,)"
                         R"("fields":{"ratio":123456789012345678901234567890}})"},
               {"order", R"({"entity":"order","externalId":"OK","version":1,"deleted":false,)"
                         R"("fields":{"price":1.25,"qty":2}})"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(Scalar("SELECT string_agg(external_id, ',' ORDER BY external_id) FROM local_orders"),
            "OK");
  EXPECT_EQ(Scalar("SELECT string_agg(external_id, ',' ORDER BY external_id) FROM "
                   "synchub_inbound_parked"),
            "P,Q,R");
  EXPECT_NE(Scalar("SELECT error FROM synchub_inbound_parked WHERE external_id = 'P'")
                .find("cannot hold price = 1.005 exactly"),
            std::string::npos);
  EXPECT_NE(
      Scalar("SELECT error FROM synchub_inbound_parked WHERE external_id = 'R'").find("ratio"),
      std::string::npos);
  // Nothing is acknowledged as applied for the parked ones.
  EXPECT_EQ(Scalar("SELECT count(*) FROM synchub_applied"), "1");
  EXPECT_EQ(Scalar("SELECT last_seq FROM synchub_connector"), "4");
}

TEST_F(CaptureTest, AValueATextColumnWouldTurnIntoAStringIsParked) {
  // A number, a boolean and an object into text columns would come back as the strings
  // "12.50", "true" and "{\"x\": [1, \"y\"]}": captured again they would reach the hub as other
  // values, so each is parked; a string, "12.50" as a string and null are applied.
  auto applied =
      Deliver({{"client", R"({"entity":"client","externalId":"N","version":1,"deleted":false,)"
                          R"("fields":{"fullName":12.50}})"},
               {"client", R"({"entity":"client","externalId":"B","version":1,"deleted":false,)"
                          R"("fields":{"fullName":true}})"},
               {"client", R"({"entity":"client","externalId":"O","version":1,"deleted":false,)"
                          R"("fields":{"email":{"x":[1,"y"]}}})"},
               {"client", R"({"entity":"client","externalId":"S","version":1,"deleted":false,)"
                          R"("fields":{"fullName":"12.50","email":null}})"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(Scalar("SELECT full_name || ' ' || coalesce(email, 'NULL') FROM local_records"),
            "12.50 NULL");
  EXPECT_EQ(Scalar("SELECT string_agg(external_id, ',' ORDER BY external_id) FROM "
                   "synchub_inbound_parked"),
            "B,N,O");
  EXPECT_NE(Scalar("SELECT error FROM synchub_inbound_parked WHERE external_id = 'N'")
                .find("cannot hold fullName = 12.50 exactly (it would store the string "
                      "\"12.50\")"),
            std::string::npos);
  EXPECT_NE(Scalar("SELECT error FROM synchub_inbound_parked WHERE external_id = 'O'")
                .find("cannot hold email = {\"x\":[1,\"y\"]} exactly (it would store the string"),
            std::string::npos);
}

TEST_F(CaptureTest, AStringAColumnWouldStoreAsAnotherStringIsParked) {
  // "nan" into numeric reads back as "NaN"; trailing blanks past varchar(n) are dropped without
  // an error; char(n) pads: each would be captured again as another value, so each is parked.
  Exec(
      "ALTER TABLE local_records ALTER COLUMN email TYPE varchar(5), "
      "ALTER COLUMN full_name TYPE char(6)");
  auto applied =
      Deliver({{"order", R"({"entity":"order","externalId":"N","version":1,"deleted":false,)"
                         R"("fields":{"amount":"nan"}})"},
               {"order", R"({"entity":"order","externalId":"I","version":1,"deleted":false,)"
                         R"("fields":{"amount":"NaN"}})"},
               {"client", R"({"entity":"client","externalId":"V","version":1,"deleted":false,)"
                          R"("fields":{"email":"abc      "}})"},
               {"client", R"({"entity":"client","externalId":"C","version":1,"deleted":false,)"
                          R"("fields":{"fullName":"abc"}})"},
               {"client", R"({"entity":"client","externalId":"OK","version":1,"deleted":false,)"
                          R"("fields":{"email":"a@x","fullName":"abcdef"}})"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 2);  // "NaN" (read back as "NaN") and OK
  EXPECT_EQ(Scalar("SELECT string_agg(external_id, ',' ORDER BY external_id) FROM "
                   "synchub_inbound_parked"),
            "C,N,V");
  EXPECT_NE(Scalar("SELECT error FROM synchub_inbound_parked WHERE external_id = 'N'")
                .find("cannot hold amount = \"nan\" exactly (it would store \"NaN\")"),
            std::string::npos);
  EXPECT_EQ(Scalar("SELECT count(*) FROM local_records"), "1");
}

TEST_F(CaptureTest, AParkedChangeAppliesOnceTheColumnCanHoldIt) {
  ASSERT_TRUE(Deliver({{"order", R"({"entity":"order","externalId":"P","version":1,)"
                                 R"("deleted":false,"fields":{"price":1.005}})"},
                       {"order", R"({"entity":"order","externalId":"Q","version":1,)"
                                 R"("deleted":false,"fields":{"price":2.001}})"}})
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM synchub_inbound_parked"), "2");
  auto connection = db_.Connect();
  InboundApplier applier(config_);
  // Nothing changed: both stay parked.
  auto retried = applier.RetryParked(*connection);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(*retried, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM synchub_inbound_parked"), "2");
  // A newer change of Q arrives and fits: Q's parked change is obsolete.
  ASSERT_TRUE(Deliver({{"order", R"({"entity":"order","externalId":"Q","version":2,)"
                                 R"("deleted":false,"fields":{"price":2.5}})"}},
                      10)
                  .ok());
  // The operator widens the column: P applies on the next try; Q's old change is dropped.
  Exec("ALTER TABLE local_orders ALTER COLUMN price TYPE numeric");
  InboundApplier fresh(config_);  // a restarted connector: column types read again
  retried = fresh.RetryParked(*connection);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(*retried, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM synchub_inbound_parked"), "0");
  EXPECT_EQ(Scalar("SELECT string_agg(external_id || '=' || price, ',' ORDER BY external_id) "
                   "FROM local_orders"),
            "P=1.005,Q=2.50");
  EXPECT_TRUE(TakeOutbox().empty());  // applied as inbound: no echo
}

TEST_F(CaptureTest, AStringANumericColumnWouldTurnIntoANumberIsParked) {
  ASSERT_TRUE(Deliver({{"order", R"({"entity":"order","externalId":"S","version":1,)"
                                 R"("deleted":false,"fields":{"amount":" 1.5 "}})"}})
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM local_orders"), "0");
  EXPECT_NE(Scalar("SELECT error FROM synchub_inbound_parked")
                .find("cannot hold amount = \" 1.5 \" exactly (it would store the number 1.5)"),
            std::string::npos);
}

TEST_F(CaptureTest, AnInboundStateWaitsForAPendingLocalChangeThenTheNewestApplies) {
  Exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('H', 'mine', 'x')");
  // Pending local change: a delivery of H is held, not applied over it.
  ASSERT_TRUE(Deliver({{"client", R"({"entity":"client","externalId":"H","version":1,)"
                                  R"("deleted":false,"fields":{"fullName":"theirs"}})"}},
                      4)
                  .ok());
  EXPECT_EQ(Scalar("SELECT full_name FROM local_records WHERE external_id = 'H'"), "mine");
  EXPECT_EQ(Scalar("SELECT etag FROM synchub_held WHERE external_id = 'H'"), "4");
  // The hub answers the local change (two answers for H in one push: the newest counts);
  // the row is no longer pending, and the newest state applies.
  TakeOutbox();
  auto connection = db_.Connect();
  {
    pqxx::work tx(*connection);
    InboundApplier::HoldAnswers(
        tx, {{"client", "H", 5,
              ParseStoredJson(R"({"entity":"client","externalId":"H","version":2,)"
                              R"("deleted":false,"fields":{"fullName":"older"}})"),
              InboundApplier::Incoming::Mode::kAnswer},
             {"client", "H", 6,
              ParseStoredJson(R"({"entity":"client","externalId":"H","version":2,)"
                              R"("deleted":false,"fields":{"fullName":"resolved","email":"x"}})"),
              InboundApplier::Incoming::Mode::kAnswer}});
    tx.commit();
  }
  InboundApplier applier(config_);
  auto settled = applier.SettleHeld(*connection);
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 1);
  EXPECT_EQ(Scalar("SELECT full_name || ' ' || version FROM local_records WHERE external_id = 'H'"),
            "resolved 2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM synchub_held"), "0");
  EXPECT_TRUE(TakeOutbox().empty());
}

// An application's INSERT ... ON CONFLICT DO UPDATE takes the key's capture lock (its BEFORE
// INSERT trigger) before the conflicting row's lock; an UPDATE takes them the other way round.
// An apply that waited for either while holding the other deadlocked with one of them, and
// PostgreSQL aborted the apply or the application's statement. Here the application holds the
// capture lock (as that trigger leaves it) while an apply starts, then updates the row: neither
// may fail, and the delivery is held behind the application's change.
TEST_F(CaptureTest, AnApplyNeverDeadlocksWithAnApplicationHoldingAKey) {
  Exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('K', 'first', 'x')");
  TakeOutbox();
  auto application = db_.Connect();
  pqxx::work app(*application);
  app.exec("SET LOCAL statement_timeout = '20s'");
  app.exec("SELECT pg_advisory_xact_lock(hashtextextended('client:K', 7365))");

  InboundApplier applier(config_);
  StatusOr<int> applied = Status::Internal("not run");
  std::thread apply([&] {
    v1::Deliver deliver;
    auto* change = deliver.add_changes();
    change->set_seq(1);
    change->set_etag(7);
    change->set_entity("client");
    change->set_external_id("K");
    change->set_record_json(R"({"entity":"client","externalId":"K","version":5,)"
                            R"("deleted":false,"fields":{"fullName":"hub"}})");
    auto connection = db_.Connect();
    applied = applier.Apply(*connection, deliver);
  });
  // The apply has met the held key: it backed off (or, as it used to, waits for the lock).
  auto watcher = db_.Connect();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool met = false;
  while (!met && std::chrono::steady_clock::now() < deadline) {
    pqxx::read_transaction tx(*watcher);
    met = applier.busy_retries() > 0 ||
          tx.exec1("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0]
                  .as<int>() > 0;
    if (!met) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(met) << "the apply never reached the held key";
  EXPECT_NO_THROW(app.exec("UPDATE local_records SET full_name = 'app' WHERE external_id = 'K'"));
  app.commit();
  apply.join();
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Scalar("SELECT full_name FROM local_records WHERE external_id = 'K'"), "app");
  EXPECT_EQ(Scalar("SELECT etag FROM synchub_held WHERE external_id = 'K'"), "7");
  EXPECT_EQ(TakeOutbox().size(), 1U);
}

TEST_F(CaptureTest, AnInboundDeleteIsRememberedForALaterLocalInsert) {
  ASSERT_TRUE(Deliver({{"client", R"({"entity":"client","externalId":"D","version":6,)"
                                  R"("deleted":true,"fields":{"fullName":"x"}})"}})
                  .ok());
  EXPECT_EQ(Scalar("SELECT version FROM synchub_tombstone WHERE external_id = 'D'"), "6");
  Exec("INSERT INTO local_records (external_id, full_name) VALUES ('D', 'back')");
  EXPECT_EQ(TakeOutbox()[0].version, 7);
}

TEST_F(CaptureTest, AnIntegralDecimalGoesIntoAnIntegerColumn) {
  auto applied = Deliver({{"order", R"({"entity":"order","externalId":"I","version":1,)"
                                    R"("deleted":false,"fields":{"qty":2.00,"price":3.0}})"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(Scalar("SELECT qty || ' ' || price FROM local_orders WHERE external_id = 'I'"),
            "2 3.00");
}

TEST_F(CaptureTest, CopyAndCascadingDeletesAreCapturedRowByRow) {
  {
    auto connection = db_.Connect();
    pqxx::work tx(*connection);
    pqxx::stream_to copy(tx, "local_records", std::vector<std::string>{"external_id", "full_name"});
    copy << std::make_tuple(std::string("C1"), std::string("copied"))
         << std::make_tuple(std::string("C2"), std::string("copied"));
    copy.complete();
    tx.commit();
  }
  auto rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, R"({"email": null, "fullName": "copied"})");
  Exec(
      "ALTER TABLE local_orders ADD FOREIGN KEY (client_id) REFERENCES local_records "
      "ON DELETE CASCADE");
  Exec("INSERT INTO local_orders (external_id, client_id) VALUES ('O1', 'C1'), ('O2', 'C1')");
  TakeOutbox();
  Exec("DELETE FROM local_records WHERE external_id = 'C1'");
  rows = TakeOutbox();
  ASSERT_EQ(rows.size(), 3u);  // the client and its two orders
  for (const auto& row : rows) EXPECT_EQ(row.op, "delete");
}

// Statements that would change or remove synced rows without a row trigger are refused.
TEST_F(CaptureTest, TheDdlGuardRefusesDropsTypeChangesAndRenamesOfSyncedData) {
  Exec(DdlGuardSql(config_));
  Exec("INSERT INTO local_orders (external_id, amount) VALUES ('O', 1.25)");
  auto refused = [&](const std::string& sql) {
    try {
      Exec(sql);
    } catch (const pqxx::sql_error& error) {
      return std::string(error.what()).find("synchub:") != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refused("DROP TABLE local_orders"));
  EXPECT_TRUE(refused("ALTER TABLE local_orders DROP COLUMN amount"));
  EXPECT_TRUE(
      refused("ALTER TABLE local_orders ALTER COLUMN amount TYPE integer USING amount::int"));
  EXPECT_TRUE(refused("ALTER TABLE local_orders RENAME COLUMN amount TO total"));
  // The same type with USING still rewrites every value.
  EXPECT_TRUE(
      refused("ALTER TABLE local_orders ALTER COLUMN amount TYPE numeric USING amount * 2"));
  EXPECT_TRUE(refused("DROP SCHEMA public CASCADE"));
  EXPECT_TRUE(refused("DROP TABLE synchub_outbox"));
  EXPECT_EQ(Scalar("SELECT amount::text FROM local_orders"), "1.25");
  // What does not touch synced data passes, and so does a deliberate bypass.
  EXPECT_FALSE(refused("ALTER TABLE local_orders ADD COLUMN note text"));
  EXPECT_FALSE(refused("ALTER TABLE local_orders DROP COLUMN note"));
  EXPECT_FALSE(refused("ALTER TABLE local_orders DISABLE TRIGGER synchub_capture"));
  EXPECT_FALSE(refused("ALTER TABLE local_orders ENABLE TRIGGER synchub_capture"));
  EXPECT_FALSE(refused("SET LOCAL synchub.allow_ddl = on; DROP TABLE local_records"));
}

}  // namespace
}  // namespace synchub
