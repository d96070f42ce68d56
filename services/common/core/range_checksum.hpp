// Range checksums: how the hub and a connector compare a table with the canonical records
// without sending every row (issue 14, docs/design.md "Reconciliation"). Both sides compute
// the same SQL expression, the hub over canonical_record.fields, a connector over its mapped
// columns, so that equal rows hash equal whatever the storage. Pure: builds SQL text only.
//
// The row text of a live record (a deleted record, a tombstone, is no row here):
//   key \x1e version \x1e name1=value1 \x1f name2=value2 ...
// over the fields the comparing source maps, in byte order of their names; each value in
// normal form: a number as PostgreSQL numeric text with trailing fractional zeros removed
// (trim_scale: 1, 1.0 and 1.00 are "1"; 1.50 is "1.5"; SPEC section 1), a missing field or a
// JSON null as "null", any other value as jsonb text (strings quoted and escaped; numbers nested
// in objects or arrays stay as jsonb prints them). The row hash is the first 64 bits of the
// MD5 of that text, as a signed bigint; a range's checksum is the row count and the bit_xor of
// its row hashes (pt-table-checksum's BIT_XOR), so it needs no ordering and merges ranges.
//
// A checksum can differ for rows that compare equal one by one (a nested 1.0 against 1): the
// comparison then reads those rows and finds them equal. Equal checksums with different rows
// need an MD5 prefix collision.
// Thread safety: none needed (no state).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace synchub {

// One field of the row: its name (a valid synchub field name, embedded as a literal) and the
// SQL expression of its value as jsonb (for example "c.fields->'email'" or "to_jsonb(t.email)").
struct ChecksumField {
  std::string name;
  std::string jsonb_sql;
};

// The SQL expression (bigint) of a row's hash. `key_sql` is a text expression, `version_sql` a
// bigint one; `fields` in any order (sorted here by name, byte order).
std::string RowHashSql(const std::string& key_sql, const std::string& version_sql,
                       std::vector<ChecksumField> fields);

// The select list of a range's checksum over rows whose hash is `row_hash_sql`:
// "count(*)::bigint, coalesce(bit_xor(<row hash>), 0)::bigint".
std::string RangeChecksumSelectSql(const std::string& row_hash_sql);

}  // namespace synchub
