// Entity tags and the conditional-request headers If-Match and If-None-Match (RFC 9110):
// parsing the field values, comparing tags and evaluating the conditions. Pure: no I/O, no
// clock, no state; every function is safe to call from any thread.
//
// The gateway's record routes parse the headers here before touching the database, and the
// store evaluates the parsed conditions on the locked row inside its transaction, so the
// comparison and the write are one atomic step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.hpp"

namespace synchub {

// One entity-tag (RFC 9110 section 8.8.3): an opaque string, strong or weak.
struct EntityTag {
  std::string opaque;  // what is between the quotes, without them; may be empty
  bool weak = false;   // written W/"..."

  friend bool operator==(const EntityTag&, const EntityTag&) = default;
};

// The tag the gateway sends for a record at row version (etag) `row_version`: strong, its
// opaque part the decimal digits, `"17"` on the wire. Every ETag header of the record routes
// is FormatEntityTag(RecordEntityTag(etag)).
EntityTag RecordEntityTag(std::int64_t row_version);

// The field-value form of `tag`: "\"17\"" or "W/\"17\"".
// REQUIRES: tag.opaque holds only etagc characters (no '"', no control characters).
std::string FormatEntityTag(const EntityTag& tag);

// RFC 9110 section 8.8.3.2. Strong comparison: both tags strong and their opaque parts equal.
bool StrongMatch(const EntityTag& a, const EntityTag& b);
// Weak comparison: the opaque parts equal, whether either tag is weak or not.
bool WeakMatch(const EntityTag& a, const EntityTag& b);

// The value of an If-Match or If-None-Match field: "*" or a non-empty list of entity-tags.
struct EntityTagList {
  bool any = false;             // the field value was "*"; `tags` is then empty
  std::vector<EntityTag> tags;  // in the order sent, duplicates kept; empty when `any`

  friend bool operator==(const EntityTagList&, const EntityTagList&) = default;
};

// Parses the value of an If-Match or If-None-Match field named `header_name`:
//   If-Match = "*" / #entity-tag     (RFC 9110 section 13.1.1; 13.1.2 is the same)
//   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE,  etagc = %x21 / %x23-7E / %x80-FF
//   #element = [ element ] *( OWS "," OWS [ element ] )   (section 5.6.1), OWS = *( SP / HTAB )
// Whitespace around the value and around each comma is ignored; empty list elements ("a",,"b")
// are ignored as section 5.6.1.2 asks of recipients. "W/" is case-sensitive and takes no space
// before the quote. Comparison does not interpret the opaque part: `"abc"` parses, it just
// never matches a record's tag.
// Returns the list, or kInvalidArgument (key `header_name`, reason "invalid_etag") when the
// value is not "*" nor a list of entity-tags: an unquoted tag (17), an unterminated quote, "W/"
// without a tag, two tags without a comma, "*" beside a tag, a character outside etagc in a tag,
// or no tag at all (an empty value or only commas: RFC 9110 allows an empty list, but a client
// that sends one has lost its tags, and RFC 7232 wrote 1#entity-tag).
StatusOr<EntityTagList> ParseEntityTagList(std::string_view field_value,
                                           std::string_view header_name);

// RFC 9110 section 13.1.1. `current` is the tag of the selected representation; nullopt when
// there is none. True when the list is "*" and `current` exists, or when a listed tag STRONGLY
// matches `current` (a weak tag never does). False otherwise, always when `current` is nullopt.
bool IfMatchHolds(const EntityTagList& if_match, const std::optional<EntityTag>& current);

// RFC 9110 section 13.1.2. False when the list is "*" and `current` exists, or when a listed tag
// WEAKLY matches `current` (W/"17" matches "17"). True otherwise, always when `current` is
// nullopt.
bool IfNoneMatchHolds(const EntityTagList& if_none_match, const std::optional<EntityTag>& current);

// The conditions of one request on one resource; an absent header is nullopt.
struct Preconditions {
  std::optional<EntityTagList> if_match;
  std::optional<EntityTagList> if_none_match;

  // True when neither header was sent.
  bool empty() const { return !if_match && !if_none_match; }
};

// What a request's conditions say to do, evaluated in RFC 9110 section 13.2.2's order.
enum class PreconditionOutcome {
  kProceed,            // every condition sent holds: perform the method
  kIfMatchFailed,      // If-Match is false: 412, whatever the method
  kIfNoneMatchFailed,  // If-None-Match is false: 304 for GET and HEAD, 412 for other methods
};

// RFC 9110 section 13.2.2 steps 1 and 3 (the date conditions of steps 2 and 4 are not
// supported): If-Match first, then If-None-Match; an absent header holds. `current` as for
// IfMatchHolds. The step-1 exception for a state change that has already succeeded is not
// applied: a repeated write gets kIfMatchFailed.
PreconditionOutcome EvaluatePreconditions(const Preconditions& preconditions,
                                          const std::optional<EntityTag>& current);

}  // namespace synchub
