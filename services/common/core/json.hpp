// The JSON value type synchub uses for field values, and strict parsing of request bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/core/flat_map.hpp"
#include "common/core/status.hpp"

namespace synchub {

// A JSON value.
//
// Numbers are exact (SPEC section 1; exact_number.hpp): an integer that fits 64 bits is held
// as a JSON integer; every other number (a fraction, an exponent, a big integer) is held as
// an *exact number*: its normal-form text in a binary value of subtype kExactNumberSubtype,
// which no JSON text can produce. So:
//   - compare values with JsonEqual (numeric: 1 == 1.0 == 1.00), never with operator==;
//   - write values with JsonText / JsonWriter::Value, never with dump();
//   - read JSON text with ParseJsonStrict or ParseStoredJson, never with Json::parse.
using Json = nlohmann::json;

// The binary subtype that marks an exact number.
inline constexpr std::uint8_t kExactNumberSubtype = 0x4e;  // 'N'

// An exact number from its normal-form text (NormalizeNumberText). A text that is a 64-bit
// integer gives a plain JSON integer instead, so each value has one representation.
// REQUIRES: `normal` is in normal form.
Json ExactNumber(std::string_view normal);

// True for an exact number (not for plain JSON integers).
bool IsExactNumber(const Json& value);

// True for any JSON number: integer, exact number or (built in code) a double.
bool IsJsonNumber(const Json& value);

// The normal-form text of any JSON number. REQUIRES: IsJsonNumber(value).
std::string NumberText(const Json& value);

// JSON equality (SPEC section 1): numbers by value (1 == 1.0 == 1.00), objects by their
// members whatever the order, arrays element by element, strings byte for byte.
bool JsonEqual(const Json& a, const Json& b);

// The JSON text of `value`, compact, object keys in order, exact numbers as their digits.
// Strings holding invalid UTF-8 (never produced by the parsers here) get U+FFFD in place of
// each bad byte.
std::string JsonText(const Json& value);
// Appends JsonText(value) to `out`.
void AppendJsonText(const Json& value, std::string* out);

// Field name -> value, ordered by name; look up by string_view. A flat sorted vector
// (flat_map.hpp): records are copied often and walked in order.
using FieldMap = FlatStringMap<Json>;

struct JsonLimits {
  // Bodies larger than this are rejected with reason "body_too_large" (HTTP 413).
  std::size_t max_body_bytes = 1024 * 1024;
  // The top-level value is depth 1; a container inside it is depth 2, and so on.
  int max_depth = 32;
};

// Parses `text` as one JSON value under `limits`, numbers exactly.
// Returns the value, or kInvalidArgument with reason
//   "body_too_large" (key empty), "invalid_json" (key empty; message says where),
//   "too_deep" (key = the top-level key under which the limit was passed),
//   "duplicate_key" (key = the repeated key),
//   "number_not_storable" (a number with more than 1000 digits before or after the point, or
//     a magnitude of 1.8e308 or more, which the JSON lexer cannot read),
//   "value_not_storable" (a string or key holding U+0000, which PostgreSQL cannot store),
//   "value_too_large" (numbers in normal form would take more than max_body_bytes more).
// For the value errors the key is the field: the top-level key, or, under a top-level
// "fields" object, the key inside it.
// Invalid UTF-8, NaN/Infinity, trailing garbage and empty input are "invalid_json".
StatusOr<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits = {});

// Parses JSON text that synchub itself stored or sent (jsonb columns, protobuf fields written
// by JsonText), numbers exactly, with no size limit.
// Returns the value; throws std::invalid_argument when `text` is not valid JSON.
Json ParseStoredJson(std::string_view text);

// Like ParseStoredJson, but returns a discarded value (is_discarded() is true) instead of
// throwing.
Json TryParseStoredJson(std::string_view text);

}  // namespace synchub
