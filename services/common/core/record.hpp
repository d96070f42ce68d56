// CanonicalRecord: the hub's source of truth for one (entity, externalId).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/core/event.hpp"
#include "common/core/json.hpp"

namespace synchub {

struct CanonicalRecord {
  std::string entity;
  std::string external_id;
  // Every field, including the reserved "_deleted" (always present once written).
  FieldMap fields;
  // Field name -> the source that set it (the ladder's per-field provenance).
  FlatStringMap<std::string> provenance;
  std::int64_t version = 0;
  std::string last_source;

  bool deleted() const;
  bool operator==(const CanonicalRecord&) const = default;
};

// The record as the API shows it: {"entity","externalId","version","lastSource","deleted",
// "fields":{... without _deleted ...},"provenance":{... including _deleted ...}}.
Json RecordToJson(const CanonicalRecord& record);

// RecordToJson(record).dump(), written directly (the same value; faster on hot paths).
std::string RecordJsonText(const CanonicalRecord& record);

// The inverse of RecordToJson. Returns kInvalidArgument naming the key that is missing or of
// the wrong type.
StatusOr<CanonicalRecord> RecordFromJson(const Json& value);

}  // namespace synchub
