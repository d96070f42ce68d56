#include "resolver/core/record_cache.hpp"

#include <functional>
#include <string>

namespace synchub {

std::size_t RecordCache::KeyHash::operator()(const RecordKey& key) const {
  const std::size_t a = std::hash<std::string>{}(key.first);
  const std::size_t b = std::hash<std::string>{}(key.second);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

std::vector<RecordKey> RecordCache::Lookup(const std::vector<RecordKey>& keys,
                                           StoredRecords* hits) const {
  std::vector<RecordKey> misses;
  for (const auto& key : keys) {
    auto held = entries_.find(key);
    if (held == entries_.end()) {
      misses.push_back(key);
    } else {
      hits->insert_or_assign(key, held->second);
    }
  }
  return misses;
}

void RecordCache::Remember(const RecordKey& key, const StoredRecord& stored) {
  if (capacity_ == 0) return;
  auto held = entries_.find(key);
  if (held != entries_.end()) {
    if (held->second.etag <= stored.etag) held->second = stored;
    return;
  }
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.emplace(key, stored);
}

void RecordCache::RememberCommitted(const BatchPlan& plan, const StoredRecords& read) {
  for (const auto& write : plan.writes) {
    Remember(write.key, StoredRecord{write.record, write.new_etag});
  }
  for (const auto& [key, etag] : plan.unchanged_reads) {
    auto record = read.find(key);
    if (record != read.end() && record->second.etag == etag) Remember(key, record->second);
  }
}

void RecordCache::Forget(const std::vector<RecordKey>& keys) {
  for (const auto& key : keys) entries_.erase(key);
}

}  // namespace synchub
