#include "resolver/core/conflict_staleness.hpp"

namespace synchub {
namespace {

const Json& FieldsOf(const Json& value) {
  static const Json kNone = Json::object();
  auto it = value.find("fields");
  return it != value.end() && it->is_object() ? *it : kNone;
}

Json FieldOrNull(const Json& fields, const std::string& name) {
  auto it = fields.find(name);
  return it != fields.end() ? *it : Json();
}

}  // namespace

std::optional<std::string> FieldChangedSinceConflict(const Json& event, const Json& canonical_then,
                                                     const Json& record_now) {
  const Json& then_fields = FieldsOf(canonical_then);
  const Json& now_fields = FieldsOf(record_now);
  for (auto it = FieldsOf(event).begin(); it != FieldsOf(event).end(); ++it) {
    if (!JsonEqual(FieldOrNull(then_fields, it.key()), FieldOrNull(now_fields, it.key()))) {
      return it.key();
    }
  }
  if (canonical_then.value("deleted", false) != record_now.value("deleted", false)) {
    return std::string("_deleted");
  }
  return std::nullopt;
}

}  // namespace synchub
