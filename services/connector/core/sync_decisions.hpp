// A connector's decisions, as pure functions: whether to apply a canonical state the hub sent,
// what to remember per key, when a delivery may be acknowledged, and when to give up retrying.
// The PostgreSQL adapter (inbound_applier.cpp, connector_sync.cpp) reads the state, asks here,
// and writes what was decided; the convergence simulation (convergence_sim_test.cpp) drives
// the same functions. No I/O, no clock. Thread-safe (no state).
//
// The invariant they keep (docs/design.md, "Convergence"): a source's copy of a key is
// replaced only by a canonical state newer than the one it holds, and never while the source
// holds a local change of that key that the hub has not answered; a state held back then is
// applied as soon as the answer came, unless the answer itself is newer. So once sources stop
// writing, each key ends holding the newest canonical state.
#pragma once

#include <cstdint>
#include <optional>

namespace synchub::connector {

// What a connector knows about one key (entity, externalId), all of it durable locally.
struct KeyState {
  // The etag of the newest canonical state applied here; 0 when none.
  std::int64_t applied_etag = 0;
  // True while a captured local change of the key is not yet answered by the hub
  // (synchub_outbox: sent_at IS NULL AND NOT parked).
  bool local_pending = false;
  // The etag of the newest canonical state held back while a local change was pending; 0 when
  // none (synchub_held).
  std::int64_t held_etag = 0;
};

enum class InboundAction {
  kApply,      // write the state locally and remember its etag
  kSkipOlder,  // an older state than the one applied (a late or duplicate redelivery)
  kHold,       // a local change is pending: keep the state (if newer than what is held)
};

// A canonical state with `etag` arrived for the key (a delivery from the outbound stream).
// The same etag as the applied one is applied again: the hub re-sends an unchanged record to
// bring a stray local copy back, and applying it twice is harmless.
InboundAction DecideInbound(const KeyState& key, std::int64_t etag);

// The hub answered the key's local change, and the answer carries the canonical state with
// `answer_etag` (0 when the answer has none: a rejection, a deferral). Returns the etag of
// the state to apply now: the held one or the answer's, whichever is newer, when no other
// local change of the key is still pending and it is not older than the applied one; 0 when
// nothing is to be applied (the held state, if any, stays held).
std::int64_t StateToApplyOnAnswer(const KeyState& key, std::int64_t answer_etag);

// A reverse load (docs/design.md, "Reverse load") sends a canonical record this source must
// hold. What the source holds of the key: its row's version (nullopt: no row), its tombstone
// (nullopt: none).
struct LocalCopy {
  std::optional<std::int64_t> row_version;
  std::optional<std::int64_t> tombstone_version;
};
enum class LoadAction {
  kApply,      // write the canonical state, whatever etag was applied before
  kHold,       // a local change is pending: hold it (as a delivery would be held)
  kKeepLocal,  // the local copy is newer than the canonical one, or never reached the hub:
               // kept, and reported (a snapshot or `reconcile --repair` sends it)
};
// The canonical state has `version` (deleted or not). Applied when the local copy is older, or
// is the same version and came from the hub (an applied etag); kept when newer, or the same
// version never synced (a populated table attached: the ladder decides when it is sent), unless
// the canonical state is a delete at that version. No row: applied, unless a local delete is
// newer than a live canonical state (kept).
LoadAction DecideLoad(const KeyState& key, const LocalCopy& local, std::int64_t version,
                      bool deleted);

// A delivery may be acknowledged only when every change in it was applied, skipped as older,
// held or parked: never past one that failed.
inline bool MayAcknowledge(bool every_change_settled) { return every_change_settled; }

// After this many failed attempts at the same delivery, a change that fails for any reason
// (not only for its data) is parked, so that one change cannot stop the stream for good.
inline constexpr int kApplyAttemptsBeforeParking = 5;
inline bool ParkAnyFailure(int failed_attempts) {
  return failed_attempts >= kApplyAttemptsBeforeParking;
}

}  // namespace synchub::connector
