// Outcome: what the resolution ladder decided for one event (SPEC section 3).
#pragma once

#include <optional>
#include <string_view>

namespace synchub {

enum class Outcome {
  kNewRecord,    // rung 1: no canonical record; the event is inserted
  kVersionWin,   // rung 2: newer version; the event's fields patch the record
  kStaleSkip,    // rung 3: older version; nothing changes
  kFieldMerge,   // rung 4: same version, no conflicting field; new fields are added
  kPriorityWin,  // rung 5: same version, conflicts decided per field by source priority
  kManual,       // rung 6: a conflict at equal priority; nothing applied, logged for review
  kDeferred,     // rung 0: a referenced record is missing or deleted; retried later
};

// "NEW_RECORD", "VERSION_WIN", ... as SPEC and the HTTP API spell them.
std::string_view OutcomeName(Outcome outcome);
// The inverse of OutcomeName; nullopt for an unknown name.
std::optional<Outcome> OutcomeFromName(std::string_view name);

}  // namespace synchub
