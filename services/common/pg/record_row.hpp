// A canonical_record row as a CanonicalRecord: the one reading of the table's columns, shared
// by the resolver (which resolves against it), the gateway and synchub-outbound (reverse load).
// Thread safety: none needed (no state).
#pragma once

#include <cstdint>
#include <pqxx/pqxx>

#include "common/core/record.hpp"

namespace synchub {

// The select list CanonicalRecordFromRow reads, in order, over canonical_record AS c.
inline constexpr const char* kCanonicalRecordColumns =
    "c.entity, c.external_id, c.fields::text, c.provenance::text, c.version, c.last_source, "
    "c.row_version, c.field_versions::text";

// The record of a row selected with kCanonicalRecordColumns; `*etag` gets its row_version.
// Fields written before per-field versions count as written at the record's version.
// Throws what pqxx and the JSON reader throw for a row of another shape.
CanonicalRecord CanonicalRecordFromRow(const pqxx::row& row, std::int64_t* etag);

}  // namespace synchub
