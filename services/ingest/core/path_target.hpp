// Request targets as the gateway routes them: the path of the raw target split into segments,
// each matched against a route's path template and percent-decoded on its own. Pure: no I/O.
//
// The invariant (docs/design.md, "Path parameters"): a route is matched on the RAW request
// target, split on "/" first, each segment percent-decoded afterwards (RFC 3986 section 2.1 for
// percent-encoding, 3.3 for the path's segments). "%2F" inside a segment is data, never a
// separator: /api/records/client/A%2Fhistory names the record "A/history", not the history of
// "A". Decoding the whole path before splitting it (what cpp-httplib's Request::path holds)
// loses that difference.
//
// Thread safety: none needed (no state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.hpp"

namespace synchub {

// The path of `target`, a request target in origin-form (RFC 9112 section 3.2.1:
// absolute-path [ "?" query ]): everything before the first "?", without its leading "/",
// split on every "/" into segments that are still percent-encoded.
//   "/api/records/A%2Fb?x=1" -> {"api", "records", "A%2Fb"}
//   "/" -> {""}      "/a//b/" -> {"a", "", "b", ""}
// Returns nullopt when `target` does not start with "/" (the asterisk-form "*", an
// absolute-form "http://host/..."): no route matches those.
// The views point into `target` and live as long as it does.
std::optional<std::vector<std::string_view>> SplitRawPath(std::string_view target);

// `segment` percent-decoded (RFC 3986 section 2.1: "%" HEXDIG HEXDIG is that octet, hex digits
// in either case). Every other byte stays as it is, "+" included: "+" means a space only in a
// form-encoded query, never in a path.
// Returns nullopt when `segment` is malformed: a "%" not followed by two hex digits ("%ZZ", a
// truncated "%4" or "%"), a NUL octet once decoded ("%00", or a raw NUL byte), or bytes that are
// not UTF-8 once decoded ("%FF"): every path parameter of the API is text, which PostgreSQL and
// JSON hold as UTF-8 without U+0000.
std::optional<std::string> DecodePathSegment(std::string_view segment);

// How `raw_segments` (SplitRawPath's) compare with `path_template`, a path as
// docs/openapi.yaml writes it ("/api/records/{entity}/{externalId}": each "{name}" is a whole
// segment, every other segment a literal).
// Returns nullopt when the target is not of the template's shape: another number of segments,
// an empty segment where a parameter stands, or a segment that differs from the literal once
// decoded ("%68istory" is "history": percent-encoded unreserved characters are equivalent to
// the characters themselves, RFC 3986 section 6.2.2.2).
// Otherwise the parameters' values, DecodePathSegment'ed, in the template's order; or, when
// one does not decode, kInvalidArgument with reason "invalid_path_parameter" and key the
// parameter's name ("externalId"), for the first such parameter from the left.
// REQUIRES: `path_template` starts with "/"; every "{" opens a segment-long "{name}".
std::optional<StatusOr<std::vector<std::string>>> MatchPathTemplate(
    std::string_view path_template, const std::vector<std::string_view>& raw_segments);

}  // namespace synchub
