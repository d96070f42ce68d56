#include "ingest/routes/meta_routes.hpp"

#include <string>
#include <utility>

#include "ingest/core/api_json.hpp"
#include "ingest/ingest_http.hpp"

namespace synchub {
namespace {

// 200 with `text` sent as is under `content_type`.
HttpAnswer TextAnswer(std::string text, const char* content_type) {
  HttpAnswer answer = JsonAnswer(Json(std::move(text)));
  answer.content_type = content_type;
  return answer;
}

}  // namespace

HttpAnswer HandleStats(const RouteRequest&, RouteDeps& deps) {
  return WithStore(deps, [](PgIngestStore& store) { return AnswerOr(store.Stats(), StatsJson); });
}

HttpAnswer HandleHealth(const RouteRequest&, RouteDeps& deps) {
  Json health = {{"status", "ok"}, {"database", "ok"}, {"resolver", "ok"}};
  int status = 200;
  auto store = deps.Store();
  Status database = store.ok() ? store->Ping() : store.status();
  if (!database.ok()) {
    health["database"] = database.message();
    status = 503;
  }
  if (Status resolver = deps.PingResolver(); !resolver.ok()) {
    health["resolver"] = resolver.message();
    status = 503;
  }
  if (status != 200) health["status"] = "unavailable";
  HttpAnswer answer = JsonAnswer(std::move(health));
  answer.status = status;
  return answer;
}

HttpAnswer HandleMetrics(const RouteRequest&, RouteDeps& deps) {
  return TextAnswer(deps.Metrics().Serialize(), "text/plain; version=0.0.4; charset=utf-8");
}

HttpAnswer HandleOpenApi(const RouteRequest&, RouteDeps&) {
  return TextAnswer(OpenApiYaml(), "application/yaml");
}

}  // namespace synchub
