#include "outbound/core/queued_change.hpp"

#include <map>
#include <utility>

namespace synchub {

std::vector<QueuedChange> NewestPerRecord(std::vector<QueuedChange> changes) {
  // The newest is the highest etag, not the last position: (xid, seq) follows transaction
  // start order, and a transaction that started first can commit a later state of a record.
  std::map<std::pair<std::string, std::string>, std::size_t> newest_index;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto [it, inserted] =
        newest_index.emplace(std::make_pair(changes[i].entity, changes[i].external_id), i);
    if (!inserted && changes[it->second].etag < changes[i].etag) it->second = i;
  }
  std::vector<QueuedChange> newest;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (newest_index.at({changes[i].entity, changes[i].external_id}) == i) {
      newest.push_back(std::move(changes[i]));
    }
  }
  return newest;
}

std::size_t PrefixWithinBytes(const std::vector<QueuedChange>& changes, std::size_t max_bytes) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    bytes += changes[i].record_json.size();
    if (bytes > max_bytes) return i == 0 ? 1 : i;
  }
  return changes.size();
}

}  // namespace synchub
