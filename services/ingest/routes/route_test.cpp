// The handlers' checks that run before the database: their order and their answers. The
// fake dependencies have no database (Store() is kUnavailable) and a resolver that never
// answers (nothing listens at its endpoint), so a request that passes every check gets 503.
#include "ingest/routes/route.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "common/zmq/resolver_client.hpp"
#include "ingest/ingest_http.hpp"
#include "ingest/routes/checksums_routes.hpp"
#include "ingest/routes/conflicts_routes.hpp"
#include "ingest/routes/dead_letters_routes.hpp"
#include "ingest/routes/events_routes.hpp"
#include "ingest/routes/meta_routes.hpp"
#include "ingest/routes/records_routes.hpp"
#include "ingest/routes/sources_routes.hpp"

namespace synchub {
namespace {

class NoDatabase : public RouteDeps {
 public:
  StatusOr<PgIngestStore> Store() override { return Status::Unavailable("no database"); }
  ResolverClient& Resolver() override { return resolver_; }
  Status PingResolver() override { return Status::Unavailable("no resolver"); }
  std::shared_ptr<const Catalog> CurrentCatalog() override { return catalog_; }
  IngestMetrics& Metrics() override { throw std::logic_error("no metrics in this test"); }

 private:
  std::shared_ptr<const Catalog> catalog_ = std::make_shared<const Catalog>(Catalog::Demo());
  zmq::context_t context_{1};
  // Port 9 (discard) on loopback: nothing listens, one attempt waits 50 ms.
  ResolverClient resolver_{context_, {{"tcp://127.0.0.1:9"}, std::chrono::milliseconds(50), 1}};
};

RouteRequest JsonRequest(std::vector<std::string> path, std::string_view body) {
  RouteRequest request;
  request.path = std::move(path);
  request.body = body;
  request.json_content_type = true;
  return request;
}

std::string Code(const HttpAnswer& answer) { return answer.body.value("code", ""); }

TEST(ParseId, AcceptsPositiveIntegersOnly) {
  EXPECT_EQ(ParseId("42"), 42);
  EXPECT_EQ(ParseId("0"), std::nullopt);
  EXPECT_EQ(ParseId("-1"), std::nullopt);
  EXPECT_EQ(ParseId("4x"), std::nullopt);
  EXPECT_EQ(ParseId(""), std::nullopt);
  EXPECT_EQ(ParseId("1234567890123456789"), std::nullopt);  // 19 digits
}

TEST(ParseEtag, AcceptsQuotedWeakAndBare) {
  EXPECT_EQ(ParseEtag("\"12\""), 12);
  EXPECT_EQ(ParseEtag("W/\"12\""), 12);
  EXPECT_EQ(ParseEtag("12"), 12);
  EXPECT_EQ(ParseEtag("\"x\""), std::nullopt);
}

TEST(StatusFilter, FallsBackWhenAbsentAndNamesTheAllowedValues) {
  RouteRequest request;
  EXPECT_EQ(*StatusFilter(request, "open", {"open", "all"}), "open");
  request.query["status"] = "all";
  EXPECT_EQ(*StatusFilter(request, "open", {"open", "all"}), "all");
  request.query["status"] = "closed";
  HttpAnswer answer =
      ProblemFromStatus(StatusFilter(request, "dead", {"dead", "replayed", "all"}).status());
  EXPECT_EQ(JsonText(answer.body),
            R"({"code":"invalid_status","detail":"status is dead, replayed or all",)"
            R"("key":"status","status":400,"title":"Bad Request","type":"about:blank"})");
}

TEST(ObjectBody, RefusesWhatIsNotAnObject) {
  EXPECT_EQ(ObjectBody(JsonRequest({}, "[1]")).status().reason(), "not_object");
  EXPECT_EQ(ObjectBody(JsonRequest({}, "{")).status().reason(), "invalid_json");
  RouteRequest big = JsonRequest({}, R"({"a":"0123456789"})");
  big.max_body_bytes = 8;
  EXPECT_EQ(ProblemFromStatus(ObjectBody(big).status()).status, 413);
  EXPECT_TRUE(ObjectBody(JsonRequest({}, R"({"a":1})")).ok());
}

TEST(LimitParameter, FallsBackWhenAbsentAndAcceptsOneToMaxOnly) {
  RouteRequest request;
  EXPECT_EQ(*LimitParameter(request, 100, 1000), 100);
  for (const char* good : {"1", "1000", "0042"}) {
    request.query["limit"] = good;
    EXPECT_TRUE(LimitParameter(request, 100, 1000).ok()) << good;
  }
  EXPECT_EQ(*LimitParameter(request, 100, 1000), 42);
  for (const char* bad : {"0", "1001", "x", "", "-1", "1.5", " 5", "99999999999"}) {
    request.query["limit"] = bad;
    const Status status = LimitParameter(request, 100, 1000).status();
    EXPECT_EQ(status.reason(), "invalid_limit") << bad;
    EXPECT_EQ(status.key(), "limit") << bad;
    EXPECT_EQ(ProblemFromStatus(status).status, 400) << bad;
  }
}

TEST(ListRecords, ChecksLimitThenAfterThenEntity) {
  NoDatabase deps;
  RouteRequest request;
  request.path = {"nope"};
  request.query["limit"] = "0";
  EXPECT_EQ(Code(HandleListRecords(request, deps)), "invalid_limit");
  request.query["limit"] = "10";
  request.query["after"] = std::string("a\0b", 3);
  HttpAnswer nul = HandleListRecords(request, deps);
  EXPECT_EQ(Code(nul), "invalid_after");
  EXPECT_EQ(nul.body["key"], "after");
  request.query["after"] = "\xff";
  EXPECT_EQ(Code(HandleListRecords(request, deps)), "invalid_after");
  request.query["after"] = "CUST-\xc3\xa9";  // é
  HttpAnswer unknown = HandleListRecords(request, deps);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["key"], "entity");
  request.path = {"client"};
  EXPECT_EQ(HandleListRecords(request, deps).status, 503);  // every check passed
}

TEST(RangeChecksums, ChecksContentTypeThenBodyThenEntity) {
  NoDatabase deps;
  RouteRequest request = JsonRequest({"nope"}, R"({"fields":["email"],"ranges":[]})");
  request.json_content_type = false;
  EXPECT_EQ(HandleRangeChecksums(request, deps).status, 415);
  request.json_content_type = true;
  EXPECT_EQ(HandleRangeChecksums(request, deps).status, 404);
  request.path = {"client"};
  EXPECT_EQ(HandleRangeChecksums(request, deps).status, 503);  // every check passed
  request.body = "not json";
  EXPECT_EQ(Code(HandleRangeChecksums(request, deps)), "invalid_json");
  request.body = R"({"fields":["email","x","_deleted"],"ranges":[]})";
  HttpAnswer reserved = HandleRangeChecksums(request, deps);
  EXPECT_EQ(Code(reserved), "reserved_field");
  EXPECT_EQ(reserved.body["key"], "fields[2]");
  request.body = R"({"fields":["email"],"ranges":[{"after":"","upTo":5}]})";
  EXPECT_EQ(HandleRangeChecksums(request, deps).body["key"], "ranges[0].upTo");
}

TEST(SubmitEvent, RefusesAContentTypeOtherThanJson) {
  NoDatabase deps;
  RouteRequest request = JsonRequest({}, "{}");
  request.json_content_type = false;
  HttpAnswer answer = HandleSubmitEvent(request, deps);
  EXPECT_EQ(answer.status, 415);
  EXPECT_TRUE(answer.problem);
  EXPECT_EQ(answer.body["key"], "Content-Type");
}

TEST(PatchRecord, ChecksIfMatchThenContentTypeThenBody) {
  NoDatabase deps;
  RouteRequest request = JsonRequest({"client", "K"}, R"({"fields":{"name":"Ann"}})");
  request.json_content_type = false;
  EXPECT_EQ(HandlePatchRecord(request, deps).status, 428);
  request.if_match = "nope";
  EXPECT_EQ(Code(HandlePatchRecord(request, deps)), "invalid_etag");
  request.if_match = "\"3\"";
  EXPECT_EQ(HandlePatchRecord(request, deps).status, 415);
  request.json_content_type = true;
  EXPECT_EQ(HandlePatchRecord(request, deps).status, 503);  // every check passed
  request.body = R"({"fields":[1]})";
  EXPECT_EQ(Code(HandlePatchRecord(request, deps)), "wrong_type");
  request.body = R"({"_x":1})";
  EXPECT_EQ(Code(HandlePatchRecord(request, deps)), "reserved_field");
  request.body = R"({"1x":1})";
  EXPECT_EQ(Code(HandlePatchRecord(request, deps)), "invalid_field_name");
  // Nothing is dropped or misread silently (a fresh-eyes finding).
  request.body = R"({"fields":{"email":"v3"},"fullName":"mix"})";
  auto mixed = HandlePatchRecord(request, deps);
  EXPECT_EQ(Code(mixed), "mixed_forms");
  EXPECT_EQ(mixed.body.value("key", ""), "fullName");
  for (const char* key : {"op", "version", "source", "eventId", "entity", "externalId"}) {
    const std::string body = std::string(R"({")") + key + R"(":"delete","email":"x"})";
    request.body = body;
    auto reserved = HandlePatchRecord(request, deps);
    EXPECT_EQ(Code(reserved), "reserved_key") << key;
    EXPECT_EQ(reserved.body.value("key", ""), key);
  }
}

TEST(Conflicts, CheckStatusIdAndTake) {
  NoDatabase deps;
  RouteRequest list;
  list.query["status"] = "closed";
  EXPECT_EQ(Code(HandleListConflicts(list, deps)), "invalid_status");
  list.query["status"] = "all";
  EXPECT_EQ(HandleListConflicts(list, deps).status, 503);
  EXPECT_EQ(HandleGetConflict(JsonRequest({"x"}, ""), deps).status, 404);
  RouteRequest resolve = JsonRequest({"0"}, R"({"take":"incoming"})");
  resolve.json_content_type = false;
  EXPECT_EQ(HandleResolveConflict(resolve, deps).status, 404);
  resolve.path = {"5"};
  EXPECT_EQ(HandleResolveConflict(resolve, deps).status, 415);
  resolve.json_content_type = true;
  EXPECT_EQ(HandleResolveConflict(resolve, deps).status, 503);
  resolve.body = R"({"take":"theirs"})";
  EXPECT_EQ(Code(HandleResolveConflict(resolve, deps)), "invalid_take");
  resolve.body = R"({"take":"merged"})";
  EXPECT_EQ(Code(HandleResolveConflict(resolve, deps)), "missing");
  resolve.body = R"({"take":"merged","fields":[1]})";
  EXPECT_EQ(Code(HandleResolveConflict(resolve, deps)), "wrong_type");
  resolve.body = R"({"take":"merged","fields":{"_deleted":true}})";
  EXPECT_EQ(Code(HandleResolveConflict(resolve, deps)), "reserved_field");
  resolve.body = R"({"take":"canonical","fields":{"email":"x"}})";
  EXPECT_EQ(Code(HandleResolveConflict(resolve, deps)), "unexpected_fields");
  resolve.body = R"({"take":"merged","fields":{"email":"x"}})";
  EXPECT_EQ(HandleResolveConflict(resolve, deps).status, 503);  // every check passed
}

TEST(DeadLetters, CheckStatusAndId) {
  NoDatabase deps;
  RouteRequest list;
  list.query["status"] = "open";
  EXPECT_EQ(Code(HandleListDeadLetters(list, deps)), "invalid_status");
  EXPECT_EQ(HandleListDeadLetters(RouteRequest(), deps).status, 503);
  EXPECT_EQ(HandleReplayDeadLetter(JsonRequest({"x"}, ""), deps).status, 404);
  EXPECT_EQ(HandleDiscardDeadLetter(JsonRequest({"x"}, ""), deps).status, 404);
  EXPECT_EQ(HandleDiscardDeadLetter(JsonRequest({"7"}, ""), deps).status, 503);
}

TEST(PutSource, ChecksNameThenContentTypeThenPriority) {
  NoDatabase deps;
  RouteRequest request = JsonRequest({std::string(65, 'a')}, R"({"priority":1})");
  request.json_content_type = false;
  EXPECT_EQ(Code(HandlePutSource(request, deps)), "too_long");
  request.path = {"operator"};
  EXPECT_EQ(Code(HandlePutSource(request, deps)), "reserved_source");
  for (const std::string name : {"CRM ", " CRM", "C R M", "", "a/b", "CRM\n", "\xc3\xbc"}) {
    request.path = {name};
    const HttpAnswer answer = HandlePutSource(request, deps);
    EXPECT_EQ(Code(answer), "invalid_source_name") << name;
    EXPECT_EQ(answer.body.value("key", ""), "name") << name;
  }
  request.path = {"crm"};
  EXPECT_EQ(HandlePutSource(request, deps).status, 415);
  request.json_content_type = true;
  EXPECT_EQ(HandlePutSource(request, deps).status, 503);
  request.body = R"({"priority":1000001})";
  EXPECT_EQ(Code(HandlePutSource(request, deps)), "invalid_priority");
  for (const char* refused : {R"({"priority":1.5})", R"({"priority":"1"})", R"({"priority":null})",
                              R"({})", R"({"priority":-1000001})", R"({"priority":1e7})",
                              R"({"priority":99999999999999999999999})"}) {
    request.body = refused;
    EXPECT_EQ(Code(HandlePutSource(request, deps)), "invalid_priority") << refused;
  }
  // An integer by JSON equality, as an event's version (then no database: 503).
  for (const char* accepted : {R"({"priority":2.0})", R"({"priority":1e3})",
                               R"({"priority":-1000000})", R"({"priority":1000000.00})"}) {
    request.body = accepted;
    EXPECT_EQ(HandlePutSource(request, deps).status, 503) << accepted;
  }
}

TEST(Health, Is503NamingWhatIsDown) {
  NoDatabase deps;
  HttpAnswer answer = HandleHealth(RouteRequest(), deps);
  EXPECT_EQ(answer.status, 503);
  EXPECT_FALSE(answer.problem);
  EXPECT_EQ(JsonText(answer.body),
            R"({"database":"no database","resolver":"no resolver","status":"unavailable"})");
}

TEST(OpenApi, IsYamlSentAsIs) {
  NoDatabase deps;
  HttpAnswer answer = HandleOpenApi(RouteRequest(), deps);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/yaml");
  EXPECT_EQ(answer.body.get<std::string>(), OpenApiYaml());
}

}  // namespace
}  // namespace synchub
