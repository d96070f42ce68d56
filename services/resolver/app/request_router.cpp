#include "resolver/app/request_router.hpp"

namespace synchub {

int ShardOf(const std::string& entity, const std::string& external_id, int workers) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&hash](const std::string& text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
    hash ^= 0xff;
    hash *= 0x100000001b3ULL;
  };
  mix(entity.empty() ? std::string("client") : entity);
  mix(external_id);
  return static_cast<int>(hash % static_cast<std::uint64_t>(workers));
}

std::vector<RequestPart> RequestRouter::Split(std::string client,
                                              const v1::SubmitRequest& request) {
  const std::uint64_t request_key = next_request_++;
  Pending pending;
  pending.client = std::move(client);
  pending.reply.set_request_id(request.request_id());
  for (int i = 0; i < request.events_size(); ++i) pending.reply.add_results();

  std::map<int, RequestPart> by_worker;
  std::map<int, std::vector<int>> indices;
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::Event& event = request.events(i);
    const int worker = ShardOf(event.entity(), event.external_id(), workers_);
    RequestPart& part = by_worker[worker];
    part.worker = worker;
    *part.request.add_events() = event;
    indices[worker].push_back(i);
  }
  std::vector<RequestPart> parts;
  for (auto& [worker, part] : by_worker) {
    part.part_id = next_part_++;
    part.request.set_request_id(part.part_id);
    parts_.emplace(part.part_id, PartInfo{request_key, std::move(indices[worker])});
    parts.push_back(std::move(part));
  }
  pending.parts_left = static_cast<int>(parts.size());
  if (parts.empty()) {
    empty_.push_back({std::move(pending.client), std::move(pending.reply)});
  } else {
    requests_.emplace(request_key, std::move(pending));
  }
  return parts;
}

std::optional<RequestRouter::Finished> RequestRouter::Complete(std::uint64_t part_id,
                                                               const v1::SubmitReply& part_reply) {
  auto part = parts_.find(part_id);
  if (part == parts_.end()) return std::nullopt;
  auto request = requests_.find(part->second.request);
  if (request == requests_.end()) {
    parts_.erase(part);
    return std::nullopt;
  }
  const std::vector<int>& indices = part->second.indices;
  for (int k = 0; k < part_reply.results_size() && k < static_cast<int>(indices.size()); ++k) {
    *request->second.reply.mutable_results(indices[static_cast<std::size_t>(k)]) =
        part_reply.results(k);
  }
  parts_.erase(part);
  if (--request->second.parts_left > 0) return std::nullopt;
  Finished finished{std::move(request->second.client), std::move(request->second.reply)};
  requests_.erase(request);
  return finished;
}

std::vector<RequestRouter::Finished> RequestRouter::TakeEmpty() {
  std::vector<Finished> out;
  out.swap(empty_);
  return out;
}

}  // namespace synchub
