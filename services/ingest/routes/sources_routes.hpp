// Handlers for sources and their priorities (SPEC section 8: GET /api/sources,
// GET/PUT /api/sources/{name}).
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// GET /api/sources
// 200 with SourceListJson: every registered source with its lag, by priority then name.
// Failures: 503.
HttpAnswer HandleListSources(const RouteRequest& request, RouteDeps& deps);

// GET /api/sources/{name}
// 200 with SourceJson. Failures: 404 not registered, 503.
HttpAnswer HandleGetSource(const RouteRequest& request, RouteDeps& deps);

// PUT /api/sources/{name} with {"priority": <integer from -1000000 to 1000000>}: registers
// the source or changes its priority (lower ranks higher).
// 200 with SourcePriorityJson {"source","priority"}.
// Failures, in this order: 400 too_long (name over 64 bytes), 400 reserved_source
// ("operator", SPEC section 1), 415 not JSON, 400/413 invalid body, 400 invalid_priority, 503.
// Idempotent: the name; a repeated PUT stores the same priority.
HttpAnswer HandlePutSource(const RouteRequest& request, RouteDeps& deps);

// POST /api/sources/{name}/reload: the source's next session (a live one within 5 s) starts
// with a reverse load (docs/design.md, "Reverse load"): every canonical record of the entities
// it holds, tombstones included, then the change stream from where the load began.
// 202 {"source","reloadRequested":true}. Failures: 404 not registered, 503.
// Idempotent: requesting again before the load ran changes nothing.
HttpAnswer HandleReloadSource(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
