// Handlers for canonical records (SPEC section 8: GET/PATCH /api/records/{entity}/{externalId}
// and its history; the paged listing GET /api/records/{entity}, issue 14). Path parameters:
// entity, externalId.
#pragma once

#include "ingest/routes/route.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

// Conditional requests (RFC 9110 section 13): If-Match and If-None-Match are "*" or lists of
// entity-tags (common/core/entity_tags.hpp); a record's tag is the strong "<etag>". If-Match needs
// a strong match, If-None-Match uses the weak comparison (W/"17" matches "17"). A malformed value
// is 400 invalid_etag naming the header, checked before anything else reads the database.

// GET /api/records/{entity}?after=KEY&limit=N
// 200 {"records":[RecordJson, ...],"next": KEY | null}: the entity's records, tombstones
// included ("deleted": true), in byte order of externalId, those after `after` ("" when
// absent: from the start), at most `limit` (100 when absent). "next" is the externalId to pass
// as `after` for the next page; null when this page is the last.
// Failures, in this order: 400 invalid_limit (key "limit": not an integer from 1 to 1000),
// 400 invalid_after (key "after": invalid UTF-8 or U+0000), 404 not_found (key "entity": an
// entity the catalog does not know), 503 database unreachable.
HttpAnswer HandleListRecords(const RouteRequest& request, RouteDeps& deps);

// GET /api/records/{entity}/{externalId}
// 200 with the record (RecordJson: API form plus "etag") and an ETag header "\"<etag>\"".
// With If-None-Match listing the record's tag (weakly) or "*": 304 with the ETag header and
// no body. With an If-Match that is false: 412 with the ETag header.
// Failures: 400 invalid_etag, 404 no such record (whatever the conditions, RFC 9110 13.2.1),
// 503 database unreachable.
HttpAnswer HandleGetRecord(const RouteRequest& request, RouteDeps& deps);

// PATCH /api/records/{entity}/{externalId} with If-Match and/or If-None-Match and a body of
// fields, either {"fields": {...}} or the fields themselves: an operator's edit at version + 1,
// the conditions evaluated on the locked row in the write's transaction (If-Match first).
// 200 with the new record (as GET) and its ETag header. With If-None-Match: * and no record:
// 201 with the record created at version 1 and its ETag header.
// Failures, checked in this order: 428 if_match_required (neither header), 400 invalid_etag
// (key: the header), 415 not JSON, 400/413 invalid body (not_object, wrong_type "fields",
// invalid_field_name, reserved_field), then against the database: 412 precondition_failed
// (key: the header whose condition is false; the current ETag header when a record exists;
// a missing record fails any If-Match), 404 no such record (only If-None-Match with tags),
// 400 a record that cannot be written (unknown_entity, too_long, too_many_fields,
// invalid_reference, unmet_dependency), 409 a concurrent write, 503.
HttpAnswer HandlePatchRecord(const RouteRequest& request, RouteDeps& deps);

// The HTTP answer for the resolver's reply to an operator's write (PATCH, conflict
// resolution): 200/201 with the record and its ETag, 412 for a failed precondition, the
// problem for an error (503 when no resolver answered).
HttpAnswer OperatorWriteAnswer(const StatusOr<v1::OperatorWriteReply>& reply);

// GET /api/records/{entity}/{externalId}/history
// 200 with HistoryJson: the record's resolution log, oldest first.
// Failures: 404 no history, 503.
HttpAnswer HandleGetHistory(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
