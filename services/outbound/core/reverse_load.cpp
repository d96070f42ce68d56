#include "outbound/core/reverse_load.hpp"

namespace synchub {

SubscribeDecision DecideSubscribe(const CursorState& cursor, std::optional<bool> resume_known) {
  if (cursor.load_in_progress) return {SessionStart::kResumeLoad, cursor.load_reason};
  if (!cursor.exists) return {SessionStart::kStartLoad, "first subscription"};
  if (cursor.reload_requested) return {SessionStart::kStartLoad, "reload requested"};
  if (resume_known.has_value() && !*resume_known) {
    return {SessionStart::kStartLoad, kSourceAheadReason};
  }
  return {SessionStart::kStream, ""};
}

}  // namespace synchub
