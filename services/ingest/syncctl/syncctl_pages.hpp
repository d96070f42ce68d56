// The paged record listing for `syncctl records list` (GET /api/records/{entity}).
#pragma once

#include <string>

#include "ingest/syncctl/syncctl_client.hpp"

namespace synchub {

// "/api/records/<entity>?limit=<limit>[&after=<after>]", entity and after percent-encoded.
std::string RecordPagePath(const std::string& entity, const std::string& after, int limit);

// Fetches the pages of `entity` from `after` on, `limit` records each, following "next" until
// it is null. Returns one answer shaped as a page, status 200 and body
// {"records":[every record, in order],"next":null}; or the first answer that is not a 2xx
// page, as it came (status 0 when the server could not be reached; a body that is not a page,
// or a "next" that does not move forward, is returned as is with status 502).
SyncctlClient::Response FetchAllRecordPages(SyncctlClient& client, const std::string& entity,
                                            const std::string& after, int limit);

}  // namespace synchub
