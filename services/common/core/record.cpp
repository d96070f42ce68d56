#include "common/core/record.hpp"

#include "common/core/json_writer.hpp"

namespace synchub {

bool CanonicalRecord::deleted() const {
  auto it = fields.find(kDeletedField);
  return it != fields.end() && it->second.is_boolean() && it->second.get<bool>();
}

std::int64_t CanonicalRecord::FieldVersion(std::string_view name) const {
  auto it = field_versions.find(name);
  return it == field_versions.end() ? version : it->second;
}

Json RecordToJson(const CanonicalRecord& record) {
  Json fields = Json::object();
  for (const auto& [name, value] : record.fields) {
    if (name != kDeletedField) fields[name] = value;
  }
  Json provenance = Json::object();
  for (const auto& [name, source] : record.provenance) provenance[name] = source;
  Json versions = Json::object();
  for (const auto& [name, value] : record.fields) versions[name] = record.FieldVersion(name);
  return {{"entity", record.entity},
          {"externalId", record.external_id},
          {"version", record.version},
          {"lastSource", record.last_source},
          {"deleted", record.deleted()},
          {"fields", std::move(fields)},
          {"provenance", std::move(provenance)},
          {"fieldVersions", std::move(versions)}};
}

std::string RecordJsonText(const CanonicalRecord& record) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("entity").String(record.entity);
  writer.Key("externalId").String(record.external_id);
  writer.Key("version").Int(record.version);
  writer.Key("lastSource").String(record.last_source);
  writer.Key("deleted").Bool(record.deleted());
  writer.Key("fields").BeginObject();
  for (const auto& [name, value] : record.fields) {
    if (name != kDeletedField) writer.Key(name).Value(value);
  }
  writer.EndObject();
  writer.Key("provenance").BeginObject();
  for (const auto& [name, source] : record.provenance) writer.Key(name).String(source);
  writer.EndObject();
  writer.Key("fieldVersions").BeginObject();
  for (const auto& [name, value] : record.fields) writer.Key(name).Int(record.FieldVersion(name));
  writer.EndObject();
  writer.EndObject();
  return writer.Take();
}

StatusOr<CanonicalRecord> RecordFromJson(const Json& value) {
  auto bad = [](const char* key, const char* what) {
    return Status::InvalidArgument(key, "wrong_type", std::string(key) + ": " + what);
  };
  if (!value.is_object()) return Status::InvalidArgument("", "not_object", "not a JSON object");
  CanonicalRecord record;
  auto text = [&](const char* key, std::string* out) {
    auto it = value.find(key);
    if (it == value.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!text("entity", &record.entity)) return bad("entity", "must be a string");
  if (!text("externalId", &record.external_id)) return bad("externalId", "must be a string");
  if (!text("lastSource", &record.last_source)) return bad("lastSource", "must be a string");
  auto version = value.find("version");
  if (version == value.end() || !version->is_number_integer()) {
    return bad("version", "must be an integer");
  }
  record.version = version->get<std::int64_t>();
  auto fields = value.find("fields");
  if (fields == value.end() || !fields->is_object()) return bad("fields", "must be an object");
  for (const auto& [name, field] : fields->items()) record.fields.emplace(name, field);
  auto deleted = value.find("deleted");
  if (deleted == value.end() || !deleted->is_boolean()) return bad("deleted", "must be a boolean");
  record.fields.insert_or_assign(std::string(kDeletedField), *deleted);
  auto provenance = value.find("provenance");
  if (provenance == value.end() || !provenance->is_object()) {
    return bad("provenance", "must be an object");
  }
  for (const auto& [name, source] : provenance->items()) {
    if (!source.is_string()) return bad("provenance", "values must be source names");
    record.provenance.emplace(name, source.get<std::string>());
  }
  if (auto versions = value.find("fieldVersions"); versions != value.end()) {
    if (!versions->is_object()) return bad("fieldVersions", "must be an object");
    for (const auto& [name, field_version] : versions->items()) {
      if (!field_version.is_number_integer()) {
        return bad("fieldVersions", "values must be integer versions");
      }
      record.field_versions.emplace(name, field_version.get<std::int64_t>());
    }
  }
  for (const auto& [name, field] : record.fields)
    record.field_versions.emplace(name, record.version);
  return record;
}

}  // namespace synchub
