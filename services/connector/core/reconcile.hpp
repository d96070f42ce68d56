// Reconciliation's pure part (issue 14, docs/design.md "Reconciliation"): how a connector
// narrows the comparison of its table with the hub's canonical records down to the rows that
// differ, what each difference is, and how it is repaired. No I/O: the adapters compute the
// range checksums (common/core/range_checksum.hpp, the same SQL on both sides) and read rows.
// Thread safety: none needed (no state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/json.hpp"

namespace synchub::connector {

// The keys k with after < k <= up_to in byte order (up_to nullopt: to the end).
struct KeyRange {
  std::string after;
  std::optional<std::string> up_to;
  bool operator==(const KeyRange&) const = default;
};

// A range's checksum: live rows and the bit_xor of their row hashes.
struct RangeSum {
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
  bool operator==(const RangeSum&) const = default;
};

// A range whose sums differ is compared row by row once neither side holds more than
// `leaf_rows` rows in it; a larger one is split further.
bool CompareRowsOf(const RangeSum& local, const RangeSum& hub, std::int64_t leaf_rows);

// Splits `range` at `keys` (each inside the range; sorted and deduplicated here) into
// consecutive ranges covering exactly `range`. No keys: {range}.
std::vector<KeyRange> SplitAt(const KeyRange& range, std::vector<std::string> keys);

// A local row: its key, version (0 when NULL) and mapped fields {field: value}, SQL NULL as
// JSON null.
struct LocalRow {
  std::string key;
  std::int64_t version = 0;
  Json fields;
};

// A canonical record as the hub lists it (GET /api/records/{entity}).
struct HubRow {
  std::string key;
  std::int64_t version = 0;
  bool deleted = false;
  std::int64_t etag = 0;
  Json record;  // the record in API form
};

enum class Difference {
  kMissingLocally,  // the hub holds a live record this table lacks
  kMissingAtHub,    // this table holds a row the hub has no record of
  kDiffering,       // both hold the key: fields or version differ, or the hub deleted it
};

enum class Repair {
  kApplyCanonical,  // set the local row to the canonical record (an inbound write, no echo)
  kSubmitLocal,     // the local state is newer (or unknown to the hub): send it as an event
};

struct RowDifference {
  std::string key;
  Difference kind = Difference::kDiffering;
  Repair repair = Repair::kApplyCanonical;
  bool local_deleted = false;  // kSubmitLocal of a local delete (the key's tombstone)
  std::int64_t local_version = 0;
  std::int64_t hub_version = 0;
  std::vector<std::string> fields;  // kDiffering: the fields whose values differ
};

// Compares one range's rows. `fields`: the field names this source maps; a field missing from
// a record equals a NULL column. `tombstones`: the versions of keys deleted here. Rows equal
// when the versions are equal and every mapped field is JsonEqual. Repairs go by version:
// a local state with a higher version than the hub's (or a key the hub lacks) is submitted;
// otherwise the canonical record is applied (SPEC section 5: the hub's resolution is the
// truth; a source's newer change goes through the ladder).
std::vector<RowDifference> CompareRange(const std::vector<LocalRow>& local,
                                        const std::vector<HubRow>& hub,
                                        const std::vector<std::string>& fields,
                                        const std::map<std::string, std::int64_t>& tombstones);

const char* DifferenceName(Difference kind);  // "missing_locally", "missing_at_hub", "differing"

}  // namespace synchub::connector
