// HubReader: the hub's read API as reconciliation uses it, over HTTP (the gateway's
// GET /api/records/{entity}?after=&limit= and POST /api/checksums/{entity}; docs/openapi.yaml).
// Errors: kUnavailable (the hub did not answer, or answered 5xx), kInvalidArgument (the hub
// refused the request: 4xx, with its message), kInternal (an answer of another shape).
// Thread safety: none; one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/core/status.hpp"
#include "connector/core/reconcile.hpp"

namespace httplib {
class Client;
}

namespace synchub {

class HubReader {
 public:
  // `api_url`: "http://HOST:PORT" (the connector's "api").
  // `token`: the source's bearer token ("" sends none).
  HubReader(const std::string& api_url, const std::string& token);
  ~HubReader();

  // The canonical records of `entity` in `range` (tombstones included), in key order.
  StatusOr<std::vector<connector::HubRow>> Records(const std::string& entity,
                                                   const connector::KeyRange& range);
  // The hub's checksum of each range over `fields` (common/core/range_checksum.hpp), in order.
  StatusOr<std::vector<connector::RangeSum>> Checksums(
      const std::string& entity, const std::vector<std::string>& fields,
      const std::vector<connector::KeyRange>& ranges);

 private:
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace synchub
