// CanonicalRecord: the hub's source of truth for one (entity, externalId).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

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
  // Field name -> the version of the event that wrote the field's value (SPEC section 3,
  // rung 4: at the same version only a value written at that version conflicts). Complete for
  // records the ladder built; a field missing here was written at `version` (FieldVersion).
  FlatStringMap<std::int64_t> field_versions;
  std::int64_t version = 0;
  std::string last_source;

  bool deleted() const;
  // The version that wrote field `name`: its field_versions entry, else `version`.
  std::int64_t FieldVersion(std::string_view name) const;
  bool operator==(const CanonicalRecord&) const = default;
};

// The record as the API shows it: {"entity","externalId","version","lastSource","deleted",
// "fields":{... without _deleted ...},"provenance":{... including _deleted ...},
// "fieldVersions":{... including _deleted ...}}. Every field has a provenance and a version.
Json RecordToJson(const CanonicalRecord& record);

// RecordToJson(record).dump(), written directly (the same value; faster on hot paths).
std::string RecordJsonText(const CanonicalRecord& record);

// The inverse of RecordToJson. Returns kInvalidArgument naming the key that is missing or of
// the wrong type. "fieldVersions" is optional (records logged before per-field versions):
// a field without an entry was written at the record's version.
StatusOr<CanonicalRecord> RecordFromJson(const Json& value);

}  // namespace synchub
