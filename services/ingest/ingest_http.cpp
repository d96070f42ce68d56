#include "ingest/ingest_http.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "common/codec/proto_codec.hpp"
#include "common/core/event_parse.hpp"
#include "common/pg/connection.hpp"
#include "common/zmq/resolver_client.hpp"
#include "ingest/http_problem.hpp"
#include "ingest/ingest_store.hpp"

namespace synchub {
namespace {

using Handler = std::function<HttpAnswer(const httplib::Request&)>;

constexpr const char* kJson = "application/json";
constexpr const char* kProblemJson = "application/problem+json";

bool IsJsonContentType(const httplib::Request& request) {
  const std::string type = request.get_header_value("Content-Type");
  const std::string base = type.substr(0, type.find(';'));
  return base == "application/json" || base == "application/problem+json";
}

// JSON text for a response. Strings echoed from a client (a problem's detail quoting bad
// input) may hold invalid UTF-8: replaced, never a reason to fail the answer.
std::string DumpForClient(const Json& body) { return JsonText(body); }

// Parses a path id; nullopt when it is not a positive integer.
std::optional<std::int64_t> ParseId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<std::int64_t>(value) : std::nullopt;
}

// "123", W/"123" or 123 -> 123.
std::optional<std::int64_t> ParseEtag(std::string text) {
  if (text.rfind("W/", 0) == 0) text = text.substr(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  return ParseId(text);
}

// A JSON object body, strictly parsed; a 4xx answer otherwise.
StatusOr<Json> ObjectBody(const httplib::Request& request, std::size_t max_bytes) {
  JsonLimits limits;
  limits.max_body_bytes = max_bytes;
  auto body = ParseJsonStrict(request.body, limits);
  if (!body.ok()) return body.status();
  if (!body->is_object()) {
    return Status::InvalidArgument("", "not_object", "the body must be a JSON object");
  }
  return body;
}

}  // namespace

// What one pool thread owns: its database connection and resolver client.
struct ThreadResources {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<ResolverClient> resolver;
};

struct IngestHttpServer::Impl {
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

  // This thread's store; kUnavailable when the database cannot be reached.
  StatusOr<PgIngestStore> Store() {
    ThreadResources& own = Resources();
    if (!own.connection || !own.connection->is_open()) {
      auto connection = ConnectPg(options.conninfo);
      if (!connection.ok()) return connection.status();
      own.connection = std::move(connection).value();
    }
    return PgIngestStore(*own.connection);
  }

  ResolverClient& Resolver() {
    ThreadResources& own = Resources();
    if (!own.resolver) {
      own.resolver = std::make_unique<ResolverClient>(
          context, ResolverClientOptions{options.resolver_endpoints, options.resolver_timeout,
                                         options.resolver_attempts});
    }
    return *own.resolver;
  }

  // Hands `event` (canonical JSON, validated against the catalog) to the resolver.
  HttpAnswer Submit(const Event& event) {
    auto reply = Resolver().Submit({EventToProto(event)});
    if (!reply.ok()) {
      return Problem(503, "unavailable",
                     "the event could not be made durable in time; resend it with the same "
                     "eventId (" +
                         reply.status().message() + ")");
    }
    const v1::ResolutionResult& result = reply->results(0);
    HttpAnswer answer = AnswerForResult(result);
    if (result.outcome() != v1::OUTCOME_UNSPECIFIED) {
      metrics.Outcome(WireOutcomeName(result.outcome()));
    }
    return answer;
  }

  void Route(const std::string& method, const std::string& pattern, const std::string& name,
             Handler handler) {
    auto wrapped = [this, method, name, handler](const httplib::Request& request,
                                                 httplib::Response& response) {
      metrics.RequestStarted();
      const auto started = std::chrono::steady_clock::now();
      HttpAnswer answer;
      try {
        answer = handler(request);
      } catch (const std::exception& error) {
        spdlog::error("{} {}: {}", method, name, error.what());
        answer = Problem(500, "internal", "internal error; see the gateway's log");
      }
      response.status = answer.status;
      if (answer.status == 503) response.set_header("Retry-After", "1");
      if (answer.body.contains("etag") && answer.body["etag"].is_number_integer() &&
          answer.status < 300 && name.rfind("/api/records", 0) == 0) {
        response.set_header("ETag",
                            "\"" + std::to_string(answer.body["etag"].get<std::int64_t>()) + "\"");
      }
      if (answer.body.is_string() && !answer.problem) {
        response.set_content(
            answer.body.get<std::string>(),
            name == "/metrics" ? "text/plain; version=0.0.4; charset=utf-8" : "application/yaml");
      } else {
        response.set_content(DumpForClient(answer.body), answer.problem ? kProblemJson : kJson);
      }
      metrics.RequestFinished(
          name, method, answer.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
    if (method == "GET") server.Get(pattern, wrapped);
    if (method == "POST") server.Post(pattern, wrapped);
    if (method == "PUT") server.Put(pattern, wrapped);
    if (method == "PATCH") server.Patch(pattern, wrapped);
  }

  void RegisterRoutes();
};

const std::vector<RouteSpec>& IngestHttpServer::Routes() {
  static const std::vector<RouteSpec> kRoutes = {
      {"POST", "/api/sync"},
      {"GET", "/api/records/{entity}/{externalId}"},
      {"PATCH", "/api/records/{entity}/{externalId}"},
      {"GET", "/api/records/{entity}/{externalId}/history"},
      {"GET", "/api/conflicts"},
      {"GET", "/api/conflicts/{id}"},
      {"POST", "/api/conflicts/{id}/resolve"},
      {"GET", "/api/dead-letters"},
      {"POST", "/api/dead-letters/{id}/replay"},
      {"POST", "/api/dead-letters/{id}/discard"},
      {"GET", "/api/sources"},
      {"GET", "/api/sources/{name}"},
      {"PUT", "/api/sources/{name}"},
      {"GET", "/api/stats"},
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"GET", "/openapi.yaml"},
  };
  return kRoutes;
}

void IngestHttpServer::Impl::RegisterRoutes() {
  const std::size_t max_body = options.max_body_bytes;

  Route("POST", "/api/sync", "/api/sync", [this, max_body](const httplib::Request& request) {
    if (!IsJsonContentType(request)) {
      return Problem(415, "unsupported_media_type", "send the event as application/json",
                     "Content-Type");
    }
    EventLimits limits;
    limits.json.max_body_bytes = max_body;
    auto event = ParseEvent(request.body, *catalog.Current(), limits);
    if (!event.ok()) return ProblemFromStatus(event.status());
    return Submit(*event);
  });

  Route("GET", R"(/api/records/([^/]+)/([^/]+))", "/api/records/{entity}/{externalId}",
        [this](const httplib::Request& request) {
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto record = store->GetRecord(request.matches[1], request.matches[2]);
          if (!record.ok()) return ProblemFromStatus(record.status());
          return HttpAnswer{200, std::move(record).value(), false};
        });

  Route("PATCH", R"(/api/records/([^/]+)/([^/]+))", "/api/records/{entity}/{externalId}",
        [this, max_body](const httplib::Request& request) {
          if (!request.has_header("If-Match")) {
            return Problem(428, "if_match_required", "send If-Match with the record's current etag",
                           "If-Match");
          }
          auto etag = ParseEtag(request.get_header_value("If-Match"));
          if (!etag) return Problem(400, "invalid_etag", "If-Match is not an etag", "If-Match");
          if (!IsJsonContentType(request)) {
            return Problem(415, "unsupported_media_type", "send the patch as application/json",
                           "Content-Type");
          }
          auto body = ObjectBody(request, max_body);
          if (!body.ok()) return ProblemFromStatus(body.status());
          const Json& patch = body->contains("fields") ? (*body)["fields"] : *body;
          if (!patch.is_object()) {
            return Problem(400, "wrong_type", "fields must be a JSON object", "fields");
          }
          FieldMap fields;
          for (auto it = patch.begin(); it != patch.end(); ++it) {
            if (!IsValidFieldName(it.key())) {
              return Problem(400,
                             it.key().rfind('_', 0) == 0 ? "reserved_field" : "invalid_field_name",
                             "field names match [A-Za-z][A-Za-z0-9_]{0,63}", it.key());
            }
            fields.insert_or_assign(it.key(), *it);
          }
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto record = store->PatchRecord(request.matches[1], request.matches[2], *etag, fields,
                                           *catalog.Current());
          if (!record.ok()) return ProblemFromStatus(record.status());
          return HttpAnswer{200, std::move(record).value(), false};
        });

  Route("GET", R"(/api/records/([^/]+)/([^/]+)/history)",
        "/api/records/{entity}/{externalId}/history", [this](const httplib::Request& request) {
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto history = store->GetHistory(request.matches[1], request.matches[2]);
          if (!history.ok()) return ProblemFromStatus(history.status());
          return HttpAnswer{200, std::move(history).value(), false};
        });

  Route("GET", "/api/conflicts", "/api/conflicts", [this](const httplib::Request& request) {
    const std::string status =
        request.has_param("status") ? request.get_param_value("status") : "open";
    if (status != "open" && status != "resolved" && status != "all") {
      return Problem(400, "invalid_status", "status is open, resolved or all", "status");
    }
    auto store = Store();
    if (!store.ok()) return ProblemFromStatus(store.status());
    auto conflicts = store->ListConflicts(status);
    if (!conflicts.ok()) return ProblemFromStatus(conflicts.status());
    return HttpAnswer{200, std::move(conflicts).value(), false};
  });

  Route("GET", R"(/api/conflicts/([^/]+))", "/api/conflicts/{id}",
        [this](const httplib::Request& request) {
          auto id = ParseId(request.matches[1]);
          if (!id) return Problem(404, "not_found", "no such conflict", "id");
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto conflict = store->GetConflict(*id);
          if (!conflict.ok()) return ProblemFromStatus(conflict.status());
          return HttpAnswer{200, std::move(conflict).value(), false};
        });

  Route("POST", R"(/api/conflicts/([^/]+)/resolve)", "/api/conflicts/{id}/resolve",
        [this, max_body](const httplib::Request& request) {
          auto id = ParseId(request.matches[1]);
          if (!id) return Problem(404, "not_found", "no such conflict", "id");
          if (!IsJsonContentType(request)) {
            return Problem(415, "unsupported_media_type", "send application/json", "Content-Type");
          }
          auto body = ObjectBody(request, max_body);
          if (!body.ok()) return ProblemFromStatus(body.status());
          const Json take = body->value("take", Json());
          if (take != "incoming" && take != "canonical") {
            return Problem(400, "invalid_take", "take is \"incoming\" or \"canonical\"", "take");
          }
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto resolved = store->ResolveConflict(*id, take.get<std::string>(), *catalog.Current());
          if (!resolved.ok()) return ProblemFromStatus(resolved.status());
          return HttpAnswer{200, std::move(resolved).value(), false};
        });

  Route("GET", "/api/dead-letters", "/api/dead-letters", [this](const httplib::Request& request) {
    const std::string status =
        request.has_param("status") ? request.get_param_value("status") : "dead";
    if (status != "dead" && status != "replayed" && status != "discarded" && status != "all") {
      return Problem(400, "invalid_status", "status is dead, replayed, discarded or all", "status");
    }
    auto store = Store();
    if (!store.ok()) return ProblemFromStatus(store.status());
    auto letters = store->ListDeadLetters(status);
    if (!letters.ok()) return ProblemFromStatus(letters.status());
    return HttpAnswer{200, std::move(letters).value(), false};
  });

  Route("POST", R"(/api/dead-letters/([^/]+)/replay)", "/api/dead-letters/{id}/replay",
        [this](const httplib::Request& request) {
          auto id = ParseId(request.matches[1]);
          if (!id) return Problem(404, "not_found", "no such dead letter", "id");
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto event_json = store->TakeDeadLetterForReplay(*id);
          if (!event_json.ok()) {
            if (event_json.status().code() == StatusCode::kAlreadyExists) {
              return Problem(409, "not_dead", event_json.status().message());
            }
            return ProblemFromStatus(event_json.status());
          }
          auto event = EventFromJson(*event_json, *catalog.Current());
          if (!event.ok()) {
            (void)store->RestoreDeadLetter(*id);
            return ProblemFromStatus(event.status());
          }
          HttpAnswer answer = Submit(*event);
          if (answer.status == 503) (void)store->RestoreDeadLetter(*id);
          return answer;
        });

  Route("POST", R"(/api/dead-letters/([^/]+)/discard)", "/api/dead-letters/{id}/discard",
        [this](const httplib::Request& request) {
          auto id = ParseId(request.matches[1]);
          if (!id) return Problem(404, "not_found", "no such dead letter", "id");
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto discarded = store->DiscardDeadLetter(*id);
          if (!discarded.ok()) {
            if (discarded.status().code() == StatusCode::kAlreadyExists) {
              return Problem(409, "not_dead", discarded.status().message());
            }
            return ProblemFromStatus(discarded.status());
          }
          return HttpAnswer{200, std::move(discarded).value(), false};
        });

  Route("GET", "/api/sources", "/api/sources", [this](const httplib::Request&) {
    auto store = Store();
    if (!store.ok()) return ProblemFromStatus(store.status());
    auto sources = store->ListSources();
    if (!sources.ok()) return ProblemFromStatus(sources.status());
    return HttpAnswer{200, std::move(sources).value(), false};
  });

  Route("GET", R"(/api/sources/([^/]+))", "/api/sources/{name}",
        [this](const httplib::Request& request) {
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto source = store->GetSource(request.matches[1]);
          if (!source.ok()) return ProblemFromStatus(source.status());
          return HttpAnswer{200, std::move(source).value(), false};
        });

  Route("PUT", R"(/api/sources/([^/]+))", "/api/sources/{name}",
        [this, max_body](const httplib::Request& request) {
          const std::string name = request.matches[1];
          if (name.size() > 64) return Problem(400, "too_long", "at most 64 bytes", "name");
          if (name == kOperatorSource) {
            return Problem(400, "reserved_source",
                           "\"operator\" is reserved for people's edits and ranks above every "
                           "source; it cannot be registered",
                           "name");
          }
          if (!IsJsonContentType(request)) {
            return Problem(415, "unsupported_media_type", "send application/json", "Content-Type");
          }
          auto body = ObjectBody(request, max_body);
          if (!body.ok()) return ProblemFromStatus(body.status());
          const Json priority = body->value("priority", Json());
          if (!priority.is_number_integer() || priority.get<std::int64_t>() < -1000000 ||
              priority.get<std::int64_t>() > 1000000) {
            return Problem(400, "invalid_priority",
                           "priority is an integer (lower is higher priority)", "priority");
          }
          auto store = Store();
          if (!store.ok()) return ProblemFromStatus(store.status());
          auto source = store->SetPriority(name, priority.get<int>());
          if (!source.ok()) return ProblemFromStatus(source.status());
          return HttpAnswer{200, std::move(source).value(), false};
        });

  Route("GET", "/api/stats", "/api/stats", [this](const httplib::Request&) {
    auto store = Store();
    if (!store.ok()) return ProblemFromStatus(store.status());
    auto stats = store->Stats();
    if (!stats.ok()) return ProblemFromStatus(stats.status());
    return HttpAnswer{200, std::move(stats).value(), false};
  });

  Route("GET", "/healthz", "/healthz", [this](const httplib::Request&) {
    Json health = {{"status", "ok"}, {"database", "ok"}, {"resolver", "ok"}};
    int status = 200;
    auto store = Store();
    Status database = store.ok() ? store->Ping() : store.status();
    if (!database.ok()) {
      health["database"] = database.message();
      status = 503;
    }
    ResolverClient probe(context, {options.resolver_endpoints, std::chrono::milliseconds(1000), 1});
    if (Status resolver = probe.Ping(); !resolver.ok()) {
      health["resolver"] = resolver.message();
      status = 503;
    }
    if (status != 200) health["status"] = "unavailable";
    return HttpAnswer{status, std::move(health), false};
  });

  Route("GET", "/metrics", "/metrics", [this](const httplib::Request&) {
    return HttpAnswer{200, Json(metrics.Serialize()), false};
  });

  Route("GET", "/openapi.yaml", "/openapi.yaml", [](const httplib::Request&) {
    return HttpAnswer{200, Json(std::string(OpenApiYaml())), false};
  });

  // Anything else: a problem document, not an empty 404.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        HttpAnswer answer =
            response.status == 413
                ? Problem(413, "body_too_large", "the body is over the 1 MiB limit")
                : Problem(response.status, response.status == 404 ? "not_found" : "bad_request",
                          response.status == 404 ? "no such route" : "the request was refused");
        response.set_content(DumpForClient(answer.body), kProblemJson);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        HttpAnswer answer = Problem(500, "internal", "internal error; see the gateway's log");
        response.status = 500;
        response.set_content(DumpForClient(answer.body), kProblemJson);
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
