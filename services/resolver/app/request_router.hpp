// RequestRouter: splits each submission across the resolver's workers by record key, so
// that one record is only ever resolved by one worker of a process (no etag contention
// between them, per-record order kept), and assembles the workers' answers back into one
// reply per request. Pure: no sockets, no clock.
//
// Thread safety: none; the server's socket thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "synchub/v1/resolver.pb.h"

namespace synchub {

// The worker (0 .. workers-1) that owns record (entity, external_id); an empty entity reads as
// "client". Stable for the life of the process.
int ShardOf(const std::string& entity, const std::string& external_id, int workers);

// One worker's share of a request.
struct RequestPart {
  std::uint64_t part_id = 0;
  int worker = 0;
  v1::SubmitRequest request;  // the worker's events, in request order
};

class RequestRouter {
 public:
  explicit RequestRouter(int workers) : workers_(workers) {}

  // Splits `request`, remembering `client` (the opaque reply address) for the reply.
  // Returns the parts to send (none for an empty request: then Finished() has its reply).
  std::vector<RequestPart> Split(std::string client, const v1::SubmitRequest& request);

  // Files a worker's reply to part `part_id`. Returns the finished reply and its client once
  // every part of that request is in; nullopt otherwise (also for an unknown part id).
  struct Finished {
    std::string client;
    v1::SubmitReply reply;
  };
  std::optional<Finished> Complete(std::uint64_t part_id, const v1::SubmitReply& part_reply);

  // Replies for requests that had no events, ready to send.
  std::vector<Finished> TakeEmpty();

  std::size_t pending_requests() const { return requests_.size(); }

 private:
  struct Pending {
    std::string client;
    v1::SubmitReply reply;
    int parts_left = 0;
  };
  struct PartInfo {
    std::uint64_t request = 0;
    std::vector<int> indices;  // positions in the request
  };

  int workers_;
  std::uint64_t next_request_ = 1;
  std::uint64_t next_part_ = 1;
  std::map<std::uint64_t, Pending> requests_;
  std::map<std::uint64_t, PartInfo> parts_;
  std::vector<Finished> empty_;
};

}  // namespace synchub
