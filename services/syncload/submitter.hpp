// How syncload hands a batch of events to synchub: over ZeroMQ (the resolver's or the ingest
// gateway's ROUTER, one request per batch) or over HTTP (POST /api/sync, one request per event).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/event.hpp"
#include "common/zmq/curve.hpp"

namespace synchub {

// What became of one submitted event.
struct SubmitAnswer {
  enum class Kind {
    kDecided,      // durable at the hub with `outcome` (NEW_RECORD, ..., MANUAL, DEFERRED)
    kDeadLetter,   // kept as a dead letter (counted, not verified against the log)
    kRejected,     // invalid (4xx): nothing stored
    kUnavailable,  // answered "not decided, resend later" (UNAVAILABLE, HTTP 503): not stored
    kUnanswered,   // no answer (timeout, other 5xx, connection refused): may or may not be decided
  };
  Kind kind = Kind::kUnanswered;
  std::string outcome;      // the SPEC's outcome name when kDecided
  double latency_ms = 0.0;  // from submitting the request to its answer
};

// Submits events and waits for their answers. Thread safety: none; one per thread.
class Submitter {
 public:
  virtual ~Submitter() = default;
  // Returns one answer per event of `batch`, in order. REQUIRES: every event has an event id
  // (so a resent request is answered from the hub's log instead of applied twice).
  virtual std::vector<SubmitAnswer> Submit(const std::vector<Event>& batch) = 0;
};

// ZeroMQ: one request per batch to `endpoints` (Lazy Pirate retries with the same ids).
// `curve`: the simulated source's CURVE keys for the gateway's entrance; nullopt: plain.
std::unique_ptr<Submitter> MakeZmqSubmitter(const std::vector<std::string>& endpoints,
                                            std::optional<CurveClientKeys> curve);

// HTTP: one POST /api/sync per event, on one keep-alive connection to `base_url`
// (e.g. "http://127.0.0.1:15480"); up to 3 attempts, waiting Retry-After between them.
// `token`: the bearer token of the source it submits as ("" sends none).
std::unique_ptr<Submitter> MakeHttpSubmitter(const std::string& base_url, const std::string& token);

}  // namespace synchub
