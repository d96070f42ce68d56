#include "connector/connector_config.hpp"

#include <algorithm>
#include <initializer_list>
#include <regex>
#include <string_view>

#include "common/core/event_parse.hpp"
#include "common/core/json.hpp"

namespace synchub {
namespace {

bool IsIdentifier(const std::string& name) {
  static const std::regex kIdentifier("[A-Za-z_][A-Za-z0-9_]{0,62}");
  return std::regex_match(name, kIdentifier);
}

Status Bad(const std::string& key, const std::string& message) {
  return Status::InvalidArgument(key, "invalid_config", key + ": " + message);
}

// The first key of `object` that is not in `known` (a typo would otherwise be ignored
// silently and its setting left at the default), or nullptr.
const std::string* UnknownKey(const Json& object, std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) return &it.key();
  }
  return nullptr;
}

}  // namespace

const EntityMapping* ConnectorConfig::ForEntity(const std::string& entity) const {
  for (const auto& mapping : entities) {
    if (mapping.entity == entity) return &mapping;
  }
  return nullptr;
}

StatusOr<ConnectorConfig> ParseConnectorConfig(const std::string& text) {
  auto parsed = ParseJsonStrict(text);
  if (!parsed.ok()) return parsed.status();
  const Json& root = *parsed;
  if (!root.is_object()) return Bad("", "the configuration is a JSON object");
  if (const std::string* key = UnknownKey(
          root, {"source", "database", "submit", "outbound", "push_backoff_ms", "entities"})) {
    return Bad(*key,
               "unknown key (known: source, database, submit, outbound, push_backoff_ms, "
               "entities)");
  }
  ConnectorConfig config;
  auto text_of = [&](const Json& object, const char* key, std::string* out) -> Status {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Bad(key, "a non-empty string is required");
    }
    *out = it->get<std::string>();
    return Status::Ok();
  };
  for (auto [key, out] :
       {std::pair{"source", &config.source}, std::pair{"database", &config.database},
        std::pair{"submit", &config.submit_endpoint},
        std::pair{"outbound", &config.outbound_endpoint}}) {
    if (Status status = text_of(root, key, out); !status.ok()) return status;
  }
  if (auto backoff = root.find("push_backoff_ms"); backoff != root.end()) {
    if (!backoff->is_number_integer() || backoff->get<std::int64_t>() < 1 ||
        backoff->get<std::int64_t>() > 60000) {
      return Bad("push_backoff_ms", "an integer from 1 to 60000 is required");
    }
    config.push_backoff_ms = backoff->get<int>();
  }
  auto entities = root.find("entities");
  if (entities == root.end() || !entities->is_array() || entities->empty()) {
    return Bad("entities", "a non-empty array is required");
  }
  for (const auto& item : *entities) {
    if (!item.is_object()) return Bad("entities", "each entry is an object");
    if (const std::string* key =
            UnknownKey(item, {"entity", "table", "key", "version", "fields"})) {
      return Bad(*key, "unknown key in an entity (known: entity, table, key, version, fields)");
    }
    EntityMapping mapping;
    for (auto [key, out] :
         {std::pair{"entity", &mapping.entity}, std::pair{"table", &mapping.table},
          std::pair{"key", &mapping.key_column}, std::pair{"version", &mapping.version_column}}) {
      if (Status status = text_of(item, key, out); !status.ok()) return status;
    }
    for (const std::string* name : {&mapping.table, &mapping.key_column, &mapping.version_column}) {
      if (!IsIdentifier(*name)) return Bad(*name, "not a plain SQL identifier");
    }
    auto fields = item.find("fields");
    if (fields == item.end() || !fields->is_object() || fields->empty()) {
      return Bad("fields", "an object mapping columns to field names is required");
    }
    for (auto it = fields->begin(); it != fields->end(); ++it) {
      if (!IsIdentifier(it.key())) return Bad(it.key(), "not a plain SQL identifier");
      if (!it->is_string() || !IsValidFieldName(it->get<std::string>())) {
        return Bad(it.key(), "maps to an invalid field name");
      }
      mapping.columns_to_fields.emplace(it.key(), it->get<std::string>());
    }
    config.entities.push_back(std::move(mapping));
  }
  return config;
}

std::string SetupSql(const ConnectorConfig& config) {
  std::string sql = R"sql(
CREATE TABLE IF NOT EXISTS synchub_outbox (
  id              bigserial PRIMARY KEY,
  entity          text NOT NULL,
  external_id     text NOT NULL,
  op              text NOT NULL CHECK (op IN ('upsert', 'delete')),
  version         bigint NOT NULL,
  fields          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  retry_count     integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  parked          boolean NOT NULL DEFAULT false,
  reported_at     timestamptz,  -- a parked row reported to the hub as a dead letter
  last_error      text
);
CREATE INDEX IF NOT EXISTS synchub_outbox_pending ON synchub_outbox (id)
  WHERE sent_at IS NULL AND NOT parked;
CREATE TABLE IF NOT EXISTS synchub_applied (
  entity      text NOT NULL,
  external_id text NOT NULL,
  etag        bigint NOT NULL,
  PRIMARY KEY (entity, external_id)
);
CREATE TABLE IF NOT EXISTS synchub_connector (
  installation text PRIMARY KEY DEFAULT md5(random()::text || clock_timestamp()::text),
  last_seq     bigint NOT NULL DEFAULT 0
);
INSERT INTO synchub_connector (last_seq) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM synchub_connector);
)sql";
  for (const auto& mapping : config.entities) {
    const std::string& t = mapping.table;
    const std::string& v = mapping.version_column;
    std::string fields;
    for (const auto& [column, field] : mapping.columns_to_fields) {
      fields += (fields.empty() ? "" : ", ") + std::string("'") + field + "', NEW." + column;
    }
    sql += "CREATE OR REPLACE FUNCTION synchub_bump_" + t +
           "() RETURNS trigger AS $f$\n"
           "BEGIN\n"
           "  IF current_setting('synchub.inbound', true) = 'on' THEN RETURN NEW; END IF;\n"
           "  IF TG_OP = 'INSERT' THEN\n"
           "    IF NEW." +
           v + " IS NULL THEN NEW." + v +
           " := 1; END IF;\n"
           "  ELSIF NEW." +
           v + " IS NOT DISTINCT FROM OLD." + v +
           " THEN\n"
           "    NEW." +
           v + " := OLD." + v +
           " + 1;\n"
           "  END IF;\n"
           "  RETURN NEW;\n"
           "END $f$ LANGUAGE plpgsql;\n"
           "CREATE OR REPLACE TRIGGER synchub_bump BEFORE INSERT OR UPDATE ON " +
           t + " FOR EACH ROW EXECUTE FUNCTION synchub_bump_" + t +
           "();\n"
           "CREATE OR REPLACE FUNCTION synchub_capture_" +
           t +
           "() RETURNS trigger AS $f$\n"
           "BEGIN\n"
           "  IF current_setting('synchub.inbound', true) = 'on' THEN RETURN NULL; END IF;\n"
           "  IF TG_OP = 'DELETE' THEN\n"
           "    INSERT INTO synchub_outbox (entity, external_id, op, version, fields)\n"
           "    VALUES ('" +
           mapping.entity + "', OLD." + mapping.key_column + "::text, 'delete', OLD." + v +
           " + 1, '{}');\n"
           "  ELSE\n"
           "    INSERT INTO synchub_outbox (entity, external_id, op, version, fields)\n"
           "    VALUES ('" +
           mapping.entity + "', NEW." + mapping.key_column + "::text, 'upsert', NEW." + v +
           ", jsonb_build_object(" + fields +
           "));\n"
           "  END IF;\n"
           "  PERFORM pg_notify('synchub_outbox', '');\n"
           "  RETURN NULL;\n"
           "END $f$ LANGUAGE plpgsql;\n"
           "CREATE OR REPLACE TRIGGER synchub_capture AFTER INSERT OR UPDATE OR DELETE ON " +
           t + " FOR EACH ROW EXECUTE FUNCTION synchub_capture_" + t + "();\n";
  }
  return sql;
}

std::string UpsertSql(const EntityMapping& mapping) {
  std::string columns = mapping.key_column + ", " + mapping.version_column;
  std::string updates = mapping.version_column + " = EXCLUDED." + mapping.version_column;
  for (const auto& [column, field] : mapping.columns_to_fields) {
    columns += ", " + column;
    updates += ", " + column + " = EXCLUDED." + column;
  }
  return "INSERT INTO " + mapping.table + " (" + columns + ") SELECT " + columns +
         " FROM jsonb_populate_recordset(NULL::" + mapping.table + ", $1::jsonb) ON CONFLICT (" +
         mapping.key_column + ") DO UPDATE SET " + updates;
}

std::string DeleteSql(const EntityMapping& mapping) {
  return "DELETE FROM " + mapping.table + " WHERE " + mapping.key_column +
         "::text IN (SELECT jsonb_array_elements_text($1::jsonb))";
}

}  // namespace synchub
