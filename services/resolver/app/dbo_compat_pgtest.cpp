// The seed's Azure SQL names on the hub (sql/006_dbo_compat.sql), against a real PostgreSQL
// and the real synchub-resolver: the seed's five scenarios are resolved first, then the seed's
// own statements run verbatim on the dbo views.
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "resolver/app/resolver_test_harness.hpp"
#include "synchub/v1/dead_letter.pb.h"

namespace synchub {
namespace {

using testing::ClientFor;
using testing::StartResolver;
using testing::TestDatabase;
using testing::WireEvent;

using Rows = std::vector<std::vector<std::string>>;

// Every row of `sql`, each value as text ("NULL" for NULL).
Rows Query(const TestDatabase& db, const std::string& sql) {
  auto connection = db.Connect();
  pqxx::read_transaction tx(*connection);
  Rows rows;
  for (const auto& row : tx.exec(sql)) {
    auto& out = rows.emplace_back();
    for (const auto& field : row) out.push_back(field.is_null() ? "NULL" : field.c_str());
  }
  return rows;
}

std::string Scalar(const TestDatabase& db, const std::string& sql) {
  auto rows = Query(db, sql);
  return rows.size() == 1 && rows[0].size() == 1 ? rows[0][0] : "(not one value)";
}

// Runs `sql` in a transaction of its own and commits; returns the rows it affected.
std::size_t Execute(const TestDatabase& db, const std::string& sql) {
  auto connection = db.Connect();
  pqxx::work tx(*connection);
  auto result = tx.exec(sql);
  tx.commit();
  return result.affected_rows();
}

// A digest of every row of every hub table: equal before and after means nothing changed.
std::string HubState(const TestDatabase& db) {
  std::string state;
  for (const char* table :
       {"source_priority", "canonical_record", "resolution_log", "conflict_log", "outbound_cursor",
        "deferred_event", "dead_letter", "idempotency_key"}) {
    state += Scalar(db, std::string("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, "
                                    "'|' ORDER BY t::text)), '') FROM ") +
                            table + " t") +
             " ";
  }
  return state;
}

v1::ResolutionResult SubmitOne(ResolverClient& client, const std::string& json,
                               const std::string& event_id) {
  auto reply = client.Submit({WireEvent(json, event_id)});
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  return reply.ok() ? reply->results(0) : v1::ResolutionResult{};
}

class DboCompatTest : public ::testing::Test {
 protected:
  // Resolves the seed's five scenarios (deploy/demo/seed_scenarios.jsonl) on the real resolver.
  void PlaySeedScenarios() {
    std::ifstream seed(SYNCHUB_SEED_DIR "/seed_scenarios.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(seed, line)) {
      if (!line.empty()) SubmitOne(*client_, line, "seed-" + std::to_string(n++));
    }
    ASSERT_EQ(n, 9);
  }

  zmq::context_t context_{1};
  TestDatabase db_;
  testing::RunningResolver resolver_ = StartResolver(db_);
  std::unique_ptr<ResolverClient> client_ = ClientFor(context_, {resolver_.endpoint});
};

TEST_F(DboCompatTest, TheSeedsExpectedStateQueryReadsTheSeedsTable) {
  PlaySeedScenarios();
  // The seed's expected-state query (its 03_verify_sync.sql), as written; rows in any order.
  auto rows = Query(db_, "SELECT ExternalId, LastSource, Resolution FROM dbo.CanonicalRecords");
  std::map<std::string, std::pair<std::string, std::string>> table;
  for (const auto& row : rows) table[row.at(0)] = {row.at(1), row.at(2)};
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"CUST-001", {"CRM", "PRIORITY_WIN"}},
      {"CUST-002", {"CRM", "STALE_SKIP"}},
      {"CUST-003", {"ERP", "FIELD_MERGE"}},
      {"CUST-004", {"CRM", "MANUAL"}},
      {"CUST-005", {"CRM", "NEW_RECORD"}}};
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(table, expected);

  // The other columns the seed names, as the hub holds them.
  EXPECT_EQ(Query(db_,
                  "SELECT FullName, Email, Version, RowVersion = (SELECT row_version FROM "
                  "canonical_record WHERE external_id = 'CUST-003'), Deleted "
                  "FROM dbo.CanonicalRecords WHERE ExternalId = 'CUST-003'"),
            (Rows{{"Carol White", "carol@erp.example", "1", "t", "0"}}));
  // The replay of CUST-004 as CRM v6 is the record's last outcome from then on.
  std::ifstream replay(SYNCHUB_SEED_DIR "/seed_replay.jsonl");
  std::string line;
  std::getline(replay, line);
  EXPECT_EQ(SubmitOne(*client_, line, "seed-replay").outcome(), v1::OUTCOME_VERSION_WIN);
  EXPECT_EQ(Query(db_,
                  "SELECT LastSource, Resolution, Version, Email FROM dbo.CanonicalRecords "
                  "WHERE ExternalId = 'CUST-004'"),
            (Rows{{"CRM", "VERSION_WIN", "6", "david.corrected@crm.com"}}));
}

TEST_F(DboCompatTest, ConflictLogAndSourceRecordsShowWhereEachInboundEventEnded) {
  PlaySeedScenarios();
  EXPECT_EQ(Query(db_,
                  "SELECT ExternalId, Source, Version, FieldNames, Status, Resolution, "
                  "Id = (SELECT id FROM conflict_log) FROM dbo.ConflictLog"),
            (Rows{{"CUST-004", "CRM", "5", "email", "open", "NULL", "t"}}));

  // An order whose client never came (DEFERRED) and a dead letter a connector reported.
  EXPECT_EQ(SubmitOne(*client_,
                      R"({"entity":"order","externalId":"ORD-001","source":"CRM","version":1,)"
                      R"("clientId":"CUST-999"})",
                      "order-1")
                .outcome(),
            v1::OUTCOME_DEFERRED);
  v1::DeadLetterReport report;
  report.set_event_id("LocalDB-7");
  report.set_reason("CONNECTOR_PUSH_FAILED");
  report.set_detail("400 invalid_field");
  report.set_event_json(
      R"({"entity":"client","externalId":"CUST-009","source":"LocalDB","version":3,)"
      R"("op":"upsert","fields":{"fullName":"Zed"}})");
  report.set_attempts(5);
  ASSERT_TRUE(client_->ReportDeadLetter(report).ok());

  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM dbo.SourceRecords"), "11");
  EXPECT_EQ(Query(db_,
                  "SELECT Source, Version, FullName, Email, Outcome, Changed FROM "
                  "dbo.SourceRecords WHERE ExternalId = 'CUST-002' ORDER BY LogSeq"),
            (Rows{{"CRM", "2", "Bob Smith", "bob@crm.example", "NEW_RECORD", "1"},
                  {"Portal", "1", "Bobby Smith", "bob@portal.example", "STALE_SKIP", "0"}}));
  EXPECT_EQ(Query(db_,
                  "SELECT Source, Entity, Version, Outcome, Detail LIKE 'waiting for client "
                  "CUST-999%' FROM dbo.SourceRecords WHERE ExternalId = 'ORD-001'"),
            (Rows{{"CRM", "order", "1", "DEFERRED", "t"}}));
  EXPECT_EQ(Query(db_,
                  "SELECT Source, EventId, Version, FullName, Outcome, Detail FROM "
                  "dbo.SourceRecords WHERE ExternalId = 'CUST-009'"),
            (Rows{{"LocalDB", "LocalDB-7", "3", "Zed", "DEAD_LETTER",
                   "CONNECTOR_PUSH_FAILED: 400 invalid_field"}}));
}

TEST_F(DboCompatTest, OutboundChangesAreSentOnceTheTargetsConnectorAcknowledgedThem) {
  PlaySeedScenarios();
  // What the seed's LocalConnector PULL reads (TargetSource='LocalDB', Sent=0): nothing is
  // acknowledged yet, so every change queued for LocalDB is unsent.
  const auto queued_for_local =
      Scalar(db_, "SELECT count(*) FROM outbound_change WHERE target_source = 'LocalDB'");
  EXPECT_NE(queued_for_local, "0");
  EXPECT_EQ(Query(db_, "SELECT * FROM dbo.OutboundChanges WHERE TargetSource='LocalDB' AND Sent=0")
                .size(),
            std::stoul(queued_for_local));

  // LocalDB's connector acknowledges up to CUST-003's first change, as synchub-outbound saves
  // it (outbound_store.cpp): every change at or before that position is sent, none after.
  Execute(db_,
          "INSERT INTO outbound_cursor (target_source, xid, seq) "
          "SELECT 'LocalDB', xid, seq FROM resolution_log WHERE event_id = 'seed-4'");
  EXPECT_EQ(Query(db_,
                  "SELECT ExternalId, Sent, count(*) FROM dbo.OutboundChanges "
                  "WHERE TargetSource = 'LocalDB' GROUP BY 1, 2 ORDER BY 1, 2"),
            (Rows{{"CUST-001", "1", "2"},
                  {"CUST-002", "1", "1"},
                  {"CUST-003", "0", "1"},
                  {"CUST-003", "1", "1"},
                  {"CUST-004", "0", "1"},
                  {"CUST-005", "0", "1"}}));
  // Other targets are untouched by LocalDB's position.
  EXPECT_EQ(Scalar(db_,
                   "SELECT count(*) FROM dbo.OutboundChanges WHERE TargetSource <> 'LocalDB' "
                   "AND Sent = 1"),
            "0");
  // Each row names the change: the record's version, etag and the canonical record sent.
  EXPECT_EQ(Query(db_,
                  "SELECT ChangeSource, Outcome, Version, Deleted, Payload->>'lastSource', "
                  "RowVersion = (SELECT row_version FROM canonical_record "
                  "WHERE external_id = 'CUST-005') FROM dbo.OutboundChanges "
                  "WHERE ExternalId = 'CUST-005' AND TargetSource = 'ERP'"),
            (Rows{{"CRM", "NEW_RECORD", "1", "0", "CRM", "t"}}));
}

TEST_F(DboCompatTest, TheSeedsPriorityUpdateTakesEffectWithinOneSecond) {
  // LocalDB (4) below ERP (2): the same-version conflict keeps ERP's value.
  SubmitOne(*client_, R"({"externalId":"K1","source":"ERP","version":1,"a":"erp"})", "k1-erp");
  auto before = SubmitOne(
      *client_, R"({"externalId":"K1","source":"LocalDB","version":1,"a":"local"})", "k1-local");
  EXPECT_EQ(before.outcome(), v1::OUTCOME_PRIORITY_WIN);
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'a' FROM canonical_record WHERE external_id = 'K1'"),
            "erp");

  // The seed's "Promote LocalDB above ERP", verbatim, two statements as the seed runs them.
  const auto was = Scalar(db_, "SELECT updated_at FROM source_priority WHERE source = 'LocalDB'");
  EXPECT_EQ(Execute(db_, "UPDATE dbo.SourcePriority SET Priority = 2 WHERE Source = 'LocalDB';"),
            1u);
  EXPECT_EQ(Execute(db_, "UPDATE dbo.SourcePriority SET Priority = 3 WHERE Source = 'ERP';"), 1u);
  EXPECT_EQ(Query(db_, "SELECT source, priority FROM source_priority ORDER BY priority, source"),
            (Rows{{"CRM", "1"}, {"LocalDB", "2"}, {"ERP", "3"}, {"Portal", "3"}}));
  EXPECT_EQ(Scalar(db_, "SELECT updated_at > '" + was +
                            "' FROM source_priority WHERE source = 'LocalDB'"),
            "t");
  EXPECT_EQ(Scalar(db_, "SELECT Priority FROM dbo.SourcePriority WHERE Source = 'LocalDB'"), "2");

  // Within a second the resolver decides with the new priorities: LocalDB's value wins.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  SubmitOne(*client_, R"({"externalId":"K2","source":"ERP","version":1,"a":"erp"})", "k2-erp");
  auto after = SubmitOne(
      *client_, R"({"externalId":"K2","source":"LocalDB","version":1,"a":"local"})", "k2-local");
  EXPECT_EQ(after.outcome(), v1::OUTCOME_PRIORITY_WIN);
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'a' FROM canonical_record WHERE external_id = 'K2'"),
            "local");
  EXPECT_EQ(Query(db_,
                  "SELECT LastSource, Resolution FROM dbo.CanonicalRecords "
                  "WHERE ExternalId = 'K2'"),
            (Rows{{"LocalDB", "PRIORITY_WIN"}}));
}

TEST_F(DboCompatTest, SourcePriorityRegistersAndRemovesSourcesButNeverRenamesOne) {
  EXPECT_EQ(Execute(db_, "INSERT INTO dbo.SourcePriority (Source, Priority) VALUES ('Billing', 5)"),
            1u);
  EXPECT_EQ(Scalar(db_, "SELECT priority FROM source_priority WHERE source = 'Billing'"), "5");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  // The resolver now takes Billing's events (the demo catalog the event is built with has no
  // Billing: build it as CRM's, then rename the source).
  v1::Event billing = WireEvent(R"({"externalId":"B1","source":"CRM","version":1,"a":1})", "b-1");
  billing.set_source("Billing");
  auto reply = client_->Submit({billing});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(Query(db_,
                  "SELECT LastSource, Resolution FROM dbo.CanonicalRecords "
                  "WHERE ExternalId = 'B1'"),
            (Rows{{"Billing", "NEW_RECORD"}}));

  const auto state = HubState(db_);
  for (const char* refused :
       {"UPDATE dbo.SourcePriority SET Source = 'Invoicing' WHERE Source = 'Billing'",
        "INSERT INTO dbo.SourcePriority (Source, Priority) VALUES ('operator', 0)",
        "UPDATE dbo.SourcePriority SET UpdatedAt = now() WHERE Source = 'Billing'"}) {
    EXPECT_THROW(Execute(db_, refused), pqxx::sql_error) << refused;
  }
  EXPECT_EQ(HubState(db_), state);

  EXPECT_EQ(Execute(db_, "DELETE FROM dbo.SourcePriority WHERE Source = 'Billing'"), 1u);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM source_priority WHERE source = 'Billing'"), "0");
}

TEST_F(DboCompatTest, EveryReadOnlyViewRefusesEveryWriteAndChangesNothing) {
  PlaySeedScenarios();
  struct Refusal {
    std::string statement;
    std::string says;  // besides "dbo.<View> is read-only: ... single writer, the resolver"
  };
  const std::map<std::string, std::vector<Refusal>> writes = {
      {"CanonicalRecords",
       {{"INSERT INTO dbo.CanonicalRecords (ExternalId, LastSource, Version) "
         "VALUES ('CUST-006', 'CRM', 1)",
         "PATCH /api/records/"},
        {"UPDATE dbo.CanonicalRecords SET LastSource = 'ERP' WHERE ExternalId = 'CUST-004'",
         "POST /api/conflicts/{id}/resolve"},
        {"UPDATE dbo.CanonicalRecords SET Email = 'x' WHERE ExternalId = 'NO-SUCH-KEY'",
         "POST /api/sync"},
        {"DELETE FROM dbo.CanonicalRecords WHERE ExternalId = 'CUST-001'", "PATCH /api/records/"},
        {"DELETE FROM dbo.CanonicalRecords", "PATCH /api/records/"}}},
      {"ConflictLog",
       {{"INSERT INTO dbo.ConflictLog (ExternalId, Source) VALUES ('CUST-005', 'CRM')",
         "POST /api/conflicts/{id}/resolve"},
        {"UPDATE dbo.ConflictLog SET Status = 'resolved' WHERE ExternalId = 'CUST-004'",
         "syncctl conflicts resolve"},
        {"DELETE FROM dbo.ConflictLog WHERE ExternalId = 'CUST-004'",
         "POST /api/conflicts/{id}/resolve"}}},
      {"OutboundChanges",
       {{"INSERT INTO dbo.OutboundChanges (TargetSource, ExternalId, Sent) "
         "VALUES ('LocalDB', 'CUST-001', 0)",
         "POST /api/sync"},
        // As the seed's LocalConnector marks the changes it pulled (Sent = 1).
        {"UPDATE dbo.OutboundChanges SET Sent = 1 WHERE TargetSource = 'LocalDB' AND Sent = 0",
         "acknowledges"},
        {"DELETE FROM dbo.OutboundChanges WHERE Sent = 1", "PATCH /api/records/"}}},
      {"SourceRecords",
       {{"INSERT INTO dbo.SourceRecords (Source, ExternalId, Version) VALUES ('CRM', 'C-7', 1)",
         "POST /api/sync"},
        {"UPDATE dbo.SourceRecords SET Outcome = 'NEW_RECORD' WHERE ExternalId = 'CUST-002'",
         "POST /api/sync"},
        {"DELETE FROM dbo.SourceRecords WHERE Version < 0", "POST /api/dead-letters/{id}/replay"},
        {"DELETE FROM dbo.SourceRecords", "POST /api/sync"}}}};

  const auto state = HubState(db_);
  for (const auto& [view, refusals] : writes) {
    for (const auto& refusal : refusals) {
      try {
        Execute(db_, refusal.statement);
        ADD_FAILURE() << "accepted: " << refusal.statement;
      } catch (const pqxx::sql_error& error) {
        EXPECT_EQ(error.sqlstate(), "0A000") << refusal.statement;
        const std::string message = error.what();
        EXPECT_NE(message.find("dbo." + view +
                               " is read-only: canonical records have a single writer, the "
                               "resolver"),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find(refusal.says), std::string::npos) << message;
      }
    }
  }
  EXPECT_EQ(HubState(db_), state);
}

TEST(DboCompatSchema, EveryNameIsLowerCaseSoTheSeedsUnquotedNamesMatch) {
  TestDatabase db;
  const auto views = Query(db,
                           "SELECT table_name, string_agg(column_name, ',' ORDER BY "
                           "ordinal_position) FROM information_schema.columns "
                           "WHERE table_schema = 'dbo' GROUP BY 1 ORDER BY 1");
  EXPECT_EQ(views,
            (Rows{{"canonicalrecords",
                   "entity,externalid,fullname,email,fields,version,lastsource,rowversion,"
                   "resolution,deleted,provenance,createdat,updatedat"},
                  {"conflictlog",
                   "id,entity,externalid,source,version,eventid,fieldnames,conflictingfields,"
                   "incoming,canonical,status,resolution,createdat,resolvedat"},
                  {"outboundchanges",
                   "id,targetsource,entity,externalid,version,deleted,rowversion,changesource,"
                   "outcome,payload,createdat,sent"},
                  {"sourcepriority", "source,priority,updatedat"},
                  {"sourcerecords",
                   "logseq,source,eventid,entity,externalid,version,fullname,email,payload,"
                   "outcome,changed,detail,recordedat"}}));
  // The seed's spelling, unquoted, reaches them; a quoted mixed-case name does not.
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM DBO.SourcePriority WHERE SOURCE = 'CRM'"), "1");
  EXPECT_THROW(Query(db, "SELECT \"LastSource\" FROM dbo.CanonicalRecords"), pqxx::sql_error);
}

}  // namespace
}  // namespace synchub
