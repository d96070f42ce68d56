// Handlers for dead letters (SPEC sections 6 and 8: GET /api/dead-letters,
// POST /api/dead-letters/{id}/replay, POST /api/dead-letters/{id}/discard).
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// GET /api/dead-letters?status=dead|replayed|discarded|all (default dead)
// 200 with DeadLetterListJson: at most 1000, by id.
// Failures: 400 invalid_status, 503.
HttpAnswer HandleListDeadLetters(const RouteRequest& request, RouteDeps& deps);

// POST /api/dead-letters/{id}/replay: marks the letter replayed and resubmits its event to
// the resolver, as POST /api/sync would (SubmitEvent).
// Returns the resolver's answer (200/202/409/422, see HandleSubmitEvent).
// Failures: 404 bad id or no such dead letter, 409 not_dead, 400 the stored event no longer
// validates against the catalog, 503 (the letter is put back to 'dead' when the event could
// not be made durable or fails validation).
// Idempotent: the letter's eventId.
HttpAnswer HandleReplayDeadLetter(const RouteRequest& request, RouteDeps& deps);

// POST /api/dead-letters/{id}/discard
// 200 with {"id","status":"discarded"}.
// Failures: 404 bad id or no such dead letter, 409 not_dead, 503.
HttpAnswer HandleDiscardDeadLetter(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
