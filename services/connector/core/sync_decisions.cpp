#include "connector/core/sync_decisions.hpp"

#include <algorithm>

namespace synchub::connector {

InboundAction DecideInbound(const KeyState& key, std::int64_t etag) {
  if (etag < key.applied_etag) return InboundAction::kSkipOlder;
  if (key.local_pending) return InboundAction::kHold;
  return InboundAction::kApply;
}

std::int64_t StateToApplyOnAnswer(const KeyState& key, std::int64_t answer_etag) {
  if (key.local_pending) return 0;  // a later local change is still in flight: keep holding
  const std::int64_t newest = std::max(key.held_etag, answer_etag);
  if (newest == 0 || newest < key.applied_etag) return 0;
  return newest;
}

LoadAction DecideLoad(const KeyState& key, const LocalCopy& local, std::int64_t version,
                      bool deleted) {
  if (key.local_pending) return LoadAction::kHold;
  if (local.row_version) {
    if (*local.row_version > version) return LoadAction::kKeepLocal;
    if (*local.row_version == version && key.applied_etag == 0 && !deleted) {
      return LoadAction::kKeepLocal;
    }
    return LoadAction::kApply;
  }
  // No row here: deleted later than the canonical state (a newer local delete) is kept.
  if (local.tombstone_version && *local.tombstone_version > version && !deleted) {
    return LoadAction::kKeepLocal;
  }
  return LoadAction::kApply;
}

}  // namespace synchub::connector
