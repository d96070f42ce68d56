// The body of POST /api/checksums/{entity}, validated (SPEC section 2 style: the first
// violation is refused, naming its key). Pure: no I/O. Thread safety: none needed (no state).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "ingest/core/store_rows.hpp"

namespace synchub {

inline constexpr std::size_t kMaxChecksumFields = 256;
inline constexpr std::size_t kMaxChecksumRanges = 1000;

// {"fields":["email",...],"ranges":[{"after":"","upTo":"CUST-500"},{"after":"CUST-500","upTo":null}]}
struct ChecksumRequest {
  // Distinct valid field names ([A-Za-z][A-Za-z0-9_]{0,63}), in the order sent. Safe to embed
  // in SQL as literals.
  std::vector<std::string> fields;
  std::vector<KeyRange> ranges;  // in the order sent
};

// Reads `body` (a JSON object, strictly parsed). Returns the request, or kInvalidArgument
// naming the first offending key, with reason:
//   missing       "fields", "ranges", "ranges[i].after" or "ranges[i].upTo" is absent;
//   wrong_type    "fields" or "ranges" is not an array, "fields[i]" or "ranges[i].after" not
//                 a string, "ranges[i].upTo" neither a string nor null, "ranges[i]" not an
//                 object;
//   empty         "fields" is [];
//   too_many_fields / too_many_ranges   more than kMaxChecksumFields / kMaxChecksumRanges;
//   reserved_field      "fields[i]" starts with '_';
//   invalid_field_name  "fields[i]" is not a field name;
//   duplicate_field     "fields[i]" names a field listed before;
//   unknown_key   a key the request does not define (at the top level, or "ranges[i].<key>").
StatusOr<ChecksumRequest> ChecksumRequestFromJson(const Json& body);

}  // namespace synchub
