#include "connector/core/connector_config.hpp"

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
  if (const std::string* key =
          UnknownKey(root, {"source", "database", "submit", "outbound", "api", "token", "curve",
                            "push_backoff_ms", "entities"})) {
    return Bad(*key,
               "unknown key (known: source, database, submit, outbound, api, token, curve, "
               "push_backoff_ms, "
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
  if (auto api = root.find("api"); api != root.end()) {
    if (!api->is_string() || (api->get<std::string>().rfind("http://", 0) != 0 &&
                              api->get<std::string>().rfind("https://", 0) != 0)) {
      return Bad("api", "the hub's HTTP API, as http://HOST:PORT, is required");
    }
    config.api_url = api->get<std::string>();
  }
  if (auto token = root.find("token"); token != root.end()) {
    if (!token->is_string() || token->get<std::string>().empty()) {
      return Bad("token", "the source's bearer token for the HTTP API, a string, is required");
    }
    config.api_token = token->get<std::string>();
  }
  if (auto curve = root.find("curve"); curve != root.end()) {
    if (!curve->is_object()) return Bad("curve", "an object of three key files is required");
    for (auto [key, out] :
         {std::pair{"secret_key_file", &config.curve_secret_key_file},
          std::pair{"submit_server_key_file", &config.curve_submit_server_key_file},
          std::pair{"outbound_server_key_file", &config.curve_outbound_server_key_file}}) {
      auto file = curve->find(key);
      if (file == curve->end() || !file->is_string() || file->get<std::string>().empty()) {
        return Bad(std::string("curve.") + key, "a key file's path is required");
      }
      *out = file->get<std::string>();
    }
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

std::string ColumnTypeWarning(const std::string& table, const std::string& column,
                              const std::string& type) {
  const std::string where = table + "." + column + " (" + type + "): ";
  if (type == "real" || type == "double precision") {
    return where +
           "a float column cannot hold every JSON number exactly; an inbound value that does "
           "not round-trip (more than 15-17 significant digits) is parked, never rounded. Use "
           "numeric to keep every digit.";
  }
  if (type.rfind("numeric(", 0) == 0) {
    return where +
           "numeric with a precision and scale keeps only that many digits; an inbound value "
           "with more is parked, never rounded. Use numeric without (p,s) to keep every digit.";
  }
  if (type == "money") {
    return where + "money rounds to the currency's decimals; such values are parked.";
  }
  if (type.rfind("character(", 0) == 0) {
    return where + "character(n) pads strings with spaces: the padded value is what syncs back.";
  }
  if (type == "smallint" || type == "integer" || type == "bigint") {
    return "";  // a fraction cannot go in, and PostgreSQL refuses it: the change is parked
  }
  return "";
}

bool ColumnTypeUnsupported(const std::string& type) { return type == "json"; }

}  // namespace synchub
