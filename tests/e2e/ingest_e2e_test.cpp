// The ingest gateway end to end: real processes, real PostgreSQL, real HTTP and ZeroMQ.
#include <algorithm>
#include <fstream>
#include <latch>
#include <regex>
#include <set>
#include <thread>

#include "common/codec/proto_codec.hpp"
#include "common/core/event_parse.hpp"
#include "common/zmq/resolver_client.hpp"
#include "routes_for_test.hpp"
#include "stack_harness.hpp"

namespace synchub {
namespace {

using testing::BodyOf;
using testing::StartStack;

class IngestE2e : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = StartStack(); }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/json") {
    return stack_->Http()->Post(path, body, type);
  }

  httplib::Result PatchIf(const httplib::Headers& conditions, const std::string& path,
                          const std::string& body) {
    return stack_->Http()->Patch(path, conditions, body, "application/json");
  }

  std::string Scalar(const std::string& sql) {
    auto connection = stack_->db->Connect();
    pqxx::read_transaction tx(*connection);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  std::unique_ptr<testing::Stack> stack_;
};

TEST_F(IngestE2e, TheSeedsCurlReplayAndFiveScenariosGiveTheSpecTable) {
  std::ifstream seed(SYNCHUB_SEED_DIR "/seed_scenarios.jsonl");
  std::vector<std::pair<int, Json>> answers;
  std::string line;
  while (std::getline(seed, line)) {
    if (line.empty()) continue;
    auto result = Post("/api/sync", line);
    ASSERT_TRUE(result);
    answers.emplace_back(result->status, BodyOf(result));
  }
  ASSERT_EQ(answers.size(), 9u);
  EXPECT_EQ(answers[1].second["outcome"], "PRIORITY_WIN");
  EXPECT_EQ(answers[3].second["outcome"], "STALE_SKIP");
  EXPECT_EQ(answers[5].second["outcome"], "FIELD_MERGE");
  EXPECT_EQ(answers[7].first, 409);
  EXPECT_EQ(answers[7].second["outcome"], "MANUAL");
  EXPECT_EQ(answers[7].second["conflictingFields"], Json::array({"email"}));
  EXPECT_EQ(answers[8].second["outcome"], "NEW_RECORD");
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 8}) EXPECT_EQ(answers[i].first, 200) << i;
  const std::map<std::string, std::string> last_source = {{"CUST-001", "CRM"},
                                                          {"CUST-002", "CRM"},
                                                          {"CUST-003", "ERP"},
                                                          {"CUST-004", "CRM"},
                                                          {"CUST-005", "CRM"}};
  for (const auto& [key, source] : last_source) {
    auto record = stack_->Http()->Get("/api/records/client/" + key);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->status, 200);
    EXPECT_EQ(BodyOf(record)["lastSource"], source) << key;
    EXPECT_EQ(record->get_header_value("ETag"),
              "\"" + std::to_string(BodyOf(record)["etag"].get<int>()) + "\"");
  }
  auto conflicts = stack_->Http()->Get("/api/conflicts?status=open");
  ASSERT_TRUE(conflicts);
  Json open = BodyOf(conflicts)["conflicts"];
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]["externalId"], "CUST-004");
  const int conflict_id = open[0]["id"].get<int>();

  // The seed's curl replay after human review.
  std::ifstream replay(SYNCHUB_SEED_DIR "/seed_replay.jsonl");
  std::getline(replay, line);
  auto replayed = Post("/api/sync", line);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 200);
  EXPECT_EQ(BodyOf(replayed)["outcome"], "VERSION_WIN");

  // Taking the conflict's incoming side now would overwrite the newer v6 email: 412 naming
  // the field, nothing written, the conflict still open.
  auto stale =
      Post("/api/conflicts/" + std::to_string(conflict_id) + "/resolve", R"({"take":"incoming"})");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(BodyOf(stale)["code"], "conflict_stale");
  EXPECT_EQ(BodyOf(stale)["key"], "email");
  EXPECT_EQ(Scalar("SELECT status FROM conflict_log WHERE id = " + std::to_string(conflict_id)),
            "open");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/CUST-004"))["version"], 6);

  // Resolving the conflict with syncctl closes it and fans the record out to every source.
  const std::string command = std::string(SYNCCTL_BIN) + " --url " + stack_->http_url +
                              " conflicts resolve " + std::to_string(conflict_id) +
                              " --take canonical > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(Scalar("SELECT status FROM conflict_log WHERE id = " + std::to_string(conflict_id)),
            "resolved");
  EXPECT_EQ(Scalar("SELECT array_to_string(targets, ',') FROM resolution_log "
                   "WHERE source = 'operator' ORDER BY seq DESC LIMIT 1"),
            "CRM,ERP,Portal,LocalDB");
  auto record = BodyOf(stack_->Http()->Get("/api/records/client/CUST-004"));
  EXPECT_EQ(record["fields"]["email"], "david.corrected@crm.com");
  EXPECT_EQ(record["version"], 7);
  auto history = BodyOf(stack_->Http()->Get("/api/records/client/CUST-004/history"));
  EXPECT_EQ(history["history"].size(), 4u);
}

// SPEC section 4, as issue 13 found it: an eventId reused with other content was answered
// 200 duplicate and the content dropped. Now 409 event_id_reused naming eventId, nothing
// applied; the same content again is the first answer; the same id from another source is
// another event.
TEST_F(IngestE2e, AnEventIdReusedWithOtherContentIs409AndTheSameContentIsTheFirstAnswer) {
  auto first = Post("/api/sync", R"({"eventId":"DUP-1","externalId":"R1","source":"CRM",)"
                                 R"("version":1,"email":"first","n":1.50})");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  for (
      const std::string reuse :
      {R"({"eventId":"DUP-1","externalId":"R1","source":"CRM","version":1,"email":"SECOND","n":1.50})",
       R"({"eventId":"DUP-1","externalId":"R2","source":"CRM","version":1,"email":"first","n":1.50})",
       R"({"eventId":"DUP-1","externalId":"R1","source":"CRM","version":2,"email":"first","n":1.50})"}) {
    auto refused = Post("/api/sync", reuse);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 409) << reuse;
    EXPECT_EQ(BodyOf(refused)["code"], "event_id_reused") << reuse;
    EXPECT_EQ(BodyOf(refused)["key"], "eventId") << reuse;
  }
  EXPECT_EQ(Scalar("SELECT fields->>'email' FROM canonical_record WHERE external_id = 'R1'"),
            "first");
  EXPECT_EQ(Scalar("SELECT count(*) FROM canonical_record WHERE external_id = 'R2'"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM event_id_reuse"), "3");
  // The same content, written differently (fields form, key order, 1.5 for 1.50).
  auto again = Post("/api/sync", R"({"source":"CRM","eventId":"DUP-1","version":1,)"
                                 R"("externalId":"R1","fields":{"n":1.5,"email":"first"}})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(BodyOf(again)["duplicate"], true);
  EXPECT_EQ(BodyOf(again)["logSeq"], BodyOf(first)["logSeq"]);
  // Another source's DUP-1 is its own event.
  auto other = Post("/api/sync", R"({"eventId":"DUP-1","externalId":"R3","source":"ERP",)"
                                 R"("version":1,"email":"erp"})");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(BodyOf(other)["outcome"], "NEW_RECORD");
  EXPECT_EQ(BodyOf(other)["duplicate"], false);
}

// SPEC section 8: {"take":"merged","fields":{...}} writes the values a person chose, as an
// operator event (made by the resolver), and refuses to overwrite a value that moved since.
TEST_F(IngestE2e, AConflictResolvedWithMergedValuesWritesThemAndRefusesStaleOnes) {
  auto open_conflict = [&](const std::string& key) {
    Post("/api/sync",
         R"({"externalId":")" + key + R"(","source":"CRM","version":5,"email":"a@x","phone":"1"})");
    auto manual =
        Post("/api/sync", R"({"externalId":")" + key +
                              R"(","source":"CRM","version":5,"email":"b@x","phone":"2"})");
    EXPECT_EQ(manual->status, 409);
    return BodyOf(manual)["conflictId"].get<int>();
  };
  const int id = open_conflict("M1");
  auto merged = Post("/api/conflicts/" + std::to_string(id) + "/resolve",
                     R"({"take":"merged","fields":{"email":"b@x","phone":"1","note":"checked"}})");
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 200) << merged->body;
  const Json record = BodyOf(stack_->Http()->Get("/api/records/client/M1"));
  EXPECT_EQ(record["fields"]["email"], "b@x");
  EXPECT_EQ(record["fields"]["phone"], "1");
  EXPECT_EQ(record["fields"]["note"], "checked");
  EXPECT_EQ(record["version"], 6);
  EXPECT_EQ(record["provenance"]["email"], "operator");
  EXPECT_EQ(Scalar("SELECT resolution FROM conflict_log WHERE id = " + std::to_string(id)),
            "merged");

  // A value moved after the conflict was logged: the merged value is refused, naming it.
  const int stale_id = open_conflict("M2");
  Post("/api/sync", R"({"externalId":"M2","source":"ERP","version":7,"email":"newer@x"})");
  auto stale = Post("/api/conflicts/" + std::to_string(stale_id) + "/resolve",
                    R"({"take":"merged","fields":{"email":"b@x"}})");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(BodyOf(stale)["code"], "conflict_stale");
  EXPECT_EQ(BodyOf(stale)["key"], "email");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/M2"))["fields"]["email"], "newer@x");
  EXPECT_EQ(Scalar("SELECT status FROM conflict_log WHERE id = " + std::to_string(stale_id)),
            "open");
  // Choosing only a field that did not move is fine.
  auto phone = Post("/api/conflicts/" + std::to_string(stale_id) + "/resolve",
                    R"({"take":"merged","fields":{"phone":"2"}})");
  EXPECT_EQ(phone->status, 200);

  // A record deleted since the conflict: values written into the tombstone would be invisible.
  const int deleted_id = open_conflict("M3");
  Post("/api/sync", R"({"externalId":"M3","source":"ERP","version":7,"op":"delete"})");
  auto into_tombstone = Post("/api/conflicts/" + std::to_string(deleted_id) + "/resolve",
                             R"({"take":"merged","fields":{"email":"c@x"}})");
  ASSERT_TRUE(into_tombstone);
  EXPECT_EQ(into_tombstone->status, 412);
  EXPECT_EQ(BodyOf(into_tombstone)["key"], "_deleted");
  EXPECT_EQ(Scalar("SELECT status FROM conflict_log WHERE id = " + std::to_string(deleted_id)),
            "open");
}

TEST_F(IngestE2e, EveryValidationRuleGets400NamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"source":"CRM","version":1})", "externalId"},
      {R"({"externalId":"","source":"CRM","version":1})", "externalId"},
      {R"({"externalId":")" + std::string(257, 'x') + R"(","source":"CRM","version":1})",
       "externalId"},
      {R"({"externalId":"K","version":1})", "source"},
      {R"({"externalId":"K","source":"","version":1})", "source"},
      {R"({"externalId":"K","source":"Mainframe","version":1})", "source"},
      {R"({"externalId":"K","source":"CRM"})", "version"},
      {R"({"externalId":"K","source":"CRM","version":"1"})", "version"},
      {R"({"externalId":"K","source":"CRM","version":1.5})", "version"},
      {R"({"externalId":"K","source":"CRM","version":0})", "version"},
      {R"({"externalId":"K","source":"CRM","version":9007199254740993})", "version"},
      {R"({"externalId":"K","source":"CRM","version":1,"entity":"invoice"})", "entity"},
      {R"({"externalId":"K","source":"CRM","version":1,"op":"merge"})", "op"},
      {R"({"externalId":"K","source":"CRM","version":1,"fields":{"9lives":1}})", "9lives"},
      {R"({"externalId":"K","source":"CRM","version":1,"fields":{"_secret":1}})", "_secret"},
      {R"({"externalId":"K","source":"CRM","version":1,"bad-name":1})", "bad-name"},
  };
  for (const auto& [body, key] : cases) {
    auto result = Post("/api/sync", body);
    ASSERT_TRUE(result) << body;
    EXPECT_EQ(result->status, 400) << body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/problem+json") << body;
    EXPECT_EQ(BodyOf(result)["key"], key) << body;
  }
  std::string many = R"({"externalId":"K","source":"CRM","version":1,"fields":{)";
  for (int i = 0; i < 257; ++i) many += (i ? "," : "") + ("\"f" + std::to_string(i) + "\":1");
  many += "}}";
  auto too_many = Post("/api/sync", many);
  EXPECT_EQ(too_many->status, 400);
  EXPECT_EQ(BodyOf(too_many)["key"], "fields");
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM dead_letter"), "0");
}

TEST_F(IngestE2e, AMalformedCorpusGets4xxEveryTimeAndTheGatewayKeepsServing) {
  std::vector<std::pair<std::string, std::string>> corpus = {
      {"", "application/json"},
      {"{", "application/json"},
      {"}", "application/json"},
      {"[]", "application/json"},
      {"null", "application/json"},
      {"42", "application/json"},
      {"\"text\"", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1}}", "application/json"},
      {"{\"externalId\":\"K\",\"externalId\":\"L\",\"source\":\"CRM\",\"version\":1}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":NaN}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":Infinity}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1e400}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":-1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":true}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":null}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":[1]}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":{}}", "application/json"},
      {"{\"externalId\":1,\"source\":\"CRM\",\"version\":1}", "application/json"},
      {"{\"externalId\":null,\"source\":\"CRM\",\"version\":1}", "application/json"},
      {"{\"externalId\":[\"K\"],\"source\":\"CRM\",\"version\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":7,\"version\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"crm\",\"version\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"fields\":[]}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"fields\":\"x\"}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"fields\":{},\"x\":1}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"op\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"op\":\"DELETE\"}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"entity\":5}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"eventId\":7}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"eventId\":\"" +
           std::string(300, 'e') + "\"}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"" + std::string(65, 'a') + "\":1}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"a b\":1}", "application/json"},
      {"{\"externalId\":\"K\xff\xfe\",\"source\":\"CRM\",\"version\":1}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"n\":\"\xc3\x28\"}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"n\":\"\\ud800\"}",
       "application/json"},
      {"{'externalId':'K','source':'CRM','version':1}", "application/json"},
      {"{externalId:\"K\"}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":01}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":0x10}", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,}", "application/json"},
      {"\xef\xbb\xbf{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"fields\":{\"a\":}}",
       "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1} trailing", "application/json"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1}", "text/plain"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1}", "application/xml"},
      {"externalId=K&source=CRM&version=1", "application/x-www-form-urlencoded"},
      {"{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1}", ""},
  };
  std::string deep = "{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"d\":";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  deep += "}";
  corpus.emplace_back(deep, "application/json");
  corpus.emplace_back(std::string(100000, '['), "application/json");
  corpus.emplace_back("{\"externalId\":\"K\",\"source\":\"CRM\",\"version\":1,\"big\":\"" +
                          std::string(1100000, 'x') + "\"}",
                      "application/json");
  // A NUL inside a string (46 bytes: the literal without its terminator).
  corpus.emplace_back(std::string("{\"externalId\":\"K\0\",\"source\":\"CRM\",\"version\":1}", 46),
                      "application/json");
  ASSERT_GE(corpus.size(), 50u);
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const auto& [body, type] = corpus[i];
    auto result =
        stack_->Http()->Post("/api/sync", body, type.empty() ? "application/octet-stream" : type);
    ASSERT_TRUE(result) << "case " << i << ": no answer";
    EXPECT_GE(result->status, 400) << "case " << i;
    EXPECT_LT(result->status, 500) << "case " << i << ": " << result->body;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log"), "0");
  auto health = stack_->Http()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ok = Post("/api/sync", R"({"externalId":"K","source":"CRM","version":1,"a":1})");
  EXPECT_EQ(ok->status, 200);
}

TEST_F(IngestE2e, BodiesOverOneMebibyteGet413AndWrongTypes415) {
  auto big = Post("/api/sync", std::string(2 * 1024 * 1024, ' '));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto plain = Post("/api/sync", R"({"externalId":"K","source":"CRM","version":1})", "text/plain");
  EXPECT_EQ(plain->status, 415);
  EXPECT_EQ(BodyOf(plain)["key"], "Content-Type");
}

TEST_F(IngestE2e, PatchWithAStaleEtagGets412AndChangesNothing) {
  auto created = Post("/api/sync", R"({"externalId":"P","source":"ERP","version":1,"a":1})");
  const int etag = BodyOf(created)["etag"].get<int>();
  httplib::Headers stale = {{"If-Match", "\"" + std::to_string(etag + 5) + "\""}};
  auto refused = stack_->Http()->Patch("/api/records/client/P", stale, R"({"fields":{"a":2}})",
                                       "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 412);
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/P"))["fields"]["a"], 1);

  auto missing =
      stack_->Http()->Patch("/api/records/client/P", R"({"fields":{"a":2}})", "application/json");
  EXPECT_EQ(missing->status, 428);

  httplib::Headers current = {{"If-Match", "\"" + std::to_string(etag) + "\""}};
  auto applied = stack_->Http()->Patch("/api/records/client/P", current, R"({"fields":{"a":2}})",
                                       "application/json");
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->status, 200);
  Json record = BodyOf(stack_->Http()->Get("/api/records/client/P"));
  EXPECT_EQ(record["fields"]["a"], 2);
  EXPECT_NE(record["etag"], etag);
  EXPECT_EQ(applied->get_header_value("ETag"),
            "\"" + std::to_string(record["etag"].get<int>()) + "\"");
  // No record: If-Match is false (RFC 9110 section 13.1.1), so 412, and nothing is created.
  auto unknown =
      stack_->Http()->Patch("/api/records/client/NOPE", current, R"({"a":1})", "application/json");
  EXPECT_EQ(unknown->status, 412);
  EXPECT_EQ(stack_->Http()->Get("/api/records/client/NOPE")->status, 404);
}

// Conditional requests (RFC 9110 section 13): one test per rule of docs/ingest.md.

TEST_F(IngestE2e, IfMatchHoldsOnlyForAStrongMatchOfTheCurrentEtagElse412WithIt) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"IM","source":"ERP","version":1,"a":1})")->status,
            200);
  // A weak tag never matches for If-Match, nor does a tag of another format or an old one.
  for (const std::string value : {"W/\"1\"", "\"abc\"", "\"0\"", "\"01\"", "W/\"0\", W/\"1\""}) {
    auto refused = PatchIf({{"If-Match", value}}, "/api/records/client/IM", R"({"a":2})");
    ASSERT_TRUE(refused) << value;
    EXPECT_EQ(refused->status, 412) << value;
    EXPECT_EQ(refused->get_header_value("ETag"), "\"1\"") << value;
    EXPECT_EQ(refused->get_header_value("Content-Type"), "application/problem+json") << value;
    EXPECT_EQ(BodyOf(refused)["code"], "precondition_failed") << value;
    EXPECT_EQ(BodyOf(refused)["key"], "If-Match") << value;
  }
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/IM"))["fields"]["a"], 1);
  // A list holding the current tag, with optional whitespace and an empty element.
  auto applied =
      PatchIf({{"If-Match", " W/\"1\" ,, \"7\",\t\"1\" "}}, "/api/records/client/IM", R"({"a":2})");
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->status, 200) << applied->body;
  EXPECT_EQ(applied->get_header_value("ETag"), "\"2\"");
  EXPECT_EQ(BodyOf(applied)["fields"]["a"], 2);
  // The tag it was based on is old now.
  auto old = PatchIf({{"If-Match", "\"1\""}}, "/api/records/client/IM", R"({"a":3})");
  EXPECT_EQ(old->status, 412);
  EXPECT_EQ(old->get_header_value("ETag"), "\"2\"");
  // The header sent on two lines is one list (RFC 9110 section 5.3).
  auto two_lines = PatchIf({{"If-Match", "\"9\""}, {"If-Match", "\"2\""}}, "/api/records/client/IM",
                           R"({"a":3})");
  EXPECT_EQ(two_lines->status, 200) << two_lines->body;
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log WHERE external_id = 'IM'"), "3");
}

TEST_F(IngestE2e, IfMatchStarMatchesAnyExistingRecordAndFailsWithoutOne) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"STAR","source":"ERP","version":4,"a":1})")->status,
            200);
  auto applied = PatchIf({{"If-Match", "*"}}, "/api/records/client/STAR", R"({"a":2})");
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->status, 200) << applied->body;
  EXPECT_EQ(BodyOf(applied)["version"], 5);
  EXPECT_EQ(applied->get_header_value("ETag"), "\"2\"");
  // No current representation: "*" is false, 412 without an ETag, nothing created.
  auto missing = PatchIf({{"If-Match", "*"}}, "/api/records/client/NO-STAR", R"({"a":2})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 412);
  EXPECT_FALSE(missing->has_header("ETag"));
  EXPECT_EQ(BodyOf(missing)["key"], "If-Match");
  EXPECT_EQ(stack_->Http()->Get("/api/records/client/NO-STAR")->status, 404);
}

TEST_F(IngestE2e, IfNoneMatchStarCreatesAMissingRecordAtVersionOneAndOnlyOnce) {
  auto created =
      PatchIf({{"If-None-Match", "*"}}, "/api/records/client/NEW-1", R"({"fields":{"a":"x"}})");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->get_header_value("ETag"), "\"1\"");
  Json record = BodyOf(created);
  EXPECT_EQ(record["version"], 1);
  EXPECT_EQ(record["etag"], 1);
  EXPECT_EQ(record["lastSource"], "operator");
  EXPECT_EQ(record["fields"]["a"], "x");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/NEW-1")), record);
  // An operator event like any PATCH: logged as NEW_RECORD and fanned out to every source.
  EXPECT_EQ(Scalar("SELECT source || ' ' || outcome || ' ' || array_to_string(targets, ',') "
                   "FROM resolution_log WHERE external_id = 'NEW-1'"),
            "operator NEW_RECORD CRM,ERP,Portal,LocalDB");
  // It exists now: 412 with its ETag, naming If-None-Match, nothing changed.
  auto again =
      PatchIf({{"If-None-Match", "*"}}, "/api/records/client/NEW-1", R"({"fields":{"a":"y"}})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 412);
  EXPECT_EQ(again->get_header_value("ETag"), "\"1\"");
  EXPECT_EQ(BodyOf(again)["key"], "If-None-Match");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/NEW-1"))["fields"]["a"], "x");
  // A record a source sent exists too.
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"SRC","source":"CRM","version":3,"a":1})")->status,
            200);
  EXPECT_EQ(PatchIf({{"If-None-Match", "*"}}, "/api/records/client/SRC", R"({"a":2})")->status,
            412);
  // Only "*" creates: a list of tags holds for a missing record, which is then not found.
  EXPECT_EQ(
      PatchIf({{"If-None-Match", "\"5\""}}, "/api/records/client/NEW-2", R"({"a":1})")->status,
      404);
  // What no event could be is refused as it would be on POST /api/sync.
  auto unknown_entity =
      PatchIf({{"If-None-Match", "*"}}, "/api/records/invoice/NEW-3", R"({"a":1})");
  EXPECT_EQ(unknown_entity->status, 400);
  EXPECT_EQ(BodyOf(unknown_entity)["code"], "unknown_entity");
  auto dangling =
      PatchIf({{"If-None-Match", "*"}}, "/api/records/order/O-1", R"({"clientId":"NOBODY"})");
  EXPECT_EQ(dangling->status, 400);
  EXPECT_EQ(BodyOf(dangling)["code"], "unmet_dependency");
  EXPECT_EQ(BodyOf(dangling)["key"], "clientId");
  EXPECT_EQ(Scalar("SELECT count(*) FROM canonical_record WHERE external_id LIKE 'NEW-%' "
                   "OR external_id = 'O-1'"),
            "1");
}

TEST_F(IngestE2e, AConditionalGetIs304WhenIfNoneMatchListsTheCurrentTag) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"G","source":"ERP","version":1,"a":1})")->status,
            200);
  for (const std::string value : {"\"1\"", "W/\"1\"", "*", "\"0\", W/\"1\""}) {
    auto cached =
        stack_->Http()->Get("/api/records/client/G", httplib::Headers{{"If-None-Match", value}});
    ASSERT_TRUE(cached) << value;
    EXPECT_EQ(cached->status, 304) << value;
    EXPECT_EQ(cached->get_header_value("ETag"), "\"1\"") << value;
    EXPECT_TRUE(cached->body.empty()) << value;
    EXPECT_FALSE(cached->has_header("Content-Type")) << value;
  }
  for (const std::string value : {"\"0\"", "\"abc\"", "W/\"2\""}) {
    auto fresh =
        stack_->Http()->Get("/api/records/client/G", httplib::Headers{{"If-None-Match", value}});
    ASSERT_TRUE(fresh) << value;
    EXPECT_EQ(fresh->status, 200) << value;
    EXPECT_EQ(fresh->get_header_value("ETag"), "\"1\"") << value;
    EXPECT_EQ(BodyOf(fresh)["fields"]["a"], 1) << value;
  }
  // No record: 404 whatever the conditions (RFC 9110 section 13.2.1).
  EXPECT_EQ(stack_->Http()
                ->Get("/api/records/client/NO-G", httplib::Headers{{"If-None-Match", "*"}})
                ->status,
            404);
  // The connection still serves after a 304 (no stray body on it).
  auto http = stack_->Http();
  http->set_keep_alive(true);
  EXPECT_EQ(
      http->Get("/api/records/client/G", httplib::Headers{{"If-None-Match", "\"1\""}})->status,
      304);
  EXPECT_EQ(http->Get("/api/records/client/G")->status, 200);
}

TEST_F(IngestE2e, AMalformedConditionalHeaderIsTheOnly400AndNamesTheHeader) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"M","source":"ERP","version":1,"a":1})")->status,
            200);
  const std::vector<std::string> malformed = {"17",  "\"17",        "W/",       "W/17",    ",",
                                              " , ", "\"1\" \"2\"", "*, \"1\"", "w/\"1\"", "'1'"};
  for (const std::string& value : malformed) {
    for (const std::string header : {"If-Match", "If-None-Match"}) {
      auto patched = PatchIf({{header, value}}, "/api/records/client/M", R"({"a":2})");
      ASSERT_TRUE(patched) << header << ": " << value;
      EXPECT_EQ(patched->status, 400) << header << ": " << value;
      EXPECT_EQ(BodyOf(patched)["code"], "invalid_etag") << header << ": " << value;
      EXPECT_EQ(BodyOf(patched)["key"], header) << header << ": " << value;
      auto read = stack_->Http()->Get("/api/records/client/M", httplib::Headers{{header, value}});
      EXPECT_EQ(read->status, 400) << header << ": " << value;
      EXPECT_EQ(BodyOf(read)["key"], header) << header << ": " << value;
    }
  }
  // A well-formed header on either side of a malformed one does not save it.
  auto mixed = PatchIf({{"If-Match", "\"1\""}, {"If-None-Match", "17"}}, "/api/records/client/M",
                       R"({"a":2})");
  EXPECT_EQ(mixed->status, 400);
  EXPECT_EQ(BodyOf(mixed)["key"], "If-None-Match");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/M"))["fields"]["a"], 1);
  // Neither header: still 428.
  auto unconditional =
      stack_->Http()->Patch("/api/records/client/M", R"({"a":2})", "application/json");
  EXPECT_EQ(unconditional->status, 428);
  EXPECT_EQ(BodyOf(unconditional)["code"], "if_match_required");
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log WHERE external_id = 'M'"), "1");
}

TEST_F(IngestE2e, ConcurrentConditionalWritesHaveExactlyOneWinner) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"RACE","source":"ERP","version":1,"a":0})")->status,
            200);
  struct Race {
    httplib::Headers condition;
    std::string path;
    int won;  // the winner's status
  };
  // Every writer sends the same condition at once; it is evaluated on the locked row, so it
  // holds for the first write only: the etag each holds, then the absence of a record.
  const std::vector<Race> races = {
      {{{"If-Match", "\"1\""}}, "/api/records/client/RACE", 200},
      {{{"If-None-Match", "*"}}, "/api/records/client/RACE-NEW", 201},
  };
  constexpr int kWriters = 6;
  for (const Race& race : races) {
    std::latch start(kWriters);
    std::vector<int> statuses(kWriters, 0);
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] {
        auto http = stack_->Http();
        start.arrive_and_wait();
        auto result = http->Patch(race.path, race.condition,
                                  R"({"a":)" + std::to_string(i + 1) + "}", "application/json");
        statuses[i] = result ? result->status : -1;
      });
    }
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), race.won), 1) << race.path;
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 412), kWriters - 1) << race.path;
    EXPECT_EQ(BodyOf(stack_->Http()->Get(race.path))["etag"], race.won == 201 ? 1 : 2);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log WHERE source = 'operator'"), "2");
}

TEST_F(IngestE2e, KeepingTheCanonicalSideOfADeleteConflictKeepsTheRecordDeleted) {
  ASSERT_EQ(Post("/api/sync", R"({"externalId":"DEL","source":"CRM","version":1,"a":"x"})")->status,
            200);
  ASSERT_EQ(
      Post("/api/sync", R"({"externalId":"DEL","source":"CRM","version":2,"op":"delete"})")->status,
      200);
  // The same source and version, an upsert: _deleted conflicts at equal priority.
  auto conflict = Post("/api/sync", R"({"externalId":"DEL","source":"CRM","version":2,"a":"y"})");
  ASSERT_EQ(conflict->status, 409) << conflict->body;
  const std::string id = std::to_string(BodyOf(conflict)["conflictId"].get<std::int64_t>());
  auto resolved = Post("/api/conflicts/" + id + "/resolve", R"({"take":"canonical"})");
  ASSERT_EQ(resolved->status, 200) << resolved->body;
  auto record = BodyOf(stack_->Http()->Get("/api/records/client/DEL"));
  EXPECT_EQ(record["deleted"], true) << record;
  EXPECT_EQ(record["version"], 3);
}

TEST_F(IngestE2e, APersonsEditIsAboveEverySourceAndNoSourceSubmitsAsOperator) {
  ASSERT_EQ(
      Post("/api/sync", R"({"externalId":"OP","source":"LocalDB","version":1,"a":"x"})")->status,
      200);
  httplib::Headers if_match = {{"If-Match", "\"1\""}};
  auto patched = stack_->Http()->Patch("/api/records/client/OP", if_match,
                                       R"({"fields":{"a":"person"}})", "application/json");
  ASSERT_EQ(patched->status, 200) << patched->body;
  // CRM, the highest-priority source, sends another value at the same version: the person's
  // value stays (SPEC section 1).
  auto crm = Post("/api/sync", R"({"externalId":"OP","source":"CRM","version":2,"a":"crm"})");
  ASSERT_EQ(crm->status, 200) << crm->body;
  EXPECT_EQ(BodyOf(crm)["outcome"], "PRIORITY_WIN");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/records/client/OP"))["fields"]["a"], "person");
  auto forged = Post("/api/sync", R"({"externalId":"OP","source":"operator","version":9,"a":"z"})");
  EXPECT_EQ(forged->status, 400);
  EXPECT_EQ(BodyOf(forged)["code"], "reserved_source");
  auto registered =
      stack_->Http()->Put("/api/sources/operator", R"({"priority":0})", "application/json");
  EXPECT_EQ(registered->status, 400);
}

TEST_F(IngestE2e, AZeroMqBatchResentAfterAGatewayKillNineIsAppliedOnce) {
  zmq::context_t context(1);
  std::vector<v1::Event> batch;
  for (int i = 0; i < 50; ++i) {
    auto event = ParseEvent(
        R"({"externalId":"Z)" + std::to_string(i) + R"(","source":"Portal","version":1,"n":1})",
        Catalog::Demo());
    v1::Event wire = EventToProto(*event);
    wire.set_event_id("zmq-" + std::to_string(i));
    batch.push_back(wire);
  }
  {
    ResolverClient client(context, {{stack_->zmq_endpoint}, std::chrono::seconds(10), 1});
    auto reply = client.Submit(batch);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    for (const auto& result : reply->results()) EXPECT_EQ(result.outcome(), v1::OUTCOME_NEW_RECORD);
  }
  const std::string endpoint = stack_->zmq_endpoint;
  stack_->ingest->Stop(SIGKILL);
  stack_->StartIngest(endpoint);
  ResolverClient client(context, {{stack_->zmq_endpoint}, std::chrono::seconds(10), 3});
  auto again = client.Submit(batch);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  for (const auto& result : again->results()) {
    EXPECT_EQ(result.outcome(), v1::OUTCOME_NEW_RECORD);
    EXPECT_TRUE(result.duplicate());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log WHERE event_id LIKE 'zmq-%'"), "50");
}

TEST_F(IngestE2e, EveryRouteInTheOpenApiDocumentAnswersAndEveryServedRouteIsListed) {
  auto served = stack_->Http()->Get("/openapi.yaml");
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
  std::set<std::string> documented;
  std::istringstream lines(served->body);
  std::string line;
  const std::regex path_line(R"(^  (/[^:]*):\s*$)");
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, match, path_line)) documented.insert(match[1]);
  }
  std::set<std::string> routes;
  for (const auto& route : testing::ServedRoutes()) routes.insert(route.path);
  EXPECT_EQ(documented, routes);

  for (const auto& route : testing::ServedRoutes()) {
    std::string path = std::regex_replace(route.path, std::regex(R"(\{entity\})"), "client");
    path = std::regex_replace(path, std::regex(R"(\{externalId\})"), "X1");
    path = std::regex_replace(path, std::regex(R"(\{id\})"), "1");
    path = std::regex_replace(path, std::regex(R"(\{name\})"), "CRM");
    auto http = stack_->Http();
    httplib::Result result = route.method == "GET"    ? http->Get(path)
                             : route.method == "POST" ? http->Post(path, "{}", "application/json")
                             : route.method == "PUT"
                                 ? http->Put(path, R"({"priority":1})", "application/json")
                                 : http->Patch(path, "{}", "application/json");
    ASSERT_TRUE(result) << route.method << " " << path;
    EXPECT_LT(result->status, 500) << route.method << " " << path << ": " << result->body;
    const Json body = BodyOf(result);
    if (body.is_object()) {
      EXPECT_NE(body.value("detail", ""), "no such route") << route.method << " " << path;
    }
  }
  auto metrics = stack_->Http()->Get("/metrics");
  EXPECT_NE(metrics->body.find("synchub_http_requests_total"), std::string::npos);
  EXPECT_NE(metrics->body.find("synchub_http_request_duration_seconds"), std::string::npos);
}

TEST_F(IngestE2e, DeadLettersAndSourcesCanBeManagedOverHttpAndSyncctl) {
  // A value the hub cannot store exactly (jsonb refuses U+0000) is refused at validation,
  // naming the field, and nothing is stored (SPEC section 2).
  auto poison =
      Post("/api/sync", R"({"eventId":"poison-1","externalId":"P","source":"CRM","version":1,)"
                        R"("name":"bad\u0000byte"})");
  ASSERT_TRUE(poison);
  EXPECT_EQ(poison->status, 400);
  EXPECT_EQ(BodyOf(poison)["code"], "value_not_storable");
  EXPECT_EQ(Scalar("SELECT count(*) FROM resolution_log WHERE event_id = 'poison-1'"), "0");
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/dead-letters"))["deadLetters"].size(), 0u);

  // A dead letter as a connector reports a row it could not push: its source is unknown.
  {
    auto connection = stack_->db->Connect();
    pqxx::work tx(*connection);
    tx.exec(R"(INSERT INTO dead_letter (event_id, event, reason, detail) VALUES ('poison-1',
            '{"eventId":"poison-1","externalId":"P","source":"Ghost","version":1,"fields":{}}',
            'CONNECTOR_PUSH_FAILED', 'unknown source'))");
    tx.commit();
  }
  Json letters = BodyOf(stack_->Http()->Get("/api/dead-letters"))["deadLetters"];
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["eventId"], "poison-1");
  const std::string id = std::to_string(letters[0]["id"].get<int>());

  // Replaying it fails the same way and leaves one live dead letter.
  auto replayed = Post("/api/dead-letters/" + id + "/replay", "{}");
  EXPECT_EQ(replayed->status, 400);
  EXPECT_EQ(BodyOf(replayed)["code"], "unknown_source");
  EXPECT_EQ(Scalar("SELECT count(*) FROM dead_letter WHERE status = 'dead'"), "1");
  const std::string live =
      Scalar("SELECT id FROM dead_letter WHERE status = 'dead' AND event_id = 'poison-1'");

  const std::string syncctl = std::string(SYNCCTL_BIN) + " --url " + stack_->http_url;
  EXPECT_EQ(std::system((syncctl + " dead-letters discard " + live + " > /dev/null").c_str()), 0);
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/dead-letters"))["deadLetters"].size(), 0u);
  EXPECT_EQ(Post("/api/dead-letters/" + live + "/discard", "{}")->status, 409);
  EXPECT_EQ(Post("/api/dead-letters/999999/discard", "{}")->status, 404);

  // Priorities: syncctl sets one; the API and the next same-version conflict see it.
  EXPECT_EQ(std::system((syncctl + " sources set-priority Portal 0 > /dev/null").c_str()), 0);
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/sources/Portal"))["priority"], 0);
  EXPECT_EQ(BodyOf(stack_->Http()->Get("/api/sources"))["sources"][0]["source"], "Portal");
  EXPECT_EQ(std::system((syncctl + " stats > /dev/null").c_str()), 0);
  EXPECT_NE(std::system((syncctl + " conflicts show 424242 > /dev/null 2>&1").c_str()), 0);
}

TEST_F(IngestE2e, WithoutAResolverASubmissionGets503WithRetryAfter) {
  stack_->resolver->Stop(SIGKILL);
  stack_->ingest->Stop(SIGTERM);
  stack_->ingest = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
      SYNCHUB_INGEST_BIN, "--db", stack_->db->conninfo(), "--port", "0", "--resolver",
      stack_->resolver_endpoint, "--zmq-listen", "tcp://127.0.0.1:*", "--log-level", "error",
      "--resolver-timeout-ms", "300", "--insecure"});
  auto ready = stack_->ingest->WaitForLine("READY", std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value());
  std::istringstream words(*ready);
  std::string word;
  words >> word >> stack_->http_url;
  stack_->http_port = std::stoi(stack_->http_url.substr(stack_->http_url.rfind(':') + 1));
  auto result =
      Post("/api/sync", R"({"eventId":"e-503","externalId":"K","source":"CRM","version":1})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->get_header_value("Retry-After"), "1");
  EXPECT_EQ(stack_->Http()->Get("/healthz")->status, 503);
}

}  // namespace
}  // namespace synchub
