// Range checksums (issue 14): how a connector compares its table with the canonical records
// without reading every row. The checksum is defined in common/core/range_checksum.hpp, which
// the connector computes too. Path parameter: entity.
#pragma once

#include "ingest/routes/route.hpp"

namespace synchub {

// POST /api/checksums/{entity} with
// {"fields":["email","fullName"],"ranges":[{"after":"","upTo":"CUST-500"},{"after":"CUST-500","upTo":null}]}
// 200 {"ranges":[{"after","upTo","rows","checksum"}, ...]} in the order asked: over the live
// records (not deleted) with after < externalId <= upTo (no upper bound when upTo is null),
// byte order, `rows` of them, `checksum` the bit_xor of their row hashes over `fields` as a
// decimal string ("0" for none). A read: one statement, one snapshot, nothing written.
// Failures, in this order: 415 not application/json; 400 invalid_json / 413 body_too_large /
// 400 not_object; 400 naming the key (ChecksumRequestFromJson: fields[i], ranges[i].upTo, ...);
// 404 not_found (key "entity") for an entity the catalog does not know; 503.
HttpAnswer HandleRangeChecksums(const RouteRequest& request, RouteDeps& deps);

}  // namespace synchub
