#include "resolver/core/idempotency.hpp"

namespace synchub {

std::vector<KeyVerdict> CheckKeys(const std::vector<KeyedEvent>& events,
                                  const std::map<EventKey, std::string>& known_digests,
                                  const std::map<EventKey, EventResult>& decided) {
  std::vector<KeyVerdict> verdicts(events.size());
  std::map<EventKey, std::size_t> first_of;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const KeyedEvent& event = events[i];
    KeyVerdict& verdict = verdicts[i];
    if (event.rerun) continue;
    const auto known = known_digests.find(event.key);
    auto [first, inserted] = first_of.emplace(event.key, i);
    if (!inserted) {
      const std::string& kept =
          known != known_digests.end() ? known->second : events[first->second].digest;
      if (event.digest == events[first->second].digest) {
        verdict.kind = KeyVerdict::Kind::kRepeat;
        verdict.first = first->second;
      } else {
        verdict.kind = KeyVerdict::Kind::kReused;
        verdict.kept_digest = kept;
      }
      continue;
    }
    if (known != known_digests.end()) {
      if (known->second != event.digest) {
        verdict.kind = KeyVerdict::Kind::kReused;
        verdict.kept_digest = known->second;
      } else if (decided.count(event.key) != 0) {
        verdict.kind = KeyVerdict::Kind::kDuplicate;
      }
      continue;
    }
    if (decided.count(event.key) != 0) verdict.kind = KeyVerdict::Kind::kDuplicate;
  }
  return verdicts;
}

}  // namespace synchub
