// Handlers for logged conflicts (SPEC section 8: GET /api/conflicts, GET /api/conflicts/{id},
// POST /api/conflicts/{id}/resolve).
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// GET /api/conflicts?status=open|resolved|all (default open)
// 200 with ConflictListJson: at most 1000, by id.
// Failures: 400 invalid_status, 503.
HttpAnswer HandleListConflicts(const RouteRequest& request, RouteDeps& deps);

// GET /api/conflicts/{id}
// 200 with ConflictDetailJson (the conflict with its event and canonical record).
// Failures: 404 an id that is not a positive integer or no such conflict, 503.
HttpAnswer HandleGetConflict(const RouteRequest& request, RouteDeps& deps);

// POST /api/conflicts/{id}/resolve with {"take": "incoming" | "canonical"} or
// {"take": "merged", "fields": {...}} (SPEC section 8): an operator event at version + 1, made
// by the resolver (PgOperatorWrites::ResolveConflict).
// 200 with ConflictResolutionJson {conflict, record, etag}.
// Failures, in this order: 404 bad id, 415 not JSON, 400/413 invalid body, 400 invalid_take,
// 400 for "merged" without a "fields" object (missing, wrong_type) or with an invalid field
// name (invalid_field_name, reserved_field), 400 unexpected_fields (fields without "merged"),
// 404 no such conflict, 409 already resolved, 412 conflict_stale (the value taken would
// overwrite a newer one; key: the field), 503.
HttpAnswer HandleResolveConflict(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
