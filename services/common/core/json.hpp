// The JSON value type synchub uses for field values, and strict parsing of request bodies.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/core/flat_map.hpp"
#include "common/core/status.hpp"

namespace synchub {

// A JSON value. Equality is JSON equality: 1 == 1.0, object key order never matters.
using Json = nlohmann::json;

// Field name -> value, ordered by name; look up by string_view. A flat sorted vector
// (flat_map.hpp): records are copied often and walked in order.
using FieldMap = FlatStringMap<Json>;

struct JsonLimits {
  // Bodies larger than this are rejected with reason "body_too_large" (HTTP 413).
  std::size_t max_body_bytes = 1024 * 1024;
  // The top-level value is depth 1; a container inside it is depth 2, and so on.
  int max_depth = 32;
};

// Parses `text` as one JSON value under `limits`.
// Returns the value, or kInvalidArgument with reason
//   "body_too_large" (key empty), "invalid_json" (key empty; message says where),
//   "too_deep" (key = the top-level key under which the limit was passed),
//   "duplicate_key" (key = the repeated key).
// Invalid UTF-8, NaN/Infinity, trailing garbage and empty input are "invalid_json".
StatusOr<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits = {});

}  // namespace synchub
