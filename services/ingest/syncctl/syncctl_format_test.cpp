#include "ingest/syncctl/syncctl_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/json.hpp"
#include "ingest/syncctl/syncctl_client.hpp"

namespace synchub {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(FormatTable, AlignsColumnsUnderAHeaderAndARule) {
  EXPECT_EQ(FormatTable({"ID", "NAME"}, {{"1", "alpha"}, {"22", "b"}}),
            "ID  NAME\n"
            "--  -----\n"
            "1   alpha\n"
            "22  b\n");
}

TEST(FormatTable, CountsUtf8CodePointsNotBytes) {
  EXPECT_EQ(FormatTable({"NAME", "X"}, {{"M\xC3\xBCller", "1"}, {"Li", "2"}}),
            "NAME    X\n"
            "------  -\n"
            "M\xC3\xBCller  1\n"
            "Li      2\n");
}

TEST(FormatTable, PadsShortRowsDropsExtraCellsAndFlattensControlCharacters) {
  std::string table = FormatTable({"A", "B"}, {{"x"}, {"one\ntwo", "y", "extra"}});
  EXPECT_EQ(table,
            "A        B\n"
            "-------  -\n"
            "x\n"
            "one two  y\n");
  for (const auto& line : Lines(table)) {
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "trailing space in '" << line << "'";
  }
}

TEST(FormatTable, WithoutRowsPrintsOnlyTheHeader) {
  EXPECT_EQ(FormatTable({"SOURCE", "PRIORITY"}, {}),
            "SOURCE  PRIORITY\n"
            "------  --------\n");
}

TEST(CellText, StringsLoseTheirQuotesOtherValuesStayJson) {
  EXPECT_EQ(CellText(json("CUST-1")), "CUST-1");
  EXPECT_EQ(CellText(json(42)), "42");
  EXPECT_EQ(CellText(json(nullptr)), "null");
  EXPECT_EQ(CellText(json::parse(R"({"a":[1,true]})")), R"({"a":[1,true]})");
}

TEST(FormatConflictList, OneRowPerConflictWithFieldNamesAndDashForNoResolution) {
  json body = json::parse(R"({"conflicts":[
    {"id":7,"eventId":"e-1","entity":"client","externalId":"CUST-004","status":"open",
     "resolution":null,"createdAt":"2024-05-01T10:00:00Z","resolvedAt":null,
     "conflictingFields":[
       {"field":"email","incoming":"a@x","canonical":"b@x","canonicalSource":"CRM"},
       {"field":"phone","incoming":"1","canonical":"2","canonicalSource":"ERP"}]},
    {"id":12,"eventId":"e-2","entity":"order","externalId":"O-1","status":"resolved",
     "resolution":"incoming","createdAt":"2024-05-02T00:00:00Z",
     "resolvedAt":"2024-05-02T01:00:00Z",
     "conflictingFields":[{"field":"total","incoming":3,"canonical":4,"canonicalSource":"ERP"}]}
  ]})");
  EXPECT_EQ(Lines(FormatConflictList(body)),
            (std::vector<std::string>{
                "ID  STATUS    RECORD           FIELDS       RESOLUTION  CREATED",
                "--  --------  ---------------  -----------  ----------  --------------------",
                "7   open      client/CUST-004  email,phone  -           2024-05-01T10:00:00Z",
                "12  resolved  order/O-1        total        incoming    2024-05-02T00:00:00Z",
            }));
}

TEST(FormatConflictList, SaysSoWhenThereAreNone) {
  EXPECT_EQ(FormatConflictList(json::parse(R"({"conflicts":[]})")), "no conflicts\n");
  EXPECT_EQ(FormatConflictList(json::object()), "no conflicts\n");  // unexpected shape
}

TEST(FormatConflict, ListsBothSidesPerFieldAndHowToResolveAnOpenConflict) {
  json conflict = json::parse(R"({"id":7,"eventId":"e-1","entity":"client",
    "externalId":"CUST-004","status":"open","resolution":null,
    "createdAt":"2024-05-01T10:00:00Z","resolvedAt":null,
    "conflictingFields":[{"field":"email","incoming":"a@x","canonical":"b@x",
                          "canonicalSource":"CRM"}],
    "event":{"source":"ERP","version":3},"canonical":{}})");
  std::vector<std::string> lines = Lines(FormatConflict(conflict));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "event:       e-1 from ERP, version 3"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "email  a@x       b@x        CRM"), lines.end());
  EXPECT_EQ(lines.back(), "resolve with: syncctl conflicts resolve 7 --take incoming|canonical");

  conflict["status"] = "resolved";
  conflict["resolution"] = "canonical";
  EXPECT_EQ(FormatConflict(conflict).find("resolve with"), std::string::npos);
}

TEST(FormatSourceList, ShowsEachSourcesLag) {
  json body = synchub::ParseStoredJson(R"({"sources":[
    {"source":"CRM","priority":1,"unacknowledgedRecords":0,"oldestUnacknowledgedSeconds":0},
    {"source":"ERP","priority":2,"unacknowledgedRecords":3,"oldestUnacknowledgedSeconds":12.75}]})");
  const std::string text = FormatSourceList(body);
  EXPECT_NE(text.find("CRM     1         0                     -"), std::string::npos) << text;
  EXPECT_NE(text.find("ERP     2         3                     12 s"), std::string::npos) << text;
}

TEST(FormatRecord, ShowsTheRecordThenEachFieldWithTheSourceThatSetIt) {
  json record = synchub::ParseStoredJson(R"({"entity":"client","externalId":"CUST-001","version":3,
    "lastSource":"ERP","deleted":false,"etag":5,
    "fields":{"email":"a@x.org","age":42,"nickname":null,"amount":12345678901234567890.10},
    "provenance":{"email":"CRM","age":"ERP","_deleted":"CRM"},
    "fieldVersions":{"email":2,"age":3,"amount":3,"_deleted":1}})");
  EXPECT_EQ(FormatRecord(record),
            "record:       client/CUST-001\n"
            "version:      3\n"
            "last source:  ERP\n"
            "deleted:      no\n"
            "etag:         5\n"
            "\n"
            "FIELD     VALUE                    SOURCE  AT VERSION\n"
            "--------  -----------------------  ------  ----------\n"
            "age       42                       ERP     3\n"
            "amount    12345678901234567890.10  -       3\n"
            "email     a@x.org                  CRM     2\n"
            "nickname  null                     -       -\n");
}

TEST(FormatRecordList, OneRowPerRecordAndHowToGetTheNextPage) {
  const json page = synchub::ParseStoredJson(
      R"({"records":[{"entity":"client","externalId":"B-1","version":2,"lastSource":"CRM",)"
      R"("deleted":false,"etag":7,"fields":{}},{"entity":"client","externalId":"a-1",)"
      R"("version":3,"lastSource":"ERP","deleted":true,"etag":9,"fields":{}}],"next":"a-1"})");
  EXPECT_EQ(Lines(FormatRecordList(page)),
            (std::vector<std::string>{"EXTERNAL ID  VERSION  LAST SOURCE  DELETED  ETAG",
                                      "-----------  -------  -----------  -------  ----",
                                      "B-1          2        CRM          no       7",
                                      "a-1          3        ERP          yes      9",
                                      "more records follow: --after a-1 (or --all)"}));
  EXPECT_EQ(FormatRecordList(json::parse(R"({"records":[],"next":null})")), "no records\n");
}

TEST(FormatStats, ListsOutcomesInLadderOrderThenUnknownOnes) {
  json stats = json::parse(R"({"records":10,"openConflicts":1,"deadLetters":0,"deferred":2,
    "resolutions":30,"outcomes":{"FIELD_MERGE":4,"MANUAL":1,"NEW_RECORD":10,"ZEBRA":9,
                                 "AARDVARK":8}})");
  std::string text = FormatStats(stats);
  EXPECT_NE(text.find("open conflicts:  1\n"), std::string::npos);
  const std::size_t new_record = text.find("NEW_RECORD   10");
  const std::size_t field_merge = text.find("FIELD_MERGE  4");
  const std::size_t manual = text.find("MANUAL       1");
  const std::size_t aardvark = text.find("AARDVARK     8");
  const std::size_t zebra = text.find("ZEBRA        9");
  ASSERT_NE(zebra, std::string::npos);
  EXPECT_LT(new_record, field_merge);
  EXPECT_LT(field_merge, manual);
  EXPECT_LT(manual, aardvark);
  EXPECT_LT(aardvark, zebra);
}

TEST(FormatSyncResult, NamesTheConflictOfAManualOutcome) {
  json result = json::parse(R"({"eventId":"e-9","outcome":"MANUAL","changed":false,
    "record":null,"etag":null,"duplicate":false,"logSeq":41,"conflictId":3,
    "conflictingFields":["email","phone"]})");
  EXPECT_EQ(FormatSyncResult(result),
            "event:     e-9\n"
            "outcome:   MANUAL\n"
            "changed:   no\n"
            "etag:      -\n"
            "log seq:   41\n"
            "conflict:  3 (fields: email, phone)\n");
}

TEST(FormatProblem, GivesStatusCodeDetailAndKey) {
  EXPECT_EQ(FormatProblem(400, R"({"type":"about:blank","title":"Bad Request","status":400,
    "code":"invalid_argument","detail":"version must be an integer","key":"version"})"),
            "HTTP 400 invalid_argument: version must be an integer (key: version)");
  EXPECT_EQ(FormatProblem(409, R"({"status":409,"code":"not_dead","detail":"already replayed",
    "key":""})"),
            "HTTP 409 not_dead: already replayed");
  EXPECT_EQ(FormatProblem(413, "Payload Too Large\nmore"), "HTTP 413: Payload Too Large");
  EXPECT_EQ(FormatProblem(502, ""), "HTTP 502");
}

// The client's pure helpers (syncctl_client.hpp) are tested here too: this is the library's
// one unit-test binary.
TEST(ParseServerUrl, AcceptsHttpUrlsWithOrWithoutPortAndPrefix) {
  auto address = ParseServerUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8080);
  EXPECT_EQ(address->base_path, "");

  address = ParseServerUrl("HTTP://hub.internal/synchub/");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->host, "hub.internal");
  EXPECT_EQ(address->port, 80);
  EXPECT_EQ(address->base_path, "/synchub");

  address = ParseServerUrl("[::1]:9000");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 9000);
}

TEST(ParseServerUrl, RejectsWhatItCannotServe) {
  EXPECT_FALSE(ParseServerUrl("https://hub:8443"));
  EXPECT_FALSE(ParseServerUrl("http://"));
  EXPECT_FALSE(ParseServerUrl("http://hub:0"));
  EXPECT_FALSE(ParseServerUrl("http://hub:65536"));
  EXPECT_FALSE(ParseServerUrl("http://hub:80x"));
  EXPECT_FALSE(ParseServerUrl("http://hub:8080/?q=1"));
}

TEST(EncodePathSegment, KeepsUnreservedCharactersAndEscapesTheRest) {
  EXPECT_EQ(EncodePathSegment("CUST-004_a.b~"), "CUST-004_a.b~");
  EXPECT_EQ(EncodePathSegment("CUST 1/a"), "CUST%201%2Fa");
  EXPECT_EQ(EncodePathSegment("\xC3\xBC"), "%C3%BC");
  EXPECT_EQ(EncodePathSegment("A/history"), "A%2Fhistory");
  EXPECT_EQ(EncodePathSegment("50%"), "50%25");
  EXPECT_EQ(EncodePathSegment("a?b#c&d=e+f"), "a%3Fb%23c%26d%3De%2Bf");
  // Dot segments are escaped whole; other dots stay.
  EXPECT_EQ(EncodePathSegment(".."), "%2E%2E");
  EXPECT_EQ(EncodePathSegment("."), "%2E");
  EXPECT_EQ(EncodePathSegment("..."), "...");
  EXPECT_EQ(EncodePathSegment("a..b"), "a..b");
}

TEST(SyncctlClient, ReportsAnInvalidUrlAsNoAnswer) {
  SyncctlClient client("ftp://nowhere");
  SyncctlClient::Response response = client.Call("GET", "/api/stats");
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("invalid server URL"), std::string::npos);
}

}  // namespace
}  // namespace synchub
