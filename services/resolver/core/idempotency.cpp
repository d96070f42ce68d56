#include "resolver/core/idempotency.hpp"

namespace synchub {

std::vector<KeyVerdict> CheckKeys(const std::vector<KeyedEvent>& events,
                                  const std::map<EventKey, std::string>& known_digests,
                                  const std::map<EventKey, EventResult>& decided) {
  std::vector<KeyVerdict> verdicts(events.size());
  // The content each key names: the digest kept with it, or (a key new to the hub) the first
  // event's in this batch. Every event is judged against it, never against another event of
  // the batch that was itself refused.
  std::map<EventKey, std::string> named;
  // The first event of the batch with the named content, per key: the one answered (or
  // resolved); later ones with the same content repeat its answer.
  std::map<EventKey, std::size_t> accepted;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const KeyedEvent& event = events[i];
    KeyVerdict& verdict = verdicts[i];
    if (event.rerun) continue;
    const auto known = known_digests.find(event.key);
    const std::string& name =
        named.emplace(event.key, known != known_digests.end() ? known->second : event.digest)
            .first->second;
    if (event.digest != name) {
      verdict.kind = KeyVerdict::Kind::kReused;
      verdict.kept_digest = name;
      continue;
    }
    auto [first, inserted] = accepted.emplace(event.key, i);
    if (!inserted) {
      verdict.kind = KeyVerdict::Kind::kRepeat;
      verdict.first = first->second;
      continue;
    }
    if (decided.count(event.key) != 0) verdict.kind = KeyVerdict::Kind::kDuplicate;
  }
  return verdicts;
}

}  // namespace synchub
