// Idempotency keys (SPEC section 4): which submitted events are new, which are resends of an
// event already decided, and which reuse a key for other content.
//
// The key is (source, event id); the content is compared by its digest (event_digest.hpp).
// Pure: the caller looks up what the hub knows of the keys and acts on the verdicts (answer
// the recorded result again, refuse with event_id_reused, or resolve). No I/O. Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "resolver/core/event_result.hpp"

namespace synchub {

struct KeyedEvent {
  EventKey key;
  std::string digest;  // EventDigest of the event
  bool rerun = false;  // a deferred event re-run by the hub (its content is the hub's own)
};

struct KeyVerdict {
  enum class Kind {
    kFresh,      // resolve it
    kDuplicate,  // a resend of a decided event: answer the recorded result again
    kRepeat,     // the same key and content earlier in this batch: answer as `first`
    kReused,     // the key names other content: refuse (event_id_reused), apply nothing
  };
  Kind kind = Kind::kFresh;
  std::size_t first = 0;    // kRepeat: the index of the first event with this key
  std::string kept_digest;  // kReused: the digest the key already names
};

// One verdict per event, in order.
//   - A re-run is fresh.
//   - Every event is judged against the content its key names: the digest in `known_digests`,
//     or, for a key the hub does not know, the first event of the batch with that key. Another
//     digest: kReused (kept_digest = the named one), whatever else the batch holds.
//   - The first event of the batch with the named content: kDuplicate when the key is in
//     `decided`, else kFresh (a new key, or a kept key whose decision is gone: a replayed dead
//     letter); a key only in `decided` (no digest could be read) is named by its first event.
//   - Later events with the named content: kRepeat of that first one.
std::vector<KeyVerdict> CheckKeys(const std::vector<KeyedEvent>& events,
                                  const std::map<EventKey, std::string>& known_digests,
                                  const std::map<EventKey, EventResult>& decided);

}  // namespace synchub
