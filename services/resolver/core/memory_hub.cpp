#include "resolver/core/memory_hub.hpp"

namespace synchub {

Decision InMemoryHub::Apply(const Event& event) {
  const CanonicalRecord* current = Find(event.entity, event.external_id);
  Decision decision = Resolve(event, current, catalog_, *this);
  if (decision.changed) {
    records_.insert_or_assign(RecordKey(event.entity, event.external_id), *decision.record);
  }
  return decision;
}

std::vector<InMemoryHub::Resolution> InMemoryHub::Submit(const Event& event) {
  std::vector<Resolution> out;
  std::deque<Event> pending = {event};
  while (!pending.empty()) {
    Event next = std::move(pending.front());
    pending.pop_front();
    Decision decision = Apply(next);
    if (decision.outcome == Outcome::kDeferred) {
      deferred_.push_back(next);
    } else if (decision.changed && !deferred_.empty()) {
      // Re-run everything that waited; what is still unmet goes back to waiting.
      for (auto& waiting : deferred_) pending.push_back(std::move(waiting));
      deferred_.clear();
    }
    out.push_back({std::move(next), std::move(decision)});
  }
  return out;
}

const CanonicalRecord* InMemoryHub::Find(std::string_view entity,
                                         std::string_view external_id) const {
  auto it = records_.find(RecordKey(entity, external_id));
  return it == records_.end() ? nullptr : &it->second;
}

bool InMemoryHub::IsLive(std::string_view entity, std::string_view external_id) const {
  const CanonicalRecord* record = Find(entity, external_id);
  return record != nullptr && !record->deleted();
}

}  // namespace synchub
