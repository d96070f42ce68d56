// When a connector's session starts with a reverse load (docs/design.md, "Reverse load"): the
// source receives every canonical record of the entities it holds, tombstones included, and
// then the change stream from the position where the load began. Pure; thread safety: none
// needed (no state).
#pragma once

#include <optional>
#include <string>

#include "outbound/core/queued_change.hpp"

namespace synchub {

// What the hub keeps of a target source (outbound_cursor).
struct CursorState {
  bool exists = false;  // a row: the source subscribed before
  OutboundPosition position;
  bool load_in_progress = false;
  std::uint64_t load_xid = 0;
  std::string load_after_entity;
  std::string load_after_key;
  std::string load_reason;
  bool reload_requested = false;
};

enum class SessionStart {
  kStream,      // deliver the change stream after the acknowledged position
  kStartLoad,   // a new reverse load
  kResumeLoad,  // the load in progress, after its last acknowledged page
};

// The reason of a load started because the source is ahead of the hub's log.
inline constexpr const char* kSourceAheadReason = "source ahead of the hub's log";

struct SubscribeDecision {
  SessionStart start = SessionStart::kStream;
  std::string reason;  // kStartLoad, kResumeLoad: why the load runs
};

// `resume_known`: nullopt when the connector named no applied change (a fresh one), else
// whether the hub's resolution log holds the change it applied last. A change the log lacks
// means the source is ahead of the hub (its database was restored from an older backup): the
// source's applied etags no longer match the hub's, so it is reloaded.
// Order: a load in progress resumes; no cursor (first subscription), a requested reload or a
// source ahead of the log start a load; otherwise the stream resumes.
SubscribeDecision DecideSubscribe(const CursorState& cursor, std::optional<bool> resume_known);

}  // namespace synchub
