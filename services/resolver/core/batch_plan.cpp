#include "resolver/core/batch_plan.hpp"

#include <set>

namespace synchub {
namespace {

// The batch's view of the store: what was read, overlaid with what the batch wrote so far.
class BatchState final : public DependencyOracle {
 public:
  explicit BatchState(const StoredRecords& stored) : stored_(stored) {}

  const StoredRecord* Find(const RecordKey& key) const {
    auto written = current_.find(key);
    if (written != current_.end()) return &written->second;
    auto read = stored_.find(key);
    return read == stored_.end() ? nullptr : &read->second;
  }

  bool IsLive(std::string_view entity, std::string_view external_id) const override {
    const StoredRecord* found = Find(RecordKey(entity, external_id));
    return found != nullptr && !found->record.deleted();
  }

  // Stores `record` for `key` and returns its new etag.
  std::int64_t Write(const RecordKey& key, CanonicalRecord record) {
    const StoredRecord* before = Find(key);
    std::int64_t etag = before == nullptr ? 1 : before->etag + 1;
    current_.insert_or_assign(key, StoredRecord{std::move(record), etag});
    return etag;
  }

  const std::map<RecordKey, StoredRecord>& written() const { return current_; }

 private:
  const StoredRecords& stored_;
  std::map<RecordKey, StoredRecord> current_;
};

}  // namespace

std::vector<RecordKey> KeysToRead(const std::vector<Event>& events, const Catalog& catalog) {
  std::set<RecordKey> keys;
  for (const auto& event : events) {
    keys.emplace(event.entity, event.external_id);
    for (const auto& dependency : catalog.DependenciesOf(event.entity)) {
      auto field = event.fields.find(dependency.field);
      if (field == event.fields.end()) continue;
      if (auto id = ReferencedId(field->second)) keys.emplace(dependency.target_entity, *id);
    }
  }
  return {keys.begin(), keys.end()};
}

BatchPlan PlanBatch(const std::vector<Event>& events, const StoredRecords& stored,
                    const Catalog& catalog) {
  BatchPlan plan;
  BatchState state(stored);
  for (const auto& event : events) {
    RecordKey key(event.entity, event.external_id);
    const StoredRecord* before = state.Find(key);
    PlannedEvent planned;
    planned.event = event;
    planned.decision =
        Resolve(event, before == nullptr ? nullptr : &before->record, catalog, state);
    if (before != nullptr) planned.etag_before = before->etag;
    if (planned.decision.changed) {
      planned.etag_after = state.Write(key, *planned.decision.record);
      planned.record_after = *planned.decision.record;
    } else if (before != nullptr) {
      planned.etag_after = before->etag;
      planned.record_after = before->record;
    }
    plan.events.push_back(std::move(planned));
  }
  for (const auto& [key, current] : state.written()) {
    auto read = stored.find(key);
    std::optional<std::int64_t> expected;
    if (read != stored.end()) expected = read->second.etag;
    plan.writes.push_back({key, current.record, expected, current.etag});
  }
  // Every record read and not written — an event's own record or a dependency target — must
  // keep its etag until commit: outcomes (including rung 0) were decided against it.
  for (const auto& [key, read] : stored) {
    if (state.written().count(key) == 0) plan.unchanged_reads.emplace(key, read.etag);
  }
  return plan;
}

}  // namespace synchub
