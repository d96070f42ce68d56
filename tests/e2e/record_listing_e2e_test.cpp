// The hub's side of snapshot and reconcile (issue 14) end to end: the paged record listing,
// range checksums and `syncctl records list`, on a real gateway, resolver and PostgreSQL.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/core/range_checksum.hpp"
#include "stack_harness.hpp"

namespace synchub {
namespace {

using testing::BodyOf;
using testing::StartStack;

// What a command printed on stdout, and its exit code.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// `text` percent-encoded as one path segment (every byte but A-Z a-z 0-9 - . _ ~).
std::string PathSegment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
    }
  }
  return out;
}

class RecordListingE2e : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = StartStack(); }

  // Submits one event; expects it decided (200).
  void Sync(const std::string& event) {
    auto result = stack_->Http()->Post("/api/sync", event, "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << event << ": " << result->body;
  }

  httplib::Result Page(const std::string& entity, const httplib::Params& params) {
    return stack_->Http()->Get("/api/records/" + entity, params, httplib::Headers{});
  }

  httplib::Result Checksums(const std::string& entity, const std::string& body) {
    return stack_->Http()->Post("/api/checksums/" + entity, body, "application/json");
  }

  // The "ranges" of the checksum answer for `ranges` over `fields`; fails the test otherwise.
  Json RangeAnswers(const std::string& fields, const std::string& ranges) {
    auto result = Checksums("client", R"({"fields":)" + fields + R"(,"ranges":)" + ranges + "}");
    EXPECT_TRUE(result);
    if (!result) return Json();
    EXPECT_EQ(result->status, 200) << result->body;
    return BodyOf(result)["ranges"];
  }

  // RowHashSql of one row given as literals, evaluated by the hub's PostgreSQL: what a
  // connector holding that row computes.
  std::int64_t RowHash(const std::string& key, std::int64_t version,
                       const std::map<std::string, std::string>& jsonb_values) {
    std::vector<ChecksumField> fields;
    for (const auto& [name, value] : jsonb_values) {
      fields.push_back({name, "('" + value + "'::jsonb)"});
    }
    auto connection = stack_->db->Connect();
    pqxx::read_transaction tx(*connection);
    return tx
        .exec_params1("SELECT " + RowHashSql("$1::text", "$2::bigint", fields), key, version)[0]
        .as<std::int64_t>();
  }

  std::unique_ptr<testing::Stack> stack_;
};

TEST_F(RecordListingE2e, PagesListEveryRecordOnceInByteOrderTombstonesIncluded) {
  std::vector<std::string> keys = {"B-1", "a-1", "a-10", "a-2", "A", "Z", "b", "\xc3\xa9-1", "_x"};
  for (int i = 1; i <= 12; ++i) keys.push_back("CUST-" + std::to_string(100 + i));
  for (const std::string& key : keys) {
    Sync(R"({"externalId":")" + key + R"(","source":"CRM","version":1,"email":"e"})");
  }
  Sync(R"({"externalId":"a-10","source":"CRM","version":2,"op":"delete"})");
  // Another entity's record is not listed.
  Sync(R"({"entity":"order","externalId":"a-5","source":"CRM","version":1,"total":1})");
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());  // std::string compares bytes as unsigned
  ASSERT_EQ(expected[0], "A");
  EXPECT_LT(std::find(expected.begin(), expected.end(), "B-1"),
            std::find(expected.begin(), expected.end(), "a-1"));
  EXPECT_LT(std::find(expected.begin(), expected.end(), "a-10"),
            std::find(expected.begin(), expected.end(), "a-2"));

  std::vector<std::string> listed;
  std::string after;
  for (int pages = 0; pages < 20; ++pages) {
    httplib::Params params = {{"limit", "4"}};
    if (!after.empty()) params.emplace("after", after);
    auto result = Page("client", params);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const Json page = BodyOf(result);
    ASSERT_LE(page["records"].size(), 4u);
    for (const Json& record : page["records"]) {
      const std::string key = record["externalId"].get<std::string>();
      listed.push_back(key);
      // Each record as GET of the record shows it, etag included.
      auto single = stack_->Http()->Get("/api/records/client/" + PathSegment(key));
      ASSERT_TRUE(single);
      EXPECT_EQ(JsonText(record), JsonText(BodyOf(single))) << key;
      EXPECT_EQ(record["deleted"], key == "a-10") << key;
    }
    if (page["next"].is_null()) break;
    ASSERT_EQ(page["records"].size(), 4u);
    EXPECT_EQ(page["next"], listed.back());
    after = page["next"].get<std::string>();
  }
  EXPECT_EQ(listed, expected);

  // A page that ends exactly at the last record is the last page: next is null.
  const auto count = std::to_string(expected.size());
  Json whole = BodyOf(Page("client", {{"limit", count}}));
  EXPECT_EQ(whole["records"].size(), expected.size());
  EXPECT_TRUE(whole["next"].is_null());
  Json short_of_one = BodyOf(Page("client", {{"limit", std::to_string(expected.size() - 1)}}));
  EXPECT_EQ(short_of_one["next"], expected[expected.size() - 2]);
  // Defaults: from the start, 100 per page; after the last key, an empty last page.
  Json all = BodyOf(stack_->Http()->Get("/api/records/client"));
  EXPECT_EQ(all["records"].size(), expected.size());
  EXPECT_TRUE(all["next"].is_null());
  Json past = BodyOf(Page("client", {{"after", expected.back()}}));
  EXPECT_EQ(past, Json::parse(R"({"records":[],"next":null})"));
  Json orders = BodyOf(stack_->Http()->Get("/api/records/order"));
  ASSERT_EQ(orders["records"].size(), 1u);
  EXPECT_EQ(orders["records"][0]["externalId"], "a-5");

  for (const char* limit : {"0", "1001", "x", "-1", ""}) {
    auto refused = Page("client", {{"limit", limit}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << limit;
    EXPECT_EQ(refused->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(BodyOf(refused)["code"], "invalid_limit") << limit;
    EXPECT_EQ(BodyOf(refused)["key"], "limit") << limit;
  }
  auto unknown = stack_->Http()->Get("/api/records/nosuch");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->status, stack_->Http()->Get("/api/records/nosuch/X")->status);

  // syncctl records list: one page as a table, or every page (--all) as one JSON page.
  const std::string syncctl = std::string(SYNCCTL_BIN) + " --url " + stack_->http_url;
  CommandResult table = RunCommand(syncctl + " records list client --limit 3 --after a-1");
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find("EXTERNAL ID  VERSION  LAST SOURCE  DELETED  ETAG"),
            std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("a-10         2        CRM          yes"), std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("more records follow: --after b (or --all)"), std::string::npos)
      << table.output;
  CommandResult every = RunCommand(syncctl + " records list client --limit 2 --all --json");
  EXPECT_EQ(every.exit_code, 0);
  Json merged = TryParseStoredJson(every.output);
  ASSERT_TRUE(merged.is_object()) << every.output;
  std::vector<std::string> merged_keys;
  for (const Json& record : merged["records"])
    merged_keys.push_back(record["externalId"].get<std::string>());
  EXPECT_EQ(merged_keys, expected);
  EXPECT_TRUE(merged["next"].is_null());
  EXPECT_EQ(RunCommand(syncctl + " records list client --limit 0 2>/dev/null").exit_code, 2);
  EXPECT_EQ(RunCommand(syncctl + " records list nosuch --all 2>/dev/null").exit_code, 1);
}

TEST_F(RecordListingE2e, ARangesChecksumMovesWithItsLiveRecordsOnly) {
  for (int i = 1; i <= 9; ++i) {
    const std::string n = std::to_string(i);
    Sync(R"({"externalId":"CUST-00)" + n + R"(","source":"CRM","version":1,"email":"e)" + n +
         R"(","fullName":"N)" + n + R"("})");
  }
  const std::string fields = R"(["email","fullName"])";
  const std::string ranges =
      R"([{"after":"","upTo":"CUST-003"},{"after":"CUST-003","upTo":"CUST-006"},)"
      R"({"after":"CUST-006","upTo":null},{"after":"CUST-009","upTo":null}])";
  const Json before = RangeAnswers(fields, ranges);
  ASSERT_EQ(before.size(), 4u);
  EXPECT_EQ(before[0]["after"], "");
  EXPECT_EQ(before[0]["upTo"], "CUST-003");
  EXPECT_TRUE(before[2]["upTo"].is_null());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(before[i]["rows"], 3) << i;
  EXPECT_EQ(before[3]["rows"], 0);
  EXPECT_EQ(before[3]["checksum"], "0");
  ASSERT_TRUE(before[0]["checksum"].is_string());
  EXPECT_NE(before[0]["checksum"], before[1]["checksum"]);
  EXPECT_EQ(RangeAnswers(fields, ranges), before);  // a read: the same answer again

  // The checksum is the documented one: the xor of RowHashSql over each live row.
  std::int64_t expected = 0;
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    expected ^=
        RowHash("CUST-00" + n, 1, {{"email", "\"e" + n + "\""}, {"fullName", "\"N" + n + "\""}});
  }
  EXPECT_EQ(before[0]["checksum"], std::to_string(expected));

  // A value changes in the middle range: only its checksum moves.
  Sync(R"({"externalId":"CUST-005","source":"CRM","version":2,"email":"changed"})");
  Json after = RangeAnswers(fields, ranges);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_NE(after[1]["checksum"], before[1]["checksum"]);
  EXPECT_EQ(after[1]["rows"], 3);
  EXPECT_EQ(after[2], before[2]);

  // The version alone changes (same values): the checksum moves.
  Json middle = after[1];
  Sync(R"({"externalId":"CUST-005","source":"CRM","version":3,"email":"changed"})");
  after = RangeAnswers(fields, ranges);
  EXPECT_NE(after[1]["checksum"], middle["checksum"]);
  EXPECT_EQ(after[0], before[0]);

  // A field not asked for changes at the same version (FIELD_MERGE): nothing moves, unless
  // that field is asked for.
  Sync(R"({"externalId":"CUST-002","source":"ERP","version":1,"phone":"555"})");
  after = RangeAnswers(fields, ranges);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_NE(RangeAnswers(R"(["email","fullName","phone"])", ranges)[0]["checksum"],
            RangeAnswers(R"(["email","fullName","nosuch"])", ranges)[0]["checksum"]);

  // A deleted record is not counted: its range has one row less.
  Sync(R"({"externalId":"CUST-008","source":"CRM","version":2,"op":"delete"})");
  after = RangeAnswers(fields, ranges);
  EXPECT_EQ(after[2]["rows"], 2);
  EXPECT_NE(after[2]["checksum"], before[2]["checksum"]);
  EXPECT_EQ(after[0], before[0]);
  std::int64_t without_deleted = 0;
  for (int i : {7, 9}) {
    const std::string n = std::to_string(i);
    without_deleted ^=
        RowHash("CUST-00" + n, 1, {{"email", "\"e" + n + "\""}, {"fullName", "\"N" + n + "\""}});
  }
  EXPECT_EQ(after[2]["checksum"], std::to_string(without_deleted));
}

TEST_F(RecordListingE2e, NumbersHashByValueWhateverDigitsTheHubKeptAsSent) {
  Sync(R"({"externalId":"N-1","source":"CRM","version":1,"amount":1.50,"count":1.0})");
  Sync(R"({"externalId":"N-2","source":"CRM","version":1,"amount":1.5,"count":1})");
  // The hub keeps each number as sent...
  const std::string n1 = stack_->Http()->Get("/api/records/client/N-1")->body;
  EXPECT_NE(n1.find(R"("amount":1.50)"), std::string::npos) << n1;
  EXPECT_NE(n1.find(R"("count":1.0)"), std::string::npos) << n1;
  // ... and hashes it as a connector holding 1.5 (numeric) or 1.500 would.
  const Json ranges = RangeAnswers(R"(["amount","count"])",
                                   R"([{"after":"","upTo":"N-1"},{"after":"N-1","upTo":"N-2"}])");
  EXPECT_EQ(ranges[0]["checksum"],
            std::to_string(RowHash("N-1", 1, {{"amount", "1.5"}, {"count", "1"}})));
  EXPECT_EQ(ranges[0]["checksum"],
            std::to_string(RowHash("N-1", 1, {{"amount", "1.500"}, {"count", "1.00"}})));
  EXPECT_EQ(ranges[1]["checksum"],
            std::to_string(RowHash("N-2", 1, {{"amount", "1.50"}, {"count", "1.0"}})));
  EXPECT_NE(ranges[0]["checksum"],
            std::to_string(RowHash("N-1", 1, {{"amount", "\"1.5\""}, {"count", "1"}})));
}

TEST_F(RecordListingE2e, ChecksumRequestsThatBreakARuleGet4xxNamingTheKey) {
  const std::map<std::string, std::pair<std::string, std::string>> refused = {
      {R"({"fields":["email","x","_deleted"],"ranges":[]})", {"reserved_field", "fields[2]"}},
      {R"({"fields":["email","x y"],"ranges":[]})", {"invalid_field_name", "fields[1]"}},
      {R"({"fields":[],"ranges":[]})", {"empty", "fields"}},
      {R"({"ranges":[]})", {"missing", "fields"}},
      {R"({"fields":["a"],"ranges":[{"after":"","upTo":3}]})", {"wrong_type", "ranges[0].upTo"}},
      {R"({"fields":["a"],"ranges":[{"upTo":null}]})", {"missing", "ranges[0].after"}},
      {R"({"fields":["a"],"ranges":[{"after":1,"upTo":null}]})", {"wrong_type", "ranges[0].after"}},
      {R"({"fields":["a"],"ranges":[],"limit":3})", {"unknown_key", "limit"}},
      {R"({"fields":["a"],"ranges":[{"after":"a\u0000","upTo":null}]})",
       {"value_not_storable", "ranges"}},
      {"[1]", {"not_object", ""}},
      {"{", {"invalid_json", ""}},
  };
  for (const auto& [body, expected] : refused) {
    auto result = Checksums("client", body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400) << body;
    EXPECT_EQ(BodyOf(result)["code"], expected.first) << body;
    EXPECT_EQ(BodyOf(result)["key"], expected.second) << body;
  }
  std::string many_fields = R"({"ranges":[],"fields":["f0")";
  for (int i = 1; i <= 256; ++i) many_fields += ",\"f" + std::to_string(i) + "\"";
  EXPECT_EQ(BodyOf(Checksums("client", many_fields + "]}"))["key"], "fields");
  std::string many_ranges = R"({"fields":["a"],"ranges":[)";
  for (int i = 0; i <= 1000; ++i)
    many_ranges += std::string(i > 0 ? "," : "") + R"({"after":"","upTo":null})";
  auto too_many = Checksums("client", many_ranges + "]}");
  EXPECT_EQ(too_many->status, 400);
  EXPECT_EQ(BodyOf(too_many)["code"], "too_many_ranges");
  EXPECT_EQ(Checksums("client", R"({"fields":["a"],"ranges":[)" + std::string(1100000, ' ') + "]}")
                ->status,
            413);
  EXPECT_EQ(stack_->Http()
                ->Post("/api/checksums/client", R"({"fields":["a"],"ranges":[]})", "text/plain")
                ->status,
            415);
  auto unknown = Checksums("nosuch", R"({"fields":["a"],"ranges":[]})");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(BodyOf(unknown)["key"], "entity");
  // Every range of the largest request is computed, in order.
  std::string thousand = R"({"fields":["a"],"ranges":[)";
  for (int i = 0; i < 1000; ++i) {
    thousand +=
        std::string(i > 0 ? "," : "") + R"({"after":"K)" + std::to_string(i) + R"(","upTo":null})";
  }
  auto answered = Checksums("client", thousand + "]}");
  ASSERT_EQ(answered->status, 200);
  ASSERT_EQ(BodyOf(answered)["ranges"].size(), 1000u);
  EXPECT_EQ(BodyOf(answered)["ranges"][999]["after"], "K999");
}

}  // namespace
}  // namespace synchub
