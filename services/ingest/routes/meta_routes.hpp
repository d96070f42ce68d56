// Handlers for the gateway itself: statistics, health, metrics and the API description
// (SPEC section 8: GET /healthz, GET /metrics; GET /api/stats and GET /openapi.yaml are
// synchub's own, documented in docs/openapi.yaml).
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// GET /api/stats
// 200 with StatsJson: counts of records, open conflicts, dead letters, deferred events and
// resolutions, and resolutions by outcome. Failures: 503.
HttpAnswer HandleStats(const RouteRequest& request, RouteDeps& deps);

// GET /healthz
// 200 {"status":"ok","database":"ok","resolver":"ok"} when PostgreSQL answers a ping and the
// resolver answers a one-attempt ping (1 s); otherwise 503 with "status":"unavailable" and
// the failing part's message in place of its "ok".
HttpAnswer HandleHealth(const RouteRequest& request, RouteDeps& deps);

// GET /metrics: 200, the Prometheus text format (text/plain; version=0.0.4).
HttpAnswer HandleMetrics(const RouteRequest& request, RouteDeps& deps);

// GET /openapi.yaml: 200, docs/openapi.yaml as embedded at build time (application/yaml).
HttpAnswer HandleOpenApi(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
