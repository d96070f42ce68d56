#include "ingest/ingest_http.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/pg/connection.hpp"
#include "common/zmq/resolver_client.hpp"
#include "ingest/http_problem.hpp"
#include "ingest/ingest_store.hpp"
#include "ingest/routes/checksums_routes.hpp"
#include "ingest/routes/conflicts_routes.hpp"
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

// One route: the method and path of docs/openapi.yaml, and its handler. `read`: it only reads
// (every GET, and POST /api/checksums), so it may run again after a broken connection.
struct RouteEntry {
  RouteSpec spec;
  RouteHandler handler;
  bool read = false;
};

// Every route, in the order they are registered (a path is matched whole, so the order
// decides nothing today).
const std::vector<RouteEntry>& RouteTable() {
  static const std::vector<RouteEntry> kTable = {
      {{"POST", "/api/sync"}, HandleSubmitEvent},
      {{"GET", "/api/records/{entity}"}, HandleListRecords},
      {{"POST", "/api/checksums/{entity}"}, HandleRangeChecksums, /*read=*/true},
      {{"GET", "/api/records/{entity}/{externalId}"}, HandleGetRecord},
      {{"PATCH", "/api/records/{entity}/{externalId}"}, HandlePatchRecord},
      {{"GET", "/api/records/{entity}/{externalId}/history"}, HandleGetHistory},
      {{"GET", "/api/conflicts"}, HandleListConflicts},
      {{"GET", "/api/conflicts/{id}"}, HandleGetConflict},
      {{"POST", "/api/conflicts/{id}/resolve"}, HandleResolveConflict},
      {{"GET", "/api/dead-letters"}, HandleListDeadLetters},
      {{"POST", "/api/dead-letters/{id}/replay"}, HandleReplayDeadLetter},
      {{"POST", "/api/dead-letters/{id}/discard"}, HandleDiscardDeadLetter},
      {{"GET", "/api/sources"}, HandleListSources},
      {{"GET", "/api/sources/{name}"}, HandleGetSource},
      {{"PUT", "/api/sources/{name}"}, HandlePutSource},
      {{"POST", "/api/sources/{name}/reload"}, HandleReloadSource},
      {{"GET", "/api/stats"}, HandleStats},
      {{"GET", "/healthz"}, HandleHealth},
      {{"GET", "/metrics"}, HandleMetrics},
      {{"GET", "/openapi.yaml"}, HandleOpenApi},
  };
  return kTable;
}

// The cpp-httplib pattern for an OpenAPI path: each {parameter} matches one path segment.
std::string PathPattern(const std::string& path) {
  std::string pattern;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      pattern += "([^/]+)";
      i = path.find('}', i);
    } else {
      pattern += path[i];
    }
  }
  return pattern;
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

RouteRequest ToRouteRequest(const httplib::Request& request, std::size_t max_body_bytes) {
  RouteRequest route;
  for (std::size_t i = 1; i < request.matches.size(); ++i) route.path.push_back(request.matches[i]);
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

  Impl(IngestHttpOptions o, CatalogCache& c, IngestMetrics& m, zmq::context_t& z)
      : options(std::move(o)), catalog(c), metrics(m), context(z) {}

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
          context, ResolverClientOptions{options.resolver_endpoints, options.resolver_timeout,
                                         options.resolver_attempts});
    }
    return *own.resolver;
  }

  Status PingResolver() override {
    ResolverClient probe(context, {options.resolver_endpoints, std::chrono::milliseconds(1000), 1});
    return probe.Ping();
  }

  std::shared_ptr<const Catalog> CurrentCatalog() override { return catalog.Current(); }

  IngestMetrics& Metrics() override { return metrics; }

  // Serves `entry`, timing it and turning an escaped exception into a 500.
  void Serve(const RouteEntry& entry) {
    const RouteSpec& spec = entry.spec;
    const RouteHandler handler = entry.handler;
    const bool read = entry.read || spec.method == "GET";
    auto wrapped = [this, spec, handler, read](const httplib::Request& request,
                                               httplib::Response& response) {
      metrics.RequestStarted();
      const auto started = std::chrono::steady_clock::now();
      HttpAnswer answer;
      try {
        answer = handler(ToRouteRequest(request, options.max_body_bytes), *this);
        // A read that met a connection broken since its last use (a backend terminated
        // while idle without telling) is run once more on a new connection: reads are
        // idempotent. Writes answer 503 with Retry-After; their submitter resends.
        if (answer.status == 503 && read && DropBrokenConnection()) {
          answer = handler(ToRouteRequest(request, options.max_body_bytes), *this);
        }
      } catch (const std::exception& error) {
        spdlog::error("{} {}: {}", spec.method, spec.path, error.what());
        answer = Problem(500, "internal", "internal error; see the gateway's log");
      }
      Render(answer, response);
      metrics.RequestFinished(
          spec.path, spec.method, answer.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
    const std::string pattern = PathPattern(spec.path);
    if (spec.method == "GET") server.Get(pattern, wrapped);
    if (spec.method == "POST") server.Post(pattern, wrapped);
    if (spec.method == "PUT") server.Put(pattern, wrapped);
    if (spec.method == "PATCH") server.Patch(pattern, wrapped);
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
  for (const RouteEntry& entry : RouteTable()) Serve(entry);

  // Anything else: a problem document, not an empty 404.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        HttpAnswer answer =
            response.status == 413
                ? Problem(413, "body_too_large", "the body is over the 1 MiB limit")
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
