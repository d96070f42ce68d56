#include "ingest/ingest_http.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "common/auth/rate_limiter.hpp"
#include "common/auth/token.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/credential_cache.hpp"
#include "common/zmq/resolver_client.hpp"
#include "ingest/core/path_target.hpp"
#include "ingest/http_problem.hpp"
#include "ingest/ingest_store.hpp"
#include "ingest/routes/checksums_routes.hpp"
#include "ingest/routes/conflicts_routes.hpp"
#include "ingest/routes/console_routes.hpp"
#include "ingest/routes/credentials_routes.hpp"
#include "ingest/routes/dead_letters_routes.hpp"
#include "ingest/routes/events_routes.hpp"
#include "ingest/routes/meta_routes.hpp"
#include "ingest/routes/records_routes.hpp"
#include "ingest/routes/route.hpp"
#include "ingest/routes/sources_routes.hpp"

namespace synchub {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kProblemJson = "application/problem+json";

// Who may call a route (docs/security.md): kPublic needs no token (/healthz; /metrics
// with --public-metrics); kAdapter is authorized here before the handler runs (routes without
// a body); kHandler by the handler itself, after it validated the body (authentication, then
// the body's validity, then authorization).
enum class AuthorizedBy { kPublic, kAdapter, kHandler };

// One route: the method and path of docs/openapi.yaml, its handler and what it does.
// `read`: it only reads (every GET, and POST /api/checksums), so it may run again after a
// broken connection.
struct RouteEntry {
  RouteSpec spec;
  RouteHandler handler;
  Action action = Action::kReadRecords;
  AuthorizedBy by = AuthorizedBy::kAdapter;
  bool read = false;
};

// Every route. FindRoute takes the first of the request's method whose path template the raw
// target matches; no two templates of one method match one target, so the order decides
// nothing today.
const std::vector<RouteEntry>& RouteTable() {
  static const std::vector<RouteEntry> kTable = {
      {{"POST", "/api/sync"}, HandleSubmitEvent, Action::kSubmitAs, AuthorizedBy::kHandler},
      {{"GET", "/api/records/{entity}"}, HandleListRecords, Action::kReadRecords},
      {{"POST", "/api/checksums/{entity}"},
       HandleRangeChecksums,
       Action::kReadRecords,
       AuthorizedBy::kAdapter,
       /*read=*/true},
      {{"GET", "/api/records/{entity}/{externalId}"}, HandleGetRecord, Action::kReadRecords},
      {{"PATCH", "/api/records/{entity}/{externalId}"},
       HandlePatchRecord,
       Action::kOperate,
       AuthorizedBy::kHandler},
      {{"GET", "/api/records/{entity}/{externalId}/history"},
       HandleGetHistory,
       Action::kReadRecords},
      {{"GET", "/api/conflicts"}, HandleListConflicts, Action::kReadOperations},
      {{"GET", "/api/conflicts/{id}"}, HandleGetConflict, Action::kReadOperations},
      {{"POST", "/api/conflicts/{id}/resolve"},
       HandleResolveConflict,
       Action::kOperate,
       AuthorizedBy::kHandler},
      {{"GET", "/api/dead-letters"}, HandleListDeadLetters, Action::kReadOperations},
      {{"POST", "/api/dead-letters/{id}/replay"}, HandleReplayDeadLetter, Action::kOperate},
      {{"POST", "/api/dead-letters/{id}/discard"}, HandleDiscardDeadLetter, Action::kOperate},
      {{"GET", "/api/sources"}, HandleListSources, Action::kReadOperations},
      {{"GET", "/api/sources/{name}"}, HandleGetSource, Action::kReadOperations},
      {{"PUT", "/api/sources/{name}"}, HandlePutSource, Action::kOperate, AuthorizedBy::kHandler},
      {{"POST", "/api/sources/{name}/reload"}, HandleReloadSource, Action::kOperate},
      {{"GET", "/api/stats"}, HandleStats, Action::kReadOperations},
      {{"POST", "/api/credentials"},
       HandleCreateCredential,
       Action::kManageCredentials,
       AuthorizedBy::kHandler},
      {{"GET", "/api/credentials"}, HandleListCredentials, Action::kManageCredentials},
      {{"POST", "/api/credentials/{id}/revoke"},
       HandleRevokeCredential,
       Action::kManageCredentials},
      {{"GET", "/healthz"}, HandleHealth, Action::kReadRecords, AuthorizedBy::kPublic},
      {{"GET", "/metrics"}, HandleMetrics, Action::kReadOperations},
      {{"GET", "/openapi.yaml"}, HandleOpenApi, Action::kReadRecords},
  };
  return kTable;
}

// The route a request is for, found on its raw target (core/path_target.hpp), and its path
// parameters decoded, or the invalid_path_parameter status when one does not decode.
struct DispatchedRoute {
  const RouteEntry* entry;
  StatusOr<std::vector<std::string>> parameters;
};

// The first route of RouteTable() for `method` (HEAD is served as GET) whose path template
// the raw `target` matches (MatchPathTemplate); nullopt when none does.
std::optional<DispatchedRoute> FindRoute(const std::string& method, const std::string& target) {
  const auto segments = SplitRawPath(target);
  if (!segments) return std::nullopt;
  const std::string served = method == "HEAD" ? "GET" : method;
  for (const RouteEntry& entry : RouteTable()) {
    if (entry.spec.method != served) continue;
    if (auto parameters = MatchPathTemplate(entry.spec.path, *segments)) {
      return DispatchedRoute{&entry, std::move(*parameters)};
    }
  }
  return std::nullopt;
}

bool IsJsonContentType(const httplib::Request& request) {
  const std::string type = request.get_header_value("Content-Type");
  const std::string base = type.substr(0, type.find(';'));
  return base == "application/json" || base == "application/problem+json";
}

// The header `name` as one value: its lines joined with ", " (RFC 9110 section 5.3); nullopt
// when it was not sent.
std::optional<std::string> CombinedHeader(const httplib::Request& request, const char* name) {
  const std::size_t count = request.get_header_value_count(name);
  if (count == 0) return std::nullopt;
  std::string value;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) value += ", ";
    value += request.get_header_value(name, i);
  }
  return value;
}

// The request as a handler sees it; `path`: the dispatched route's decoded path parameters.
RouteRequest ToRouteRequest(const httplib::Request& request, std::vector<std::string> path,
                            std::size_t max_body_bytes) {
  RouteRequest route;
  route.path = std::move(path);
  for (const auto& [name, value] : request.params) route.query.emplace(name, value);
  route.body = request.body;
  route.if_match = CombinedHeader(request, "If-Match");
  route.if_none_match = CombinedHeader(request, "If-None-Match");
  route.json_content_type = IsJsonContentType(request);
  route.max_body_bytes = max_body_bytes;
  return route;
}

// Writes `answer` to `response`. JSON bodies are written with JsonText: numbers exact, and
// strings echoed from a client (a problem's detail quoting bad input) that hold invalid
// UTF-8 get U+FFFD, never a reason to fail the answer.
void Render(const HttpAnswer& answer, httplib::Response& response) {
  response.status = answer.status;
  if (answer.status == 503) response.set_header("Retry-After", "1");
  for (const auto& [name, value] : answer.headers) response.set_header(name, value);
  if (answer.status == 304) return;  // no content, hence no Content-Type (RFC 9110 15.4.5)
  if (!answer.content_type.empty()) {
    response.set_content(answer.body.get<std::string>(), answer.content_type);
  } else {
    response.set_content(JsonText(answer.body), answer.problem ? kProblemJson : kJson);
  }
}

}  // namespace

// What one pool thread owns: its database connection and resolver client.
struct ThreadResources {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<ResolverClient> resolver;
};

// The adapter: owns the server and each pool thread's resources, which it lends to the
// handlers as their RouteDeps.
struct IngestHttpServer::Impl : RouteDeps {
  IngestHttpOptions options;
  CatalogCache& catalog;
  IngestMetrics& metrics;
  zmq::context_t& context;
  httplib::Server server;
  std::thread thread;
  std::mutex resources_mutex;
  std::map<std::thread::id, std::unique_ptr<ThreadResources>> resources;

  RateLimiter rate_limiter;

  Impl(IngestHttpOptions o, CatalogCache& c, IngestMetrics& m, zmq::context_t& z)
      : options(std::move(o)),
        catalog(c),
        metrics(m),
        context(z),
        rate_limiter(options.rate_limit) {}

  ThreadResources& Resources() {
    std::lock_guard<std::mutex> lock(resources_mutex);
    auto& slot = resources[std::this_thread::get_id()];
    if (!slot) slot = std::make_unique<ThreadResources>();
    return *slot;
  }

  StatusOr<PgIngestStore> Store() override {
    ThreadResources& own = Resources();
    if (own.connection && !IdleConnectionAlive(*own.connection)) own.connection.reset();
    if (!own.connection || !own.connection->is_open()) {
      auto connection = ConnectPg(options.conninfo);
      if (!connection.ok()) return connection.status();
      own.connection = std::move(connection).value();
    }
    return PgIngestStore(*own.connection);
  }

  // Drops this thread's database connection when it is no longer open. Returns true when
  // it dropped one.
  bool DropBrokenConnection() {
    ThreadResources& own = Resources();
    if (!own.connection || own.connection->is_open()) return false;
    own.connection.reset();
    return true;
  }

  ResolverClient& Resolver() override {
    ThreadResources& own = Resources();
    if (!own.resolver) {
      own.resolver = std::make_unique<ResolverClient>(
          context,
          ResolverClientOptions{options.resolver_endpoints, options.resolver_timeout,
                                options.resolver_attempts, nullptr, options.resolver_curve});
    }
    return *own.resolver;
  }

  Status PingResolver() override {
    ResolverClient probe(context, {options.resolver_endpoints, std::chrono::milliseconds(1000), 1,
                                   nullptr, options.resolver_curve});
    return probe.Ping();
  }

  std::shared_ptr<const Catalog> CurrentCatalog() override { return catalog.Current(); }

  IngestMetrics& Metrics() override { return metrics; }

  // The caller's identity, or the 401 problem that refuses it: authentication (RFC 6750:
  // "Authorization: Bearer <token>"), then the credential's rate limit (429 with Retry-After).
  std::variant<Identity, HttpAnswer> Authenticate(const httplib::Request& request) {
    if (options.credentials == nullptr) return InsecureIdentity();
    const std::size_t count = request.get_header_value_count("Authorization");
    std::optional<std::string> token;
    if (count == 1) token = BearerToken(request.get_header_value("Authorization"));
    std::optional<Identity> identity;
    if (token) identity = options.credentials->ByToken(*token);
    if (!identity) {
      const bool missing = count == 0;
      metrics.AuthFailure("http", missing ? "missing" : "invalid");
      HttpAnswer refused =
          missing ? Problem(401, "unauthenticated",
                            "send Authorization: Bearer <token> (syncctl reads SYNCHUB_TOKEN; "
                            "docs/security.md)",
                            "Authorization")
                  : Problem(401, "invalid_token",
                            "the bearer token is malformed, unknown or revoked", "Authorization");
      refused.headers.emplace_back("WWW-Authenticate",
                                   missing ? R"(Bearer realm="synchub")"
                                           : R"(Bearer realm="synchub", error="invalid_token")");
      return refused;
    }
    if (const int wait =
            rate_limiter.Take(identity->credential_id, std::chrono::steady_clock::now());
        wait > 0) {
      metrics.AuthFailure("http", "rate_limited");
      HttpAnswer limited =
          Problem(429, "rate_limited",
                  "credential " + std::to_string(identity->credential_id) +
                      " is over its rate limit; retry after " + std::to_string(wait) + " s");
      limited.headers.emplace_back("Retry-After", std::to_string(wait));
      return limited;
    }
    return *identity;
  }

  // Serves `request` on the route FindRoute dispatched it to, the one whose handler runs:
  // authentication, then the path parameters (400 invalid_path_parameter naming the one that
  // does not decode), then authorization (here, or by the handler after it validated the
  // body), then the handler. The route's own action authorizes it and its own path labels the
  // metrics; an exception that escapes is a 500.
  void Serve(DispatchedRoute dispatched, const httplib::Request& request,
             httplib::Response& response) {
    const RouteEntry& entry = *dispatched.entry;
    const RouteSpec& spec = entry.spec;
    const RouteHandler handler = entry.handler;
    const bool read = entry.read || spec.method == "GET";
    const AuthorizedBy by =
        entry.by == AuthorizedBy::kAdapter && spec.path == "/metrics" && options.public_metrics
            ? AuthorizedBy::kPublic
            : entry.by;
    metrics.RequestStarted();
    const auto started = std::chrono::steady_clock::now();
    HttpAnswer answer;
    try {
      std::vector<std::string> parameters;
      if (dispatched.parameters.ok()) parameters = std::move(dispatched.parameters).value();
      RouteRequest route = ToRouteRequest(request, std::move(parameters), options.max_body_bytes);
      route.action = entry.action;
      std::optional<HttpAnswer> refused;
      if (by != AuthorizedBy::kPublic) {
        auto who = Authenticate(request);
        if (auto* problem = std::get_if<HttpAnswer>(&who)) {
          refused = std::move(*problem);
        } else {
          route.identity = std::get<Identity>(who);
        }
      }
      if (!refused && !dispatched.parameters.ok()) {
        refused = ProblemFromStatus(dispatched.parameters.status());
      }
      if (!refused && by == AuthorizedBy::kAdapter) refused = Authorize(route);
      if (refused) {
        if (refused->status == 403) metrics.AuthFailure("http", "forbidden");
        answer = std::move(*refused);
      } else {
        answer = handler(route, *this);
        // A read that met a connection broken since its last use (a backend terminated
        // while idle without telling) is run once more on a new connection: reads are
        // idempotent. Writes answer 503 with Retry-After; their submitter resends.
        if (answer.status == 503 && read && DropBrokenConnection()) {
          answer = handler(route, *this);
        }
        if (answer.status == 403) metrics.AuthFailure("http", "forbidden");
        if (by == AuthorizedBy::kHandler && answer.status < 300 && !route.authorized) {
          spdlog::error("{} {}: the handler answered {} without authorizing", spec.method,
                        spec.path, answer.status);
          answer = Problem(500, "internal", "internal error; see the gateway's log");
        }
      }
    } catch (const std::exception& error) {
      spdlog::error("{} {}: {}", spec.method, spec.path, error.what());
      answer = Problem(500, "internal", "internal error; see the gateway's log");
    }
    Render(answer, response);
    metrics.RequestFinished(
        spec.path, spec.method, answer.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  void RegisterRoutes();
};

const std::vector<RouteSpec>& IngestHttpServer::Routes() {
  static const std::vector<RouteSpec> kRoutes = [] {
    std::vector<RouteSpec> routes;
    for (const RouteEntry& entry : RouteTable()) routes.push_back(entry.spec);
    return routes;
  }();
  return kRoutes;
}

void IngestHttpServer::Impl::RegisterRoutes() {
  // The operator's console (routes/console_routes.hpp): static files, no token; the page
  // calls the routes above with the token a person signs in with. Not an API route.
  server.Get(
      R"(/console(/[^/]*)?)", [this](const httplib::Request& request, httplib::Response& response) {
        const auto started = std::chrono::steady_clock::now();
        const HttpAnswer answer = ConsoleAnswer(request.path);
        Render(answer, response);
        metrics.RequestFinished(
            "/console/", "GET", answer.status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      });

  // Every API route: dispatched here on the raw request target (FindRoute), never by
  // cpp-httplib's matching, which sees the percent-decoded path (where "A%2Fhistory" and
  // "A/history" are one string). Registered after the console, so a GET for /console/...
  // reaches the console. No route: 404 with an empty body, which the error handler answers.
  const auto dispatch = [this](const httplib::Request& request, httplib::Response& response) {
    auto found = FindRoute(request.method, request.target);
    if (!found) {
      response.status = 404;
      return;
    }
    Serve(std::move(*found), request, response);
  };
  const char* const kAnyPath = R"([\s\S]*)";
  server.Get(kAnyPath, dispatch);
  server.Post(kAnyPath, dispatch);
  server.Put(kAnyPath, dispatch);
  server.Patch(kAnyPath, dispatch);

  // Anything else: a problem document, not an empty 404. Authentication comes first here too:
  // a request cpp-httplib refuses before routing (an unknown path; a POST without
  // Content-Length) from a caller without a valid token is answered 401, as on every route.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (options.credentials != nullptr && request.path != "/healthz" &&
            (response.status == 400 || response.status == 404 || response.status == 405)) {
          auto who = Authenticate(request);
          if (auto* refused = std::get_if<HttpAnswer>(&who); refused && refused->status == 401) {
            Render(*refused, response);
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        // cpp-httplib 0.11 refuses a POST, PUT or PATCH that has neither Content-Length nor
        // Transfer-Encoding (e.g. `curl -X POST` without -d): name the header to send.
        const bool no_length =
            response.status == 400 && !request.has_header("Content-Length") &&
            !request.has_header("Transfer-Encoding") &&
            (request.method == "POST" || request.method == "PUT" || request.method == "PATCH");
        HttpAnswer answer =
            response.status == 413
                ? Problem(413, "body_too_large", "the body is over the 1 MiB limit")
            : no_length
                ? Problem(400, "length_required",
                          "send a Content-Length header (Content-Length: 0 for no body; with "
                          "curl: -d '{}' -H 'Content-Type: application/json')",
                          "Content-Length")
                : Problem(response.status, response.status == 404 ? "not_found" : "bad_request",
                          response.status == 404 ? "no such route" : "the request was refused");
        response.set_content(JsonText(answer.body), kProblemJson);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, const std::exception_ptr&) {
        HttpAnswer answer = Problem(500, "internal", "internal error; see the gateway's log");
        response.status = 500;
        response.set_content(JsonText(answer.body), kProblemJson);
      });
}

IngestHttpServer::IngestHttpServer(IngestHttpOptions options, CatalogCache& catalog,
                                   IngestMetrics& metrics, zmq::context_t& context)
    : impl_(std::make_unique<Impl>(std::move(options), catalog, metrics, context)) {}

IngestHttpServer::~IngestHttpServer() { Stop(); }

StatusOr<int> IngestHttpServer::Start() {
  Impl& impl = *impl_;
  const int threads = impl.options.threads;
  // cpp-httplib takes ownership of the queue it is handed (its API wants a raw pointer).
  impl.server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  impl.server.set_payload_max_length(impl.options.max_body_bytes);
  impl.server.set_read_timeout(impl.options.read_timeout);
  impl.server.set_write_timeout(impl.options.write_timeout);
  impl.server.set_keep_alive_max_count(
      static_cast<std::size_t>(impl.options.keep_alive_max_requests));
  impl.server.set_keep_alive_timeout(5);
  impl.server.set_tcp_nodelay(true);  // no Nagle delay between headers and body
  impl.RegisterRoutes();
  int port = impl.options.port;
  if (port == 0) {
    port = impl.server.bind_to_any_port(impl.options.host);
  } else if (!impl.server.bind_to_port(impl.options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Status::InvalidArgument(
        "port", "bind_failed",
        "cannot listen on " + impl.options.host + ":" + std::to_string(impl.options.port));
  }
  impl.thread = std::thread([&impl] { impl.server.listen_after_bind(); });
  return port;
}

void IngestHttpServer::Stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace synchub
