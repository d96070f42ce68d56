// Event: one submission from a source, already validated (see event_parse.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/json.hpp"

namespace synchub {

enum class Op { kUpsert, kDelete };

// "upsert" / "delete".
std::string_view OpName(Op op);

// The reserved field that carries a record's deletion: a delete writes `_deleted: true`,
// every upsert implicitly carries `_deleted: false`.
inline constexpr std::string_view kDeletedField = "_deleted";

// The source of people's edits and conflict resolutions (SPEC section 1): above every other
// source, and no source submits as it.
inline constexpr std::string_view kOperatorSource = "operator";

// The largest accepted version: 2^53, the largest integer every JSON parser keeps exactly.
inline constexpr std::int64_t kMaxVersion = std::int64_t{1} << 53;

struct Event {
  std::string event_id;  // Chosen by the submitter, or assigned by the hub; may be empty here.
  std::string entity = "client";
  std::string external_id;
  std::string source;
  std::int64_t version = 0;  // 1 .. kMaxVersion
  Op op = Op::kUpsert;
  FieldMap fields;  // User fields; never contains a key starting with '_'.
  // The credential that submitted it (docs/security.md: who did what), set by the gateway
  // from the caller's authenticated identity; 0 when unauthenticated (--insecure). Not part
  // of the event's content: EventDigest ignores it, so a resend under a rotated credential
  // is still the same event.
  std::int64_t credential_id = 0;

  // The value this event writes to `_deleted`.
  bool deleted() const { return op == Op::kDelete; }

  bool operator==(const Event&) const = default;
};

}  // namespace synchub

namespace synchub {

// The externalId a dependency field's value refers to: a string as is, an integer (of any
// size, or written 5.0) in decimal. Returns nullopt for null (no reference) and for any other type
// (REQUIRES a validated event, where other types were rejected with reason "invalid_reference").
std::optional<std::string> ReferencedId(const Json& value);

}  // namespace synchub
