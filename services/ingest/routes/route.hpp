// What every ingest route handler sees: the request as plain values (RouteRequest), the
// per-thread dependencies (RouteDeps), and the checks several handlers share. The HTTP
// adapter (ingest_http.cpp) builds both and renders the HttpAnswer a handler returns.
//
// A handler is a plain function: HttpAnswer(const RouteRequest&, RouteDeps&). It never
// throws for bad input (a 4xx problem instead); an exception that escapes it is a bug and
// the adapter answers 500. Each handler runs its checks in a fixed order and returns the
// first failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/access.hpp"
#include "common/auth/identity.hpp"
#include "common/core/catalog.hpp"
#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "ingest/http_problem.hpp"
#include "ingest/ingest_metrics.hpp"
#include "ingest/ingest_store.hpp"

namespace synchub {

class ResolverClient;

// One request, as the adapter parsed it. Lives for the handler call.
struct RouteRequest {
  // The route's path parameters ({entity}, {id}, ...), in the order the path names them.
  std::vector<std::string> path;
  // The query parameters; the first value of a repeated one.
  std::map<std::string, std::string> query;
  std::string_view body;  // the request's body, valid for the handler call
  // The If-Match and If-None-Match headers, when sent; a header sent on several lines arrives
  // as one value, the lines joined with ", " (RFC 9110 section 5.3).
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;
  bool json_content_type = false;  // Content-Type is application/json or problem+json
  std::size_t max_body_bytes = 1024 * 1024;
  // Who sent it (authenticated by the adapter; InsecureIdentity() under --insecure).
  Identity identity = InsecureIdentity();
  // What the route does (the adapter's route table), checked by Authorize.
  Action action = Action::kReadRecords;
  // Set by Authorize when it allowed the request: the adapter refuses to send a 2xx from a
  // handler that was to authorize and did not (a bug, answered 500).
  mutable bool authorized = false;
};

// What a handler may use. Implemented by the adapter, one set per pool thread.
//
// Thread safety: a handler uses the instance on its own thread only.
class RouteDeps {
 public:
  virtual ~RouteDeps() = default;
  // This thread's store (connecting first when needed); kUnavailable when the database
  // cannot be reached.
  virtual StatusOr<PgIngestStore> Store() = 0;
  // This thread's resolver client.
  virtual ResolverClient& Resolver() = 0;
  // A fresh one-attempt ping of the resolver (for /healthz): OK or why not.
  virtual Status PingResolver() = 0;
  // The catalog in force now.
  virtual std::shared_ptr<const Catalog> CurrentCatalog() = 0;
  virtual IngestMetrics& Metrics() = 0;
};

using RouteHandler = HttpAnswer (*)(const RouteRequest&, RouteDeps&);

// The query parameter "status", or `fallback` when it is absent.
// Returns kInvalidArgument (reason invalid_status, key "status", "status is a, b or c") when
// it is not one of `allowed`. REQUIRES: `allowed` has at least two values.
StatusOr<std::string> StatusFilter(const RouteRequest& request, const std::string& fallback,
                                   const std::vector<std::string>& allowed);

// The query parameter "limit": `fallback` when absent. Returns kInvalidArgument (reason
// invalid_limit, key "limit") when it is not a decimal integer from 1 to `max`.
// REQUIRES: 1 <= fallback <= max.
StatusOr<int> LimitParameter(const RouteRequest& request, int fallback, int max);

// Parses a path id; nullopt when it is not a positive integer of at most 18 digits.
std::optional<std::int64_t> ParseId(const std::string& text);

// "123", W/"123" or 123 -> 123; nullopt for anything else.
std::optional<std::int64_t> ParseEtag(std::string text);

// The body as a JSON object, strictly parsed (ParseJsonStrict, request.max_body_bytes).
// Returns kInvalidArgument: the parser's reasons, or not_object.
StatusOr<Json> ObjectBody(const RouteRequest& request);

// nullopt when request.identity may do request.action (with `source`, the source the
// payload names, for kSubmitAs); else 403 forbidden (problem+json) naming what was refused
// (key "source" or "role"). Handlers of routes with a body call it after validating the body
// and before doing anything: authentication, then validity, then authorization (docs/security.md).
std::optional<HttpAnswer> Authorize(const RouteRequest& request, const std::string& source = "");

// nullopt when the request is JSON; else 415 unsupported_media_type saying `detail`.
std::optional<HttpAnswer> RequireJson(const RouteRequest& request, const std::string& detail);

// nullopt when the current catalog knows `entity`; else 404 not_found (key "entity"), as a
// record of an unknown entity is not found.
std::optional<HttpAnswer> RequireKnownEntity(const std::string& entity, RouteDeps& deps);

// Runs `use(store)` with this thread's store and returns its answer; the store's problem
// (503 when the database is unreachable) when there is none.
template <typename Use>
HttpAnswer WithStore(RouteDeps& deps, Use&& use) {
  auto store = deps.Store();
  if (!store.ok()) return ProblemFromStatus(store.status());
  return use(*store);
}

// 200 with to_json(value), or the problem for the failed status.
template <typename T, typename ToJson>
HttpAnswer AnswerOr(const StatusOr<T>& result, ToJson&& to_json) {
  if (!result.ok()) return ProblemFromStatus(result.status());
  return JsonAnswer(to_json(*result));
}

}  // namespace synchub
