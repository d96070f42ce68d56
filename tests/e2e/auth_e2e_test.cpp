// Authentication and authorization on the HTTP API (docs/security.md), end to end: a real
// gateway with authentication on, credentials made in its database, every route called with
// no token, a malformed, a wrong, a revoked token and a token of each role.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/auth/token.hpp"
#include "common/pg/credential_store.hpp"
#include "stack_harness.hpp"

namespace synchub {
namespace {

constexpr int kAllowed = 0;  // any answer but 401 and 403

class AuthE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto());
    stack_ = testing::StartStack(/*authenticate=*/true).release();
    auto connection = stack_->db->Connect();
    PgCredentialStore store(*connection);
    auto make = [&](const std::string& role, const std::string& name) {
      auto made = store.Create(ParseRole(role).value(), name, true, "", 0);
      EXPECT_TRUE(made.ok()) << made.status().ToString();
      return made.ok() ? *made : NewCredential{};
    };
    for (const auto& [label, role] :
         std::vector<std::pair<std::string, std::string>>{{"operator", "operator"},
                                                          {"reader", "reader"},
                                                          {"CRM", "source:CRM"},
                                                          {"service", "service"},
                                                          {"revoked", "reader"}}) {
      const NewCredential made = make(role, label + " test");
      tokens_[label] = made.token;
      ids_[label] = made.row.identity.credential_id;
    }
    ASSERT_TRUE(store.Revoke(ids_["revoked"]).ok());
    // Same id as the reader, another secret of the right form.
    tokens_["wrong"] = FormatToken(ids_["reader"], std::string(43, 'A'));
    tokens_["malformed"] = "not-a-token";
    // The gateway's cache loads every 250 ms: wait until the newest token works.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline &&
           Call("GET", "/api/records/client", "", "CRM").status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // One record for the read routes, submitted as CRM.
    ASSERT_EQ(Call("POST", "/api/sync",
                   R"({"externalId":"AUTH-1","source":"CRM","version":1,)"
                   R"("fields":{"email":"a@example.com"}})",
                   "CRM")
                  .status,
              200);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  struct Answer {
    int status = -1;
    std::string body;
    std::string www_authenticate;
    std::string content_type;
    std::string retry_after;
  };

  // `who`: a key of tokens_, or "" for no Authorization header.
  static Answer Call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& who, int port = 0) {
    httplib::Client http(stack_->http_host, port == 0 ? stack_->http_port : port);
    http.set_read_timeout(15, 0);
    httplib::Headers headers;
    if (!who.empty()) headers.emplace("Authorization", "Bearer " + tokens_[who]);
    if (method == "PATCH") headers.emplace("If-Match", "\"1\"");
    auto send = [&]() -> httplib::Result {
      if (method == "POST") return http.Post(path, headers, body, "application/json");
      if (method == "PUT") return http.Put(path, headers, body, "application/json");
      if (method == "PATCH") return http.Patch(path, headers, body, "application/json");
      return http.Get(path, headers);
    };
    const httplib::Result result = send();
    Answer answer;
    if (!result) return answer;
    answer.status = result->status;
    answer.body = result->body;
    answer.www_authenticate = result->get_header_value("WWW-Authenticate");
    answer.content_type = result->get_header_value("Content-Type");
    answer.retry_after = result->get_header_value("Retry-After");
    return answer;
  }

  static testing::Stack* stack_;
  static std::map<std::string, std::string> tokens_;
  static std::map<std::string, std::int64_t> ids_;
};

testing::Stack* AuthE2e::stack_ = nullptr;
std::map<std::string, std::string> AuthE2e::tokens_;
std::map<std::string, std::int64_t> AuthE2e::ids_;

struct RouteCase {
  std::string method;
  std::string path;
  std::string body;
  // Expected per caller: operator, reader, CRM, service (kAllowed, or 403).
  int op, reader, crm, service;
};

// Every route of docs/openapi.yaml but /healthz (public) and the credential routes (below).
const std::vector<RouteCase>& Routes() {
  static const std::vector<RouteCase> kRoutes = {
      {"POST", "/api/sync",
       R"({"externalId":"AUTH-2","source":"CRM","version":1,"fields":{"email":"b@example.com"}})",
       403, 403, kAllowed, 403},
      {"GET", "/api/records/client", "", kAllowed, kAllowed, kAllowed, kAllowed},
      {"POST", "/api/checksums/client",
       R"({"fields":["email"],"ranges":[{"after":"","upTo":null}]})", kAllowed, kAllowed, kAllowed,
       kAllowed},
      {"GET", "/api/records/client/AUTH-1", "", kAllowed, kAllowed, kAllowed, kAllowed},
      {"PATCH", "/api/records/client/AUTH-1", R"({"fields":{"email":"op@example.com"}})", kAllowed,
       403, 403, 403},
      {"GET", "/api/records/client/AUTH-1/history", "", kAllowed, kAllowed, kAllowed, kAllowed},
      {"GET", "/api/conflicts", "", kAllowed, kAllowed, 403, kAllowed},
      {"GET", "/api/conflicts/1", "", kAllowed, kAllowed, 403, kAllowed},
      {"POST", "/api/conflicts/1/resolve", R"({"take":"canonical"})", kAllowed, 403, 403, 403},
      {"GET", "/api/dead-letters", "", kAllowed, kAllowed, 403, kAllowed},
      {"POST", "/api/dead-letters/1/replay", "", kAllowed, 403, 403, 403},
      {"POST", "/api/dead-letters/1/discard", "", kAllowed, 403, 403, 403},
      {"GET", "/api/sources", "", kAllowed, kAllowed, 403, kAllowed},
      {"GET", "/api/sources/CRM", "", kAllowed, kAllowed, 403, kAllowed},
      {"PUT", "/api/sources/LocalDB", R"({"priority":4})", kAllowed, 403, 403, 403},
      {"POST", "/api/sources/Portal/reload", "", kAllowed, 403, 403, 403},
      {"GET", "/api/stats", "", kAllowed, kAllowed, 403, kAllowed},
      {"GET", "/api/credentials", "", kAllowed, 403, 403, 403},
      {"POST", "/api/credentials/999999/revoke", "", kAllowed, 403, 403, 403},
      {"GET", "/metrics", "", kAllowed, kAllowed, 403, kAllowed},
      {"GET", "/openapi.yaml", "", kAllowed, kAllowed, kAllowed, kAllowed},
  };
  return kRoutes;
}

TEST_F(AuthE2e, EveryRouteAgainstEveryCaller) {
  for (const RouteCase& route : Routes()) {
    const std::string what = route.method + " " + route.path;
    for (const char* who : {"", "malformed", "wrong", "revoked"}) {
      const Answer answer = Call(route.method, route.path, route.body, who);
      EXPECT_EQ(answer.status, 401) << what << " as '" << who << "': " << answer.body;
      EXPECT_EQ(answer.content_type, "application/problem+json") << what;
      EXPECT_EQ(answer.www_authenticate.rfind("Bearer realm=\"synchub\"", 0), 0u) << what;
      if (std::string(who).empty()) {
        EXPECT_EQ(answer.www_authenticate.find("invalid_token"), std::string::npos) << what;
      } else {
        EXPECT_NE(answer.www_authenticate.find("error=\"invalid_token\""), std::string::npos)
            << what;
      }
    }
    const std::map<std::string, int> expected = {{"operator", route.op},
                                                 {"reader", route.reader},
                                                 {"CRM", route.crm},
                                                 {"service", route.service}};
    for (const auto& [who, status] : expected) {
      const Answer answer = Call(route.method, route.path, route.body, who);
      if (status == kAllowed) {
        EXPECT_TRUE(answer.status != 401 && answer.status != 403 && answer.status > 0)
            << what << " as " << who << ": " << answer.status << " " << answer.body;
      } else {
        EXPECT_EQ(answer.status, status) << what << " as " << who << ": " << answer.body;
        EXPECT_EQ(answer.content_type, "application/problem+json") << what;
      }
    }
  }
  // /healthz needs no token.
  EXPECT_EQ(Call("GET", "/healthz", "", "").status, 200);
}

TEST_F(AuthE2e, ASourceCannotSubmitAsAnotherAndNothingIsStored) {
  const Answer refused = Call("POST", "/api/sync",
                              R"({"externalId":"AUTH-ERP","source":"ERP","version":1,)"
                              R"("fields":{"email":"x@example.com"}})",
                              "CRM");
  EXPECT_EQ(refused.status, 403);
  const Json problem = TryParseStoredJson(refused.body);
  EXPECT_EQ(problem.value("key", ""), "source") << refused.body;
  EXPECT_EQ(Call("GET", "/api/records/client/AUTH-ERP", "", "reader").status, 404);
  // The operator does not submit as a source either.
  const Answer as_operator = Call("POST", "/api/sync",
                                  R"({"externalId":"AUTH-ERP","source":"operator","version":1,)"
                                  R"("fields":{"email":"x@example.com"}})",
                                  "operator");
  EXPECT_TRUE(as_operator.status == 400 || as_operator.status == 403) << as_operator.body;
  EXPECT_EQ(Call("GET", "/api/records/client/AUTH-ERP", "", "reader").status, 404);
}

TEST_F(AuthE2e, ChecksRunInOrderAuthenticationValidityAuthorization) {
  // No token and a bad body: 401, not 400.
  EXPECT_EQ(Call("PUT", "/api/sources/LocalDB", "{", "").status, 401);
  // A reader with a bad body: 400 (the body is judged before the role) ...
  EXPECT_EQ(Call("PUT", "/api/sources/LocalDB", R"({"priority":"high"})", "reader").status, 400);
  // ... and with a good one: 403, and the priority did not change.
  EXPECT_EQ(Call("PUT", "/api/sources/LocalDB", R"({"priority":0})", "reader").status, 403);
  const Json source = TryParseStoredJson(Call("GET", "/api/sources/LocalDB", "", "reader").body);
  EXPECT_EQ(source.value("priority", -1), 4) << JsonText(source);
}

TEST_F(AuthE2e, TheHistoryNamesTheCredentialBehindEachEvent) {
  const Json history =
      TryParseStoredJson(Call("GET", "/api/records/client/AUTH-1/history", "", "reader").body);
  ASSERT_TRUE(history.contains("history")) << JsonText(history);
  const Json& first = history["history"][0];
  EXPECT_EQ(first.value("credentialId", std::int64_t{0}), ids_["CRM"]) << JsonText(first);
  EXPECT_EQ(first.value("credential", ""), "source:CRM (CRM test)") << JsonText(first);
}

TEST_F(AuthE2e, OperatorsMakeAndRevokeCredentialsAndARevocationBitesWithinASecond) {
  const Answer made =
      Call("POST", "/api/credentials", R"({"role":"source:Portal","name":"portal"})", "operator");
  ASSERT_EQ(made.status, 201) << made.body;
  const Json credential = TryParseStoredJson(made.body);
  const std::string token = credential.value("token", "");
  ASSERT_FALSE(token.empty());
  tokens_["portal"] = token;
  // The list never shows a secret.
  const Answer list = Call("GET", "/api/credentials", "", "operator");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(ParseToken(token)->secret), std::string::npos);
  // Bad input names its key.
  const Answer bad = Call("POST", "/api/credentials", R"({"role":"admin"})", "operator");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(TryParseStoredJson(bad.body).value("key", ""), "role");
  EXPECT_EQ(Call("POST", "/api/credentials", R"({"role":"reader"})", "reader").status, 403);

  // Works within a second of being made.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (Call("GET", "/api/records/client", "", "portal").status != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(Call("GET", "/api/records/client", "", "portal").status, 200);
  const std::string id = std::to_string(credential.value("id", std::int64_t{0}));
  const auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_EQ(Call("POST", "/api/credentials/" + id + "/revoke", "", "operator").status, 200);
  while (Call("GET", "/api/records/client", "", "portal").status != 401 &&
         std::chrono::steady_clock::now() < revoked_at + std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Call("GET", "/api/records/client", "", "portal").status, 401);
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::milliseconds(1000));
}

TEST_F(AuthE2e, FailuresAreCountedInMetrics) {
  ASSERT_EQ(Call("GET", "/api/stats", "", "").status, 401);
  const Answer page = Call("GET", "/metrics", "", "reader");
  ASSERT_EQ(page.status, 200);
  const std::string line = "synchub_auth_failures_total{entrance=\"http\",reason=\"missing\"} ";
  const std::size_t at = page.body.find(line);
  ASSERT_NE(at, std::string::npos) << page.body.substr(0, 2000);
  EXPECT_GE(std::stod(page.body.substr(at + line.size())), 1.0);
}

TEST_F(AuthE2e, ACredentialOverItsRateLimitGets429WithRetryAfter) {
  // A second gateway on the same database with a small limit: 2 at once, 1 every 2 s.
  testing::ChildProcess limited(std::vector<std::string>{
      SYNCHUB_INGEST_BIN, "--db", stack_->db->conninfo(), "--port", "0", "--resolver",
      stack_->resolver_endpoint, "--zmq-listen", "tcp://127.0.0.1:*", "--log-level", "warn",
      "--rate-limit", "0.5", "--rate-burst", "2",
      "--curve-secret-key=" + stack_->keys + "/ingest.key",
      "--curve-client-key=" + stack_->keys + "/gateway.key",
      "--resolver-server-key=" + stack_->keys + "/resolver.pub"});
  auto ready = limited.WaitForLine("READY", std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value());
  const std::string url = ready->substr(ready->find("http://") + 7);
  const int port = std::stoi(url.substr(url.find(':') + 1, url.find(' ') - url.find(':') - 1));
  EXPECT_EQ(Call("GET", "/api/records/client", "", "reader", port).status, 200);
  EXPECT_EQ(Call("GET", "/api/records/client", "", "reader", port).status, 200);
  const Answer limited_answer = Call("GET", "/api/records/client", "", "reader", port);
  EXPECT_EQ(limited_answer.status, 429) << limited_answer.body;
  EXPECT_GE(std::stoi(limited_answer.retry_after.empty() ? "0" : limited_answer.retry_after), 1);
  EXPECT_EQ(limited_answer.content_type, "application/problem+json");
  // Another credential has its own bucket.
  EXPECT_EQ(Call("GET", "/api/records/client", "", "CRM", port).status, 200);
}

// The status line of a raw HTTP/1.1 request `text` sent to the gateway (what curl -X POST
// without a body sends: no Content-Length, which cpp-httplib refuses before routing).
int RawStatus(int port, const std::string& text) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  (void)send(fd, text.data(), text.size(), 0);
  char buffer[64] = {};
  const ssize_t got = recv(fd, buffer, sizeof buffer - 1, 0);
  close(fd);
  if (got < 12) return -1;
  return std::stoi(std::string(buffer + 9, 3));
}

TEST_F(AuthE2e, RequestsRefusedBeforeRoutingAreAuthenticatedFirstToo) {
  // A POST without Content-Length and an unknown path, without a token: 401, not 400/404.
  EXPECT_EQ(
      RawStatus(stack_->http_port, "POST /api/sources/Portal/reload HTTP/1.1\r\nHost: x\r\n\r\n"),
      401);
  EXPECT_EQ(Call("GET", "/api/nothing-here", "", "").status, 401);
  // With a valid token the request's own answer comes back.
  EXPECT_EQ(Call("GET", "/api/nothing-here", "", "reader").status, 404);
}

}  // namespace
}  // namespace synchub
