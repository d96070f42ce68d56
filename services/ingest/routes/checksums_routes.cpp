#include "ingest/routes/checksums_routes.hpp"

#include "ingest/core/api_json.hpp"
#include "ingest/core/checksum_request.hpp"

namespace synchub {

HttpAnswer HandleRangeChecksums(const RouteRequest& request, RouteDeps& deps) {
  if (auto refused = RequireJson(request, "send the ranges as application/json")) return *refused;
  auto body = ObjectBody(request);
  if (!body.ok()) return ProblemFromStatus(body.status());
  auto asked = ChecksumRequestFromJson(*body);
  if (!asked.ok()) return ProblemFromStatus(asked.status());
  const std::string& entity = request.path[0];
  if (auto unknown = RequireKnownEntity(entity, deps)) return *unknown;
  return WithStore(deps, [&](PgIngestStore& store) {
    return AnswerOr(store.ChecksumRanges(entity, asked->fields, asked->ranges), RangeChecksumsJson);
  });
}

}  // namespace synchub
