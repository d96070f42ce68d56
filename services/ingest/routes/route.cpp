#include "ingest/routes/route.hpp"

#include <utility>

namespace synchub {

StatusOr<std::string> StatusFilter(const RouteRequest& request, const std::string& fallback,
                                   const std::vector<std::string>& allowed) {
  auto found = request.query.find("status");
  std::string status = found != request.query.end() ? found->second : fallback;
  for (const std::string& value : allowed) {
    if (status == value) return status;
  }
  std::string message = "status is ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) message += i + 1 == allowed.size() ? " or " : ", ";
    message += allowed[i];
  }
  return Status::InvalidArgument("status", "invalid_status", message);
}

StatusOr<int> LimitParameter(const RouteRequest& request, int fallback, int max) {
  auto found = request.query.find("limit");
  if (found == request.query.end()) return fallback;
  const std::string& text = found->second;
  const std::string range = "limit is an integer from 1 to " + std::to_string(max);
  if (text.empty() || text.size() > 9) {
    return Status::InvalidArgument("limit", "invalid_limit", range);
  }
  int limit = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status::InvalidArgument("limit", "invalid_limit", range);
    limit = limit * 10 + (c - '0');
  }
  if (limit < 1 || limit > max) return Status::InvalidArgument("limit", "invalid_limit", range);
  return limit;
}

std::optional<std::int64_t> ParseId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<std::int64_t>(value) : std::nullopt;
}

std::optional<std::int64_t> ParseEtag(std::string text) {
  if (text.rfind("W/", 0) == 0) text = text.substr(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  return ParseId(text);
}

StatusOr<Json> ObjectBody(const RouteRequest& request) {
  JsonLimits limits;
  limits.max_body_bytes = request.max_body_bytes;
  auto body = ParseJsonStrict(request.body, limits);
  if (!body.ok()) return body.status();
  if (!body->is_object()) {
    return Status::InvalidArgument("", "not_object", "the body must be a JSON object");
  }
  return body;
}

std::optional<HttpAnswer> Authorize(const RouteRequest& request, const std::string& source) {
  if (auto refused = Refuse(request.identity, request.action, source)) {
    return Problem(403, "forbidden", refused->message, refused->key);
  }
  request.authorized = true;
  return std::nullopt;
}

std::optional<HttpAnswer> RequireJson(const RouteRequest& request, const std::string& detail) {
  if (request.json_content_type) return std::nullopt;
  return Problem(415, "unsupported_media_type", detail, "Content-Type");
}

std::optional<HttpAnswer> RequireKnownEntity(const std::string& entity, RouteDeps& deps) {
  if (deps.CurrentCatalog()->HasEntity(entity)) return std::nullopt;
  return Problem(404, "not_found", "no entity " + entity, "entity");
}

}  // namespace synchub
