// Path parameters end to end (docs/design.md, "Path parameters"): the gateway matches routes on
// the raw request target and percent-decodes each segment afterwards, so an externalId holding
// "/", "%", "?", " ", non-ASCII letters or ".." is reachable when the client percent-encodes it
// (encodeURIComponent), and "A%2Fhistory" is the record "A/history", not the history of "A".
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/auth/token.hpp"
#include "common/pg/credential_store.hpp"
#include "stack_harness.hpp"

namespace synchub {
namespace {

using testing::BodyOf;
using testing::StartStack;

// `text` percent-encoded as one path segment, as encodeURIComponent does it for these ids
// (every byte but A-Z a-z 0-9 - . _ ~).
std::string PathSegment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
    }
  }
  return out;
}

// What `command` printed on stdout, and its exit code (-1: it did not exit).
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, output};
  char buffer[4096];
  std::size_t read = 0;
  while ((read = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, read);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class PathParametersE2e : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = StartStack(); }

  // Submits one client event for `id` whose "email" is the id itself; expects it decided.
  void Submit(const std::string& id) {
    const Json event = {{"externalId", id}, {"source", "CRM"}, {"version", 1}, {"email", id}};
    auto result = stack_->Http()->Post("/api/sync", JsonText(event), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << id << ": " << result->body;
  }

  // GET `target` as it is (already percent-encoded); expects an answer.
  httplib::Result Get(const std::string& target) {
    auto result = stack_->Http()->Get(target);
    EXPECT_TRUE(result) << target;
    return result;
  }

  // The number of `method` requests to `route` answered `status`, from GET /metrics.
  double RequestsCounted(const std::string& method, const std::string& route, int status) {
    auto metrics = Get("/metrics");
    if (!metrics) return -1;
    const std::string series = "synchub_http_requests_total{method=\"" + method + "\",route=\"" +
                               route + "\",status=\"" + std::to_string(status) + "\"} ";
    const std::size_t at = metrics->body.find(series);
    if (at == std::string::npos) return 0;
    return std::stod(metrics->body.substr(at + series.size()));
  }

  std::unique_ptr<testing::Stack> stack_;
};

const std::vector<std::string>& Ids() {
  static const std::vector<std::string> kIds = {
      "A/B", "A/history", "A", "50%", "a?b", "sp ace", "\xC3\xBC/\xC3\xA9", "..", "a+b", "#x&y=z",
  };
  return kIds;
}

TEST_F(PathParametersE2e, EveryPercentEncodedIdReachesItsOwnRecordAndHistory) {
  for (const std::string& id : Ids()) Submit(id);
  for (const std::string& id : Ids()) {
    const std::string target = "/api/records/client/" + PathSegment(id);
    auto record = Get(target);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->status, 200) << target << ": " << record->body;
    EXPECT_EQ(BodyOf(record)["externalId"], id) << target;
    EXPECT_EQ(BodyOf(record)["fields"]["email"], id) << target;

    auto history = Get(target + "/history");
    ASSERT_TRUE(history);
    EXPECT_EQ(history->status, 200) << target << "/history: " << history->body;
    const Json log = BodyOf(history);
    EXPECT_EQ(log["externalId"], id) << target;
    ASSERT_EQ(log["history"].size(), 1u) << target;
    EXPECT_EQ(log["history"][0]["outcome"], "NEW_RECORD") << target;
  }
}

TEST_F(PathParametersE2e, AnEncodedSlashIsDataNeverASeparator) {
  Submit("A");
  Submit("A/history");
  // A%2Fhistory is the record "A/history", not the history of "A".
  auto record = Get("/api/records/client/A%2Fhistory");
  ASSERT_TRUE(record);
  ASSERT_EQ(record->status, 200) << record->body;
  EXPECT_EQ(BodyOf(record)["externalId"], "A/history");
  EXPECT_FALSE(BodyOf(record).contains("history"));
  // A/history is the history of "A"; hex digits in either case.
  auto history = Get("/api/records/client/A/history");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->status, 200) << history->body;
  EXPECT_EQ(BodyOf(history)["externalId"], "A");
  EXPECT_EQ(BodyOf(Get("/api/records/client/A%2fhistory"))["externalId"], "A/history");
  // Unencoded, "A/B" is no route; a record that does not exist is 404 as always.
  auto unencoded = Get("/api/records/client/A/B");
  ASSERT_TRUE(unencoded);
  EXPECT_EQ(unencoded->status, 404);
  EXPECT_EQ(BodyOf(unencoded)["code"], "not_found");
  EXPECT_EQ(Get("/api/records/client/A%2FB")->status, 404);
  EXPECT_EQ(Get("/api/records/client/nope%2Fhistory/history")->status, 404);
  // The metrics count each request under the route that answered it.
  EXPECT_EQ(RequestsCounted("GET", "/api/records/{entity}/{externalId}", 200), 2);
  EXPECT_EQ(RequestsCounted("GET", "/api/records/{entity}/{externalId}/history", 200), 1);
}

TEST_F(PathParametersE2e, DotSegmentsAndEncodedLiteralsAreMatchedAsSent) {
  Submit("..");
  Submit(".");
  EXPECT_EQ(BodyOf(Get("/api/records/client/.."))["externalId"], "..");
  EXPECT_EQ(BodyOf(Get("/api/records/client/%2E%2E"))["externalId"], "..");
  EXPECT_EQ(BodyOf(Get("/api/records/client/%2e"))["externalId"], ".");
  EXPECT_EQ(BodyOf(Get("/api/records/client/../history"))["externalId"], "..");
  // A literal segment compares once decoded (RFC 3986 section 6.2.2.2).
  EXPECT_EQ(BodyOf(Get("/api/records/client/../%68istory"))["externalId"], "..");
  // The query string is parsed as before: decoded, "after" included.
  Submit("A/B");
  auto page = Get("/api/records/client?after=%2E%2E&limit=1");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(BodyOf(page)["records"][0]["externalId"], "A/B");
}

TEST_F(PathParametersE2e, TheConsoleAndPathsOfNoRouteAnswerAsBefore) {
  // The console is served beside the API routes' dispatcher.
  auto console = Get("/console/");
  ASSERT_TRUE(console);
  EXPECT_EQ(console->status, 200);
  EXPECT_EQ(console->get_header_value("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_EQ(Get("/console/app.js")->status, 200);
  EXPECT_EQ(Get("/healthz")->status, 200);
  EXPECT_EQ(Get("/openapi.yaml")->status, 200);
  // No route: a 404 problem document.
  for (const std::string target :
       {"/nope", "/api/records/client/A/", "/api/records/client/A/history/x", "/api//records",
        "/api/records/client/A/%ZZ", "/api/nope/%ZZ"}) {
    auto missing = Get(target);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404) << target;
    EXPECT_EQ(BodyOf(missing)["code"], "not_found") << target;
  }
  auto wrong_method = stack_->Http()->Put("/api/records/client/A", "{}", "application/json");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 404);
  // HEAD is served as GET.
  Submit("A/B");
  auto head = stack_->Http()->Head("/api/records/client/A%2FB");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
}

TEST_F(PathParametersE2e, AMalformedPathParameterIsA400NamingIt) {
  Submit("A");
  for (const std::string suffix : {"", "/history"}) {
    for (const std::string bad : {"%ZZ", "%00", "A%00", "%4", "A%", "%FF"}) {
      const std::string target = "/api/records/client/" + bad + suffix;
      auto refused = Get(target);
      ASSERT_TRUE(refused);
      EXPECT_EQ(refused->status, 400) << target << ": " << refused->body;
      EXPECT_EQ(refused->get_header_value("Content-Type"), "application/problem+json") << target;
      EXPECT_EQ(BodyOf(refused)["code"], "invalid_path_parameter") << target;
      EXPECT_EQ(BodyOf(refused)["key"], "externalId") << target;
    }
  }
  auto entity = Get("/api/records/cl%ZZient/A");
  ASSERT_TRUE(entity);
  EXPECT_EQ(entity->status, 400);
  EXPECT_EQ(BodyOf(entity)["key"], "entity");
  // A write is refused the same way, before its body is looked at.
  auto patch = stack_->Http()->Patch("/api/records/client/%ZZ", {{"If-Match", "\"1\""}},
                                     R"({"fields":{"a":1}})", "application/json");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 400) << patch->body;
  EXPECT_EQ(BodyOf(patch)["key"], "externalId");
  EXPECT_EQ(RequestsCounted("GET", "/api/records/{entity}/{externalId}", 400), 7);
  EXPECT_EQ(RequestsCounted("GET", "/api/records/{entity}/{externalId}/history", 400), 6);
  EXPECT_EQ(RequestsCounted("PATCH", "/api/records/{entity}/{externalId}", 400), 1);
}

TEST_F(PathParametersE2e, SyncctlEncodesEachSegment) {
  for (const std::string& id : Ids()) Submit(id);
  const std::string syncctl = std::string(SYNCCTL_BIN) + " --json --url " + stack_->http_url;
  for (const std::string& id : {std::string("A/history"), std::string(".."), std::string("50%"),
                                std::string("sp ace"), std::string("\xC3\xBC/\xC3\xA9")}) {
    // The id as one single-quoted shell word (none of these holds a quote).
    const auto [get_exit, record] = RunCommand(syncctl + " records get client '" + id + "'");
    EXPECT_EQ(get_exit, 0) << id << ": " << record;
    EXPECT_EQ(TryParseStoredJson(record)["externalId"], id) << record;
    const auto [history_exit, log] = RunCommand(syncctl + " records history client '" + id + "'");
    EXPECT_EQ(history_exit, 0) << id << ": " << log;
    EXPECT_EQ(TryParseStoredJson(log)["externalId"], id) << log;
    EXPECT_EQ(TryParseStoredJson(log)["history"].size(), 1u) << log;
  }
}

// With authentication on: the path parameters are checked after authentication and before
// authorization, and the route that answers is the route whose action is authorized.
class PathParametersAuthE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    stack_ = StartStack(/*authenticate=*/true);
    auto connection = stack_->db->Connect();
    PgCredentialStore store(*connection);
    for (const auto& [label, role] : std::map<std::string, std::string>{
             {"operator", "operator"}, {"reader", "reader"}, {"CRM", "source:CRM"}}) {
      auto made = store.Create(ParseRole(role).value(), label + " test", true, "", 0);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      tokens_[label] = made->token;
    }
    // The gateway's cache loads every 250 ms: wait until the newest token works.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline &&
           Call("GET", "/api/records/client", "CRM")->status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const std::string id : {"A", "A/history"}) {
      const Json event = {{"externalId", id}, {"source", "CRM"}, {"version", 1}, {"email", id}};
      auto submitted = Call("POST", "/api/sync", "CRM", JsonText(event));
      ASSERT_TRUE(submitted);
      ASSERT_EQ(submitted->status, 200) << submitted->body;
    }
  }

  // `method` `target` as `who` ("": no token); PATCH sends If-Match "1".
  httplib::Result Call(const std::string& method, const std::string& target, const std::string& who,
                       const std::string& body = "") {
    httplib::Headers headers;
    if (!who.empty()) headers.emplace("Authorization", "Bearer " + tokens_[who]);
    auto http = stack_->Http();
    if (method == "POST") return http->Post(target, headers, body, "application/json");
    if (method == "PATCH") {
      headers.emplace("If-Match", "\"1\"");
      return http->Patch(target, headers, body, "application/json");
    }
    return http->Get(target, headers);
  }

  std::unique_ptr<testing::Stack> stack_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(PathParametersAuthE2e, AuthenticationThenThePathThenTheDispatchedRoutesAuthorization) {
  // No token: 401 first, whatever the path.
  EXPECT_EQ(Call("GET", "/api/records/client/%ZZ", "")->status, 401);
  EXPECT_EQ(Call("PATCH", "/api/records/client/%00", "", R"({"a":1})")->status, 401);
  // A reader: 400 naming externalId, for a read and for a write it may not do.
  for (const std::string method : {"GET", "PATCH"}) {
    auto refused = Call(method, "/api/records/client/%ZZ", "reader", R"({"a":1})");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << method << ": " << refused->body;
    EXPECT_EQ(BodyOf(refused)["code"], "invalid_path_parameter") << method;
    EXPECT_EQ(BodyOf(refused)["key"], "externalId") << method;
  }
  // A reader reads the record "A/history" and the history of "A".
  auto record = Call("GET", "/api/records/client/A%2Fhistory", "reader");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, 200) << record->body;
  EXPECT_EQ(BodyOf(record)["externalId"], "A/history");
  EXPECT_EQ(BodyOf(Call("GET", "/api/records/client/A/history", "reader"))["externalId"], "A");
  // An edit of the record "A/history" is the PATCH route's: a reader is refused, an operator
  // edits that record and "A" stays as it was.
  EXPECT_EQ(Call("PATCH", "/api/records/client/A%2Fhistory", "reader", R"({"a":2})")->status, 403);
  auto edited = Call("PATCH", "/api/records/client/A%2Fhistory", "operator", R"({"a":2})");
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->status, 200) << edited->body;
  EXPECT_EQ(BodyOf(edited)["externalId"], "A/history");
  EXPECT_EQ(BodyOf(Call("GET", "/api/records/client/A%2Fhistory", "reader"))["fields"]["a"], 2);
  EXPECT_FALSE(BodyOf(Call("GET", "/api/records/client/A", "reader"))["fields"].contains("a"));
}

}  // namespace
}  // namespace synchub
