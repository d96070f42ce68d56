#include "common/pg/record_row.hpp"

namespace synchub {

CanonicalRecord CanonicalRecordFromRow(const pqxx::row& row, std::int64_t* etag) {
  CanonicalRecord record;
  record.entity = row[0].as<std::string>();
  record.external_id = row[1].as<std::string>();
  const Json fields = ParseStoredJson(row[2].as<std::string>());
  for (auto it = fields.begin(); it != fields.end(); ++it) record.fields.emplace(it.key(), *it);
  const Json provenance = ParseStoredJson(row[3].as<std::string>());
  for (auto it = provenance.begin(); it != provenance.end(); ++it) {
    record.provenance.emplace(it.key(), it->get<std::string>());
  }
  record.version = row[4].as<std::int64_t>();
  record.last_source = row[5].as<std::string>();
  *etag = row[6].as<std::int64_t>();
  const Json versions = ParseStoredJson(row[7].as<std::string>());
  for (auto it = versions.begin(); it != versions.end(); ++it) {
    if (it->is_number_integer()) record.field_versions.emplace(it.key(), it->get<std::int64_t>());
  }
  for (const auto& [name, value] : record.fields)
    record.field_versions.emplace(name, record.version);
  return record;
}

}  // namespace synchub
