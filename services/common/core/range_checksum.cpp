#include "common/core/range_checksum.hpp"

#include <algorithm>

namespace synchub {
namespace {

// A jsonb value in the normal form of the row text.
std::string NormalValueSql(const std::string& jsonb_sql) {
  return "CASE jsonb_typeof(" + jsonb_sql + ") WHEN 'number' THEN trim_scale((" + jsonb_sql +
         " #>> '{}')::numeric)::text ELSE coalesce((" + jsonb_sql + ")::text, 'null') END";
}

}  // namespace

std::string RowHashSql(const std::string& key_sql, const std::string& version_sql,
                       std::vector<ChecksumField> fields) {
  std::sort(fields.begin(), fields.end(),
            [](const ChecksumField& a, const ChecksumField& b) { return a.name < b.name; });
  std::string text = "(" + key_sql + ") || E'\\x1e' || (" + version_sql + ")::text || E'\\x1e'";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text += " || E'\\x1f'";
    text += " || '" + fields[i].name + "=' || " + NormalValueSql(fields[i].jsonb_sql);
  }
  return "('x' || left(md5(" + text + "), 16))::bit(64)::bigint";
}

std::string RangeChecksumSelectSql(const std::string& row_hash_sql) {
  return "count(*)::bigint, coalesce(bit_xor(" + row_hash_sql + "), 0)::bigint";
}

}  // namespace synchub
