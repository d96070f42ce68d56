// The resolver service against a real PostgreSQL over real ZeroMQ sockets.
#include <httplib.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/pg/catalog_loader.hpp"
#include "resolver/app/resolver_test_harness.hpp"
#include "resolver/pg/log_verifier.hpp"
#include "resolver/pg/sql.hpp"
#include "synchub/v1/dead_letter.pb.h"

namespace synchub {
namespace {

using testing::ClientFor;
using testing::StartResolver;
using testing::TestDatabase;
using testing::WireEvent;

v1::ResolutionResult SubmitOne(ResolverClient& client, const v1::Event& event) {
  auto reply = client.Submit({event});
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  return reply.ok() ? reply->results(0) : v1::ResolutionResult{};
}

std::string Scalar(TestDatabase& db, const std::string& sql) {
  auto connection = db.Connect();
  pqxx::read_transaction tx(*connection);
  auto row = tx.exec1(sql);
  return row[0].is_null() ? "NULL" : row[0].as<std::string>();
}

class ResolverTest : public ::testing::Test {
 protected:
  zmq::context_t context_{1};
  TestDatabase db_;
};

// The value of the sample `name` (with its labels, e.g. `x_total{outcome="MANUAL"}`) in a
// Prometheus text page, or -1 when it is not there.
double Sample(const std::string& page, const std::string& name) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

TEST_F(ResolverTest, MetricsCountOutcomesBatchesAndDeadLetters) {
  auto resolver = StartResolver(db_, {"--metrics-listen", "127.0.0.1:0"});
  ASSERT_FALSE(resolver.metrics_url.empty());
  auto client = ClientFor(context_, {resolver.endpoint});
  std::ifstream seed(SYNCHUB_SEED_DIR "/seed_scenarios.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(seed, line)) {
    if (!line.empty()) SubmitOne(*client, WireEvent(line, "metrics-" + std::to_string(n++)));
  }
  v1::DeadLetterReport report;
  report.set_event_id("LocalDB-metrics-1");
  report.set_reason("CONNECTOR_PUSH_FAILED");
  report.set_event_json(R"({"externalId":"X","source":"LocalDB","version":1})");
  report.set_attempts(5);
  ASSERT_TRUE(client->ReportDeadLetter(report).ok());
  const std::string url = resolver.metrics_url;
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(url, parts, std::regex(R"(http://([^:/]+):(\d+)/metrics)")));
  httplib::Client http(parts[1].str(), std::stoi(parts[2].str()));
  auto page = http.Get("/metrics");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(Sample(page->body, R"(synchub_resolver_events_total{outcome="NEW_RECORD"})"), 5);
  EXPECT_EQ(Sample(page->body, R"(synchub_resolver_events_total{outcome="PRIORITY_WIN"})"), 1);
  EXPECT_EQ(Sample(page->body, R"(synchub_resolver_events_total{outcome="STALE_SKIP"})"), 1);
  EXPECT_EQ(Sample(page->body, R"(synchub_resolver_events_total{outcome="FIELD_MERGE"})"), 1);
  EXPECT_EQ(Sample(page->body, R"(synchub_resolver_events_total{outcome="MANUAL"})"), 1);
  EXPECT_EQ(Sample(page->body, "synchub_resolver_batch_events_count"), 9);
  EXPECT_EQ(Sample(page->body, "synchub_resolver_batch_events_sum"), 9);
  EXPECT_EQ(Sample(page->body, "synchub_resolver_batches_failed_total"), 0);
  EXPECT_EQ(
      Sample(page->body, R"(synchub_resolver_dead_letters_total{reason="CONNECTOR_PUSH_FAILED"})"),
      1);
}

TEST_F(ResolverTest, SeedScenariosGiveTheSpecTable) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  std::ifstream seed(SYNCHUB_SEED_DIR "/seed_scenarios.jsonl");
  std::vector<v1::ResolutionResult> results;
  std::string line;
  int n = 0;
  while (std::getline(seed, line)) {
    if (line.empty()) continue;
    results.push_back(SubmitOne(*client, WireEvent(line, "seed-" + std::to_string(n++))));
  }
  ASSERT_EQ(results.size(), 9u);
  EXPECT_EQ(results[1].outcome(), v1::OUTCOME_PRIORITY_WIN);  // CUST-001
  EXPECT_EQ(results[3].outcome(), v1::OUTCOME_STALE_SKIP);    // CUST-002
  EXPECT_EQ(results[5].outcome(), v1::OUTCOME_FIELD_MERGE);   // CUST-003
  EXPECT_EQ(results[7].outcome(), v1::OUTCOME_MANUAL);        // CUST-004
  EXPECT_EQ(results[8].outcome(), v1::OUTCOME_NEW_RECORD);    // CUST-005
  EXPECT_GT(results[7].conflict_id(), 0);
  ASSERT_EQ(results[7].conflicting_fields_size(), 1);
  EXPECT_EQ(results[7].conflicting_fields(0), "email");

  for (auto [key, source] : std::vector<std::pair<std::string, std::string>>{{"CUST-001", "CRM"},
                                                                             {"CUST-002", "CRM"},
                                                                             {"CUST-003", "ERP"},
                                                                             {"CUST-004", "CRM"},
                                                                             {"CUST-005", "CRM"}}) {
    EXPECT_EQ(
        Scalar(db_, "SELECT last_source FROM canonical_record WHERE external_id = '" + key + "'"),
        source)
        << key;
  }
  EXPECT_EQ(Scalar(db_,
                   "SELECT fields->>'fullName' FROM canonical_record "
                   "WHERE external_id = 'CUST-001'"),
            "Alice Johnson");
  EXPECT_EQ(Scalar(db_,
                   "SELECT count(*) FROM conflict_log WHERE status = 'open' "
                   "AND external_id = 'CUST-004'"),
            "1");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log"), "9");

  std::ifstream replay(SYNCHUB_SEED_DIR "/seed_replay.jsonl");
  std::getline(replay, line);
  auto replayed = SubmitOne(*client, WireEvent(line, "seed-replay"));
  EXPECT_EQ(replayed.outcome(), v1::OUTCOME_VERSION_WIN);
  EXPECT_EQ(Scalar(db_,
                   "SELECT fields->>'email' FROM canonical_record "
                   "WHERE external_id = 'CUST-004'"),
            "david.corrected@crm.com");
}

TEST_F(ResolverTest, TheSameEventIdGetsTheSameRecordedOutcomeAndIsAppliedOnce) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  auto event = WireEvent(R"({"externalId":"K","source":"ERP","version":1,"a":1})", "dup-1");
  auto first = SubmitOne(*client, event);
  EXPECT_EQ(first.outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_FALSE(first.duplicate());
  // A newer write in between must not change what the retry is told.
  SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"ERP","version":2,"a":2})"));
  auto again = SubmitOne(*client, event);
  EXPECT_EQ(again.outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.etag(), first.etag());
  EXPECT_EQ(again.log_seq(), first.log_seq());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id = 'dup-1'"), "1");
  // Twice in one request: one application, the repeat marked as a duplicate.
  auto reply = client->Submit(
      {WireEvent(R"({"externalId":"J","source":"CRM","version":1,"a":1})", "twice"),
       WireEvent(R"({"externalId":"J","source":"CRM","version":1,"a":1})", "twice")});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(reply->results(1).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_TRUE(reply->results(1).duplicate());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id = 'twice'"), "1");
}

// SPEC section 4: the key is (source, eventId), and a reuse with other content is refused.
TEST_F(ResolverTest, AnEventIdReusedWithOtherContentIsRefusedAndRecordedNothingApplied) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  auto first = SubmitOne(
      *client,
      WireEvent(R"({"externalId":"D1","source":"CRM","version":1,"email":"first"})", "DUP-1"));
  EXPECT_EQ(first.outcome(), v1::OUTCOME_NEW_RECORD);
  const std::vector<std::string> reuses = {
      R"({"externalId":"D1","source":"CRM","version":1,"email":"SECOND"})",  // other value
      R"({"externalId":"D2","source":"CRM","version":1,"email":"first"})",   // other record
      R"({"externalId":"D1","source":"CRM","version":2,"email":"first"})",   // other version
      R"({"externalId":"D1","source":"CRM","version":1,"email":"first","x":1})",
      R"({"externalId":"D1","source":"CRM","version":1,"op":"delete"})",
  };
  for (const auto& reuse : reuses) {
    auto refused = SubmitOne(*client, WireEvent(reuse, "DUP-1"));
    EXPECT_EQ(refused.error().code(), v1::STATUS_CODE_ALREADY_EXISTS) << reuse;
    EXPECT_EQ(refused.error().reason(), "event_id_reused") << reuse;
    EXPECT_EQ(refused.error().key(), "eventId") << reuse;
  }
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'email' FROM canonical_record WHERE external_id='D1'"),
            "first");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM canonical_record WHERE external_id='D2'"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id='DUP-1'"), "1");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM event_id_reuse WHERE event_id='DUP-1'"),
            std::to_string(reuses.size()));
  // The same content again (numbers by value, keys in another order): the first answer.
  auto again = SubmitOne(
      *client,
      WireEvent(R"({"email":"first","version":1,"source":"CRM","externalId":"D1"})", "DUP-1"));
  EXPECT_EQ(again.outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.log_seq(), first.log_seq());
  // Reuse and repeat inside one request.
  auto reply = client->Submit(
      {WireEvent(R"({"externalId":"B1","source":"ERP","version":1,"n":1.50})", "IN-BATCH"),
       WireEvent(R"({"externalId":"B1","source":"ERP","version":1,"n":1.5})", "IN-BATCH"),
       WireEvent(R"({"externalId":"B1","source":"ERP","version":1,"n":2})", "IN-BATCH")});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_TRUE(reply->results(1).duplicate());
  EXPECT_EQ(reply->results(2).error().reason(), "event_id_reused");
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'n' FROM canonical_record WHERE external_id='B1'"),
            "1.50");
}

TEST_F(ResolverTest, TheSameEventIdFromTwoSourcesNamesTwoEventsBothApplied) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  auto crm = SubmitOne(
      *client, WireEvent(R"({"externalId":"S1","source":"CRM","version":1,"a":"crm"})", "42"));
  auto erp = SubmitOne(
      *client, WireEvent(R"({"externalId":"S2","source":"ERP","version":1,"a":"erp"})", "42"));
  EXPECT_EQ(crm.outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(erp.outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_FALSE(erp.duplicate());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id='42'"), "2");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM idempotency_key WHERE event_id='42'"), "2");
  // Both in one request, with a deferral and a conflict under the same id too.
  auto reply =
      client->Submit({WireEvent(R"({"entity":"order","externalId":"O1","source":"CRM","version":1,)"
                                R"("clientId":"NOPE"})",
                                "43"),
                      WireEvent(R"({"entity":"order","externalId":"O2","source":"ERP","version":1,)"
                                R"("clientId":"NOPE"})",
                                "43")});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_DEFERRED);
  EXPECT_EQ(reply->results(1).outcome(), v1::OUTCOME_DEFERRED);
  EXPECT_FALSE(reply->results(1).duplicate());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM deferred_event WHERE event_id='43'"), "2");
}

// One writer (issue 13): an operator's edit and a conflict's resolution are made by the
// resolver as events of source "operator"; the log alone replays to the canonical state.
TEST_F(ResolverTest, OperatorWritesAreResolverEventsAndTheLogReplaysThem) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  SubmitOne(*client, WireEvent(R"({"externalId":"OP1","source":"CRM","version":5,"email":"a"})"));
  auto conflict = SubmitOne(
      *client, WireEvent(R"({"externalId":"OP1","source":"CRM","version":5,"email":"b"})"));
  ASSERT_EQ(conflict.outcome(), v1::OUTCOME_MANUAL);

  v1::OperatorWrite patch;
  patch.mutable_patch()->set_entity("client");
  patch.mutable_patch()->set_external_id("OP1");
  patch.mutable_patch()->set_fields_json(R"({"phone":"+1 555 0100","amount":10.50})");
  patch.mutable_patch()->mutable_if_match()->add_tags()->set_opaque("999");  // stale
  auto refused = client->WriteAsOperator(patch);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->precondition(), v1::OperatorWriteReply::PRECONDITION_IF_MATCH_FAILED);
  EXPECT_EQ(refused->etag(), conflict.etag());
  patch.mutable_patch()->mutable_if_match()->mutable_tags(0)->set_opaque(
      std::to_string(conflict.etag()));
  auto written = client->WriteAsOperator(patch);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->precondition(), v1::OperatorWriteReply::PRECONDITION_PROCEED);
  EXPECT_EQ(Scalar(db_, "SELECT version FROM canonical_record WHERE external_id = 'OP1'"), "6");
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'amount' FROM canonical_record WHERE external_id='OP1'"),
            "10.50");

  v1::OperatorWrite resolve;
  resolve.mutable_resolve()->set_conflict_id(conflict.conflict_id());
  resolve.mutable_resolve()->set_take("canonical");
  auto resolved = client->WriteAsOperator(resolve);
  ASSERT_TRUE(resolved.ok());
  EXPECT_FALSE(resolved->has_error() && resolved->error().code() != v1::STATUS_CODE_OK)
      << resolved->error().message();
  EXPECT_EQ(Scalar(db_, "SELECT status FROM conflict_log WHERE id = " +
                            std::to_string(conflict.conflict_id())),
            "resolved");
  auto again = client->WriteAsOperator(resolve);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->error().code(), v1::STATUS_CODE_ALREADY_EXISTS);
  EXPECT_EQ(Scalar(db_,
                   "SELECT count(*) FROM resolution_log WHERE source = 'operator' "
                   "AND external_id = 'OP1'"),
            "2");

  auto connection = db_.Connect();
  auto catalog = LoadCatalog(*connection);
  ASSERT_TRUE(catalog.ok());
  auto verified = VerifyResolutionLog(*connection, *catalog, {}, {RecordKey("client", "OP1")});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ok()) << (verified->mismatches.empty() ? "" : verified->mismatches[0]);
  EXPECT_EQ(verified->events_replayed, 4u);
}

// A record locked by another transaction (an operator's open psql session) makes its batch
// answer UNAVAILABLE within the lock timeout, nothing written: never an answer that comes
// after the submitter gave up (and a 503 for an event applied later).
TEST_F(ResolverTest, ALockedRecordAnswersUnavailableWithinTheLockTimeoutAndWritesNothing) {
  auto resolver = StartResolver(db_, {"--lock-timeout-ms", "300"});
  auto client = ClientFor(context_, {resolver.endpoint});
  SubmitOne(*client, WireEvent(R"({"externalId":"LK","source":"CRM","version":1,"a":1})"));
  auto holder = db_.Connect();
  pqxx::work held(*holder);
  held.exec("SELECT 1 FROM canonical_record WHERE external_id = 'LK' FOR UPDATE");
  const auto started = std::chrono::steady_clock::now();
  auto blocked = SubmitOne(
      *client, WireEvent(R"({"externalId":"LK","source":"CRM","version":2,"a":2})", "lk-2"));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(blocked.error().code(), v1::STATUS_CODE_UNAVAILABLE) << blocked.error().message();
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id = 'lk-2'"), "0");
  held.abort();
  auto resent = SubmitOne(
      *client, WireEvent(R"({"externalId":"LK","source":"CRM","version":2,"a":2})", "lk-2"));
  EXPECT_EQ(resent.outcome(), v1::OUTCOME_VERSION_WIN);
  EXPECT_FALSE(resent.duplicate());
}

TEST_F(ResolverTest, AnInvalidEventIsRejectedNamingTheKeyAndStoresNothing) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  v1::Event bad = WireEvent(R"({"externalId":"K","source":"CRM","version":1})", "bad-1");
  bad.set_source("Mainframe");
  v1::Event good = WireEvent(R"({"externalId":"G","source":"CRM","version":1})", "good-1");
  auto reply = client->Submit({bad, good});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->results(0).error().code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(reply->results(0).error().key(), "source");
  EXPECT_EQ(reply->results(1).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id = 'bad-1'"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM dead_letter"), "0");
}

TEST_F(ResolverTest, OutboundChangesAreQueuedWithTheWrite) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"CRM","version":1,"a":1})"));
  EXPECT_EQ(Scalar(db_,
                   "SELECT string_agg(target_source, ',' ORDER BY target_source) "
                   "FROM outbound_change WHERE external_id = 'K'"),
            "ERP,LocalDB,Portal");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM outbound_change"), "3");
  // A stale write changes nothing and sends the canonical record back to its source only.
  auto stale =
      SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"LocalDB","version":1,"a":0})"));
  EXPECT_EQ(stale.outcome(), v1::OUTCOME_PRIORITY_WIN);
  EXPECT_FALSE(stale.changed());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM outbound_change WHERE target_source = 'LocalDB'"),
            "2");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM outbound_change"), "4");
  // A MANUAL conflict fans out nothing.
  auto manual =
      SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"CRM","version":1,"a":9})"));
  EXPECT_EQ(manual.outcome(), v1::OUTCOME_MANUAL);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM outbound_change"), "4");
}

TEST_F(ResolverTest, ADeferredOrderLandsAsSoonAsItsClientIsWritten) {
  // A long backoff: only the wake-up on the client's write can release the order in time.
  auto resolver = StartResolver(db_, {"--defer-initial-ms", "30000"});
  auto client = ClientFor(context_, {resolver.endpoint});
  auto order = SubmitOne(
      *client, WireEvent(R"({"entity":"order","externalId":"ORD-1","source":"CRM","version":1,)"
                         R"("fields":{"clientId":"CUST-9","total":10}})",
                         "order-1"));
  EXPECT_EQ(order.outcome(), v1::OUTCOME_DEFERRED);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM deferred_event"), "1");
  // Asking again is answered from the deferral, not re-run.
  EXPECT_EQ(SubmitOne(*client, WireEvent(R"({"entity":"order","externalId":"ORD-1",)"
                                         R"("source":"CRM","version":1,)"
                                         R"("fields":{"clientId":"CUST-9","total":10}})",
                                         "order-1"))
                .outcome(),
            v1::OUTCOME_DEFERRED);

  const auto written_at = std::chrono::steady_clock::now();
  SubmitOne(*client, WireEvent(R"({"externalId":"CUST-9","source":"CRM","version":1,"n":"x"})"));
  std::string landed = "0";
  while (std::chrono::steady_clock::now() - written_at < std::chrono::seconds(5)) {
    landed = Scalar(db_, "SELECT count(*) FROM canonical_record WHERE external_id = 'ORD-1'");
    if (landed == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - written_at);
  ASSERT_EQ(landed, "1");
  std::printf("[ measure ] deferred order applied %lld ms after its client was written\n",
              static_cast<long long>(delay.count()));
  EXPECT_LT(delay.count(), 2000);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM deferred_event"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT outcome FROM resolution_log WHERE event_id = 'order-1'"),
            "NEW_RECORD");
}

TEST_F(ResolverTest, AnOrderWhoseClientNeverComesBecomesADeadLetterAndIsPublished) {
  auto resolver = StartResolver(
      db_, {"--defer-initial-ms", "50", "--defer-max-ms", "100", "--defer-attempts", "3"});
  zmq::socket_t monitor(context_, zmq::socket_type::sub);
  monitor.set(zmq::sockopt::subscribe, "");
  monitor.connect(resolver.dead_letter_endpoint);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the SUB join
  auto client = ClientFor(context_, {resolver.endpoint});
  EXPECT_EQ(SubmitOne(*client, WireEvent(R"({"entity":"order","externalId":"ORD-X","source":"ERP",)"
                                         R"("version":1,"fields":{"clientId":"NOBODY"}})",
                                         "orphan"))
                .outcome(),
            v1::OUTCOME_DEFERRED);

  monitor.set(zmq::sockopt::rcvtimeo, 5000);
  zmq::message_t topic;
  zmq::message_t payload;
  ASSERT_TRUE(monitor.recv(topic));
  ASSERT_TRUE(monitor.recv(payload));
  v1::DeadLetter published;
  ASSERT_TRUE(published.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
  EXPECT_EQ(published.event_id(), "orphan");
  EXPECT_EQ(published.reason(), "DEPENDENCY_UNMET");
  EXPECT_EQ(Scalar(db_,
                   "SELECT reason || ':' || attempts FROM dead_letter "
                   "WHERE event_id = 'orphan'"),
            "DEPENDENCY_UNMET:3");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM deferred_event"), "0");
  // Asked again, the event's answer is its dead letter.
  auto again = SubmitOne(*client, WireEvent(R"({"entity":"order","externalId":"ORD-X",)"
                                            R"("source":"ERP","version":1,)"
                                            R"("fields":{"clientId":"NOBODY"}})",
                                            "orphan"));
  EXPECT_EQ(again.outcome(), v1::OUTCOME_DEAD_LETTER);
  EXPECT_EQ(again.dead_letter_reason(), "DEPENDENCY_UNMET");
}

TEST_F(ResolverTest, AnUnstorableValueIsRejectedNamingTheFieldAndBlocksNothingElse) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  // PostgreSQL's jsonb cannot hold U+0000, and no number has 1,001 decimals: both are
  // refused at validation, naming the field, and nothing of them is stored (SPEC section 2).
  v1::Event poison = WireEvent(R"({"externalId":"P","source":"CRM","version":1})", "poison");
  poison.set_fields_json(R"({"ok":1,"name":"bad\u0000byte"})");
  v1::Event fine_grained = WireEvent(R"({"externalId":"Q","source":"CRM","version":1})", "fine");
  fine_grained.set_fields_json(R"({"amount":1e-1001})");
  auto reply = client->Submit(
      {WireEvent(R"({"externalId":"A","source":"CRM","version":1,"n":1})", "before"), poison,
       fine_grained, WireEvent(R"({"externalId":"B","source":"CRM","version":1,"n":1})", "after")});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(reply->results(1).error().code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(reply->results(1).error().key(), "name");
  EXPECT_EQ(reply->results(1).error().reason(), "value_not_storable");
  EXPECT_EQ(reply->results(2).error().code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(reply->results(2).error().key(), "amount");
  EXPECT_EQ(reply->results(2).error().reason(), "number_not_storable");
  EXPECT_EQ(reply->results(3).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM dead_letter"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM resolution_log WHERE event_id IN ('poison', 'fine')"),
            "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM canonical_record"), "2");
}

TEST_F(ResolverTest, NumbersAreStoredAndLoggedExactly) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  v1::Event event = WireEvent(R"({"externalId":"X","source":"CRM","version":1})", "exact");
  event.set_fields_json(
      R"({"accountNo":123456789012345678901234567890,"amount":12345678901234567890.12345678901234567890,)"
      R"("rate":1.50,"sci":1.5e-30})");
  auto reply = client->Submit({event});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(
      Scalar(db_, "SELECT fields->>'accountNo' FROM canonical_record WHERE external_id = 'X'"),
      "123456789012345678901234567890");
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'amount' FROM canonical_record WHERE external_id = 'X'"),
            "12345678901234567890.12345678901234567890");
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'rate' FROM canonical_record WHERE external_id = 'X'"),
            "1.50");
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'sci' FROM canonical_record WHERE external_id = 'X'"),
            "0.0000000000000000000000000000015");
  EXPECT_EQ(Scalar(db_,
                   "SELECT (event->'fields'->>'accountNo') || ' ' || "
                   "(record_after->'fields'->>'amount') FROM resolution_log "
                   "WHERE event_id = 'exact'"),
            "123456789012345678901234567890 12345678901234567890.12345678901234567890");
  // The same value written differently (1.5 for 1.50) is an echo: nothing changes.
  v1::Event echo = WireEvent(R"({"externalId":"X","source":"CRM","version":1})", "echo");
  echo.set_fields_json(R"({"rate":1.5,"accountNo":1.23456789012345678901234567890e29})");
  auto again = client->Submit({echo});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->results(0).outcome(), v1::OUTCOME_FIELD_MERGE);
  EXPECT_FALSE(again->results(0).changed());
}

TEST_F(ResolverTest, APriorityChangedBySqlTakesEffectWithinOneSecond) {
  auto resolver = StartResolver(db_);
  auto client = ClientFor(context_, {resolver.endpoint});
  SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"CRM","version":1,"a":"crm"})"));
  {
    auto connection = db_.Connect();
    pqxx::work tx(*connection);
    tx.exec("UPDATE source_priority SET priority = 0 WHERE source = 'ERP'");
    tx.commit();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto erp =
      SubmitOne(*client, WireEvent(R"({"externalId":"K","source":"ERP","version":1,"a":"erp"})"));
  EXPECT_EQ(erp.outcome(), v1::OUTCOME_PRIORITY_WIN);
  EXPECT_EQ(Scalar(db_, "SELECT fields->>'a' FROM canonical_record WHERE external_id = 'K'"),
            "erp");
}

TEST_F(ResolverTest, StopsCleanlyOnSigterm) {
  auto resolver = StartResolver(db_);
  EXPECT_EQ(resolver.process->Stop(SIGTERM), 0);
}

TEST(ResolverStartup, FailsClearlyWhenPostgresIsUnreachable) {
  testing::ChildProcess process({SYNCHUB_RESOLVER_BIN, "--db",
                                 "host=127.0.0.1 port=1 connect_timeout=2", "--listen",
                                 "tcp://127.0.0.1:*", "--dead-letters", "tcp://127.0.0.1:*"});
  EXPECT_EQ(process.WaitExit(std::chrono::seconds(15)), 2);
}

TEST(ResolverStartup, RefusesToStartWithoutItsCurveKeyUnlessInsecure) {
  TestDatabase db;
  testing::ChildProcess process({SYNCHUB_RESOLVER_BIN, "--db", db.conninfo(), "--listen",
                                 "tcp://127.0.0.1:*", "--dead-letters", "tcp://127.0.0.1:*"});
  EXPECT_EQ(process.WaitExit(std::chrono::seconds(15)), 3);
}

TEST(ResolverStartup, FailsClearlyWhenTheSchemaIsNotMigrated) {
  TestDatabase empty(/*migrate=*/false);
  testing::ChildProcess process({SYNCHUB_RESOLVER_BIN, "--db", empty.conninfo(), "--listen",
                                 "tcp://127.0.0.1:*", "--dead-letters", "tcp://127.0.0.1:*"});
  EXPECT_EQ(process.WaitExit(std::chrono::seconds(15)), 3);
}

// Two resolvers on one database: the first saw CUST-C1 at version 1 when the second moved it to
// version 5; the first one's next event (version 2) is judged against version 5 (STALE_SKIP),
// never against what it saw (the etag check, SPEC section 4).
TEST_F(ResolverTest, ARecordChangedByAnotherResolverIsJudgedAtItsNewVersion) {
  auto first = StartResolver(db_, {"--workers", "1"});
  auto second = StartResolver(db_, {"--workers", "1"});
  auto via_first = ClientFor(context_, {first.endpoint});
  auto via_second = ClientFor(context_, {second.endpoint});
  auto event = [](int version, const std::string& name) {
    return WireEvent(R"({"entity":"client","externalId":"CUST-C1","source":"CRM","version":)" +
                     std::to_string(version) + R"(,"fields":{"fullName":")" + name + R"("}})");
  };
  EXPECT_EQ(SubmitOne(*via_first, event(1, "Ann")).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(SubmitOne(*via_second, event(5, "Bea")).outcome(), v1::OUTCOME_VERSION_WIN);
  const auto late = SubmitOne(*via_first, event(2, "Cid"));
  EXPECT_EQ(late.outcome(), v1::OUTCOME_STALE_SKIP);
  EXPECT_EQ(Scalar(db_,
                   "SELECT fields->>'fullName' FROM canonical_record "
                   "WHERE external_id = 'CUST-C1'"),
            "Bea");
  // And the next event on the first resolver is judged against 5.
  EXPECT_EQ(SubmitOne(*via_first, event(6, "Dan")).outcome(), v1::OUTCOME_VERSION_WIN);
  EXPECT_EQ(Scalar(db_, "SELECT version FROM canonical_record WHERE external_id = 'CUST-C1'"), "6");
}

// The idempotency lookup (kFindDecided) probes indexes however large the log and the keys grow:
// with 600,000 events PostgreSQL's statistics once made it read the whole log (a merge join
// and a hash anti-join, 2.7 s a batch, the throughput down from 14,000 to 1,000 events/s).
TEST_F(ResolverTest, LookingUpEventKeysNeverReadsTheWholeLog) {
  auto resolver = StartResolver(db_);  // makes the log's partitions
  auto connection = db_.Connect();
  {
    pqxx::work tx(*connection);
    tx.exec(
        "INSERT INTO resolution_log (event_id, entity, external_id, source, version, event,"
        " outcome, changed, etag_after, record_after, targets)"
        " SELECT 'g' || i, 'client', 'G' || (i % 10000), 'CRM', 1, '{}', 'NEW_RECORD', true, 1,"
        " '{\"version\":1}', '{ERP}' FROM generate_series(1, 600000) i");
    tx.exec(
        "INSERT INTO idempotency_key (source, event_id, digest)"
        " SELECT 'CRM', 'g' || i, sha256(i::text::bytea) FROM generate_series(1, 600000) i");
    tx.exec(
        "INSERT INTO conflict_log (source, event_id, entity, external_id, event, canonical,"
        " conflicting_fields) SELECT 'CRM', 'g' || i, 'client', 'G' || (i % 10000), '{}', '{}',"
        " '[]' FROM generate_series(1, 600000, 30) i");
    tx.commit();
  }
  pqxx::nontransaction tx(*connection);
  tx.exec("ANALYZE resolution_log, idempotency_key, conflict_log");
  tx.exec(std::string("PREPARE find_decided(jsonb, jsonb) AS ") + resolver_sql::kFindDecided);
  std::string ids = "[";
  for (int i = 1; i <= 500; ++i) {
    ids += std::string(i > 1 ? "," : "") + R"({"source":"CRM","event_id":"g)" +
           std::to_string(i * 997) + "\"}";
  }
  ids += "]";
  for (const char* mode : {"force_custom_plan", "force_generic_plan"}) {
    tx.exec(std::string("SET plan_cache_mode = ") + mode);
    std::string plan;
    for (const auto& row : tx.exec("EXPLAIN EXECUTE find_decided(" + tx.quote(ids) + ", '[]')")) {
      plan += row[0].as<std::string>() + "\n";
    }
    // Sequential scans only of empty partitions (the first one and the one made ahead).
    std::istringstream lines(plan);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("Seq Scan on resolution_log") != std::string::npos ||
          line.find("Seq Scan on idempotency_key") != std::string::npos) {
        EXPECT_NE(line.find("cost=0.00..0.00"), std::string::npos) << mode << "\n" << plan;
      }
    }
    // A few hundred index probes: the plan read the whole log at a cost of 2,400,000.
    std::smatch cost;
    ASSERT_TRUE(std::regex_search(plan, cost, std::regex(R"(cost=[0-9.]+\.\.([0-9.]+))")));
    EXPECT_LT(std::stod(cost[1]), 20000.0) << mode << "\n" << plan;
  }
  // And the answers are right: the 500 kept keys with their log rows, 17 of them with conflicts.
  tx.exec("SET plan_cache_mode = auto");
  const auto rows = tx.exec("EXECUTE find_decided(" + tx.quote(ids) + ", '[]')");
  int keys = 0;
  int logged = 0;
  int with_conflict = 0;
  for (const auto& row : rows) {
    const std::string kind = row[0].as<std::string>();
    keys += kind == "key" ? 1 : 0;
    logged += kind == "log" ? 1 : 0;
    with_conflict += kind == "log" && !row[8].is_null() ? 1 : 0;
  }
  EXPECT_EQ(keys, 500);
  EXPECT_EQ(logged, 500);
  int expected_conflicts = 0;
  for (int i = 1; i <= 500; ++i) expected_conflicts += (i * 997 - 1) % 30 == 0 ? 1 : 0;
  EXPECT_EQ(with_conflict, expected_conflicts);
}

}  // namespace
}  // namespace synchub
