// Handlers for events submitted over HTTP (SPEC section 8, POST /api/sync).
#pragma once

#include "common/core/event.hpp"
#include "ingest/routes/route.hpp"

namespace synchub {

// POST /api/sync: one event, canonical or flat form (SPEC section 2), validated against the
// current catalog and handed to the resolver.
// Returns AnswerForResult's answer (http_problem.hpp): 200 NEW_RECORD / VERSION_WIN /
// STALE_SKIP / FIELD_MERGE / PRIORITY_WIN with {eventId, outcome, changed, record, etag, ...},
// 202 DEFERRED, 409 MANUAL with conflictId and conflictingFields, 422 dead letter.
// Failures: 415 not JSON, 413 body over the limit, 400 invalid JSON or a rule of SPEC
// section 2 (key named), 503 (Retry-After) when the event could not be made durable.
// Idempotent: eventId; resending after a 503 has one effect.
HttpAnswer HandleSubmitEvent(const RouteRequest& request, RouteDeps& deps);

// Hands `event` (validated) to the resolver and counts its outcome in the metrics.
// Returns the answer for the resolver's result, or 503 unavailable when it could not be made
// durable in time (resend it with the same eventId).
HttpAnswer SubmitEvent(const Event& event, RouteDeps& deps);

}  // namespace synchub
