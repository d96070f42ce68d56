// Handlers for canonical records (SPEC section 8: GET/PATCH /api/records/{entity}/{externalId}
// and its history). Path parameters: entity, externalId.
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// GET /api/records/{entity}/{externalId}
// 200 with the record (RecordJson: API form plus "etag") and an ETag header "\"<etag>\"".
// Failures: 404 no such record, 503 database unreachable.
HttpAnswer HandleGetRecord(const RouteRequest& request, RouteDeps& deps);

// PATCH /api/records/{entity}/{externalId} with If-Match: <etag> and a body of fields, either
// {"fields": {...}} or the fields themselves: an operator's edit at version + 1.
// 200 with the new record (as GET) and its ETag header.
// Failures, checked in this order: 428 if_match_required, 400 invalid_etag, 415 not JSON,
// 400/413 invalid body (not_object, wrong_type "fields", invalid_field_name, reserved_field),
// 404 no such record, 412 the etag is stale, 409 a concurrent write, 503.
HttpAnswer HandlePatchRecord(const RouteRequest& request, RouteDeps& deps);

// GET /api/records/{entity}/{externalId}/history
// 200 with HistoryJson: the record's resolution log, oldest first.
// Failures: 404 no history, 503.
HttpAnswer HandleGetHistory(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
