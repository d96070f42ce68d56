// Whether resolving a conflict for the incoming side would overwrite newer data. Pure.
#pragma once

#include <optional>
#include <string>

#include "common/core/json.hpp"

namespace synchub {

// `event` is the conflicting event (canonical JSON: "fields", "op"), `canonical_then` the
// canonical record when the conflict was logged and `record_now` the record today (both in
// API form: "fields" without "_deleted", "deleted"). Returns the first of the event's fields,
// in name order, whose value today differs from its value then ("_deleted" when the record
// was deleted or restored since), or nullopt when taking the event's side would overwrite
// nothing that changed after the conflict.
std::optional<std::string> FieldChangedSinceConflict(const Json& event, const Json& canonical_then,
                                                     const Json& record_now);

}  // namespace synchub
