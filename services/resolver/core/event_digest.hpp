// EventDigest: the digest kept with an idempotency key (SPEC section 4).
//
// The key of an event is (source, eventId). A resend "with the same content" is one whose
// digest equals the digest kept with the key; then it gets the first answer again. Any other
// content under the same key is a reuse, refused with event_id_reused.
//
// "The same content" is JSON equality (SPEC section 1) of what the event asks for: entity,
// externalId, source, version, op and fields. The digest is SHA-256 (FIPS 180-4, libsodium's
// crypto_hash_sha256) of the event's normal form, EventNormalForm below. The eventId itself is
// not part of it (it is the key).
//
// Pure functions: no I/O, no clock. Thread-safe.
#pragma once

#include <string>

#include "common/core/event.hpp"

namespace synchub {

// The normal form: compact JSON, object keys in byte order at every depth,
//   {"entity":..,"externalId":..,"fields":{..},"op":"upsert"|"delete","source":..,"version":N}
// with every number written by value: an integer as its digits ("1.00" and "1" give "1"), any
// other number with its trailing fractional zeros removed ("1.50" gives "1.5"), so that two
// events equal under JSON equality have the same normal form, and two that differ do not.
std::string EventNormalForm(const Event& event);

// SHA-256 of EventNormalForm(event): 32 raw bytes.
std::string EventDigest(const Event& event);

// Lower-case hex of a digest (64 characters for EventDigest's 32 bytes).
std::string DigestHex(const std::string& digest);

}  // namespace synchub
