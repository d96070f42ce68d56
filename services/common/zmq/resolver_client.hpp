// ResolverClient: submits batches of events to synchub-resolver over ZeroMQ (a DEALER socket
// connected to one or more resolver ROUTER endpoints; ZeroMQ spreads requests over them).
//
// Lazy Pirate (ZeroMQ Guide ch. 4): a request unanswered within `timeout` is resent on a
// fresh socket, up to `attempts` times, with the same event ids, so the resolver answers the
// retry from its log instead of applying the events twice. Events without an event id get
// one here, before the first send, for that reason.
//
// Thread safety: none; one client per thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "common/zmq/curve.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

struct ResolverClientOptions {
  std::vector<std::string> endpoints;  // resolver ROUTER endpoints
  std::chrono::milliseconds timeout{5000};
  int attempts = 3;
  // When set and true, no request is sent, and a call waiting for a reply takes one that is
  // already here or gives up within 100 ms (kUnavailable), so a stopping service is not held
  // up for `timeout` * `attempts`. Must outlive the client.
  const std::atomic<bool>* stop = nullptr;
  // CURVE keys for the server (curve.hpp); nullopt: plain (the server must be --insecure).
  std::optional<CurveClientKeys> curve = std::nullopt;
};

class ResolverClient {
 public:
  ResolverClient(zmq::context_t& context, ResolverClientOptions options);

  // Sends `events` as one request and waits for the reply. Every reply result is durable.
  // Returns the reply (one result per event, in order), or kUnavailable when no resolver
  // answered in `attempts` tries (the events may or may not be decided: resend them with
  // the same ids), or kInternal when the reply cannot be decoded.
  StatusOr<v1::SubmitReply> Submit(std::vector<v1::Event> events);

  // Round trip to some resolver; kUnavailable when none answers within the timeout.
  Status Ping();

  // Hands the hub a dead letter (an event a connector gave up pushing). Returns its id, or
  // kInvalidArgument when the hub refuses the report, or kUnavailable (no answer, or the hub
  // could not store it: report again later). Idempotent by event id: a live dead letter of the same
  // event id is updated, not duplicated.
  StatusOr<std::int64_t> ReportDeadLetter(const v1::DeadLetterReport& report);

  // Asks the resolver for an operator's write (v1::OperatorWrite; resolver/pg/operator_writes.hpp)
  // and waits up to the timeout for its answer, without resending (an operator's write is
  // not resent blindly: its preconditions would refuse the resend of a write that was made).
  // Returns the reply (its error says why nothing was written), or kUnavailable when no
  // resolver answered (the write may or may not have been made: read the record).
  StatusOr<v1::OperatorWriteReply> WriteAsOperator(v1::OperatorWrite write);

  // How many requests were resent after a timeout since construction.
  int resends() const { return resends_; }

 private:
  void Reconnect();
  // The status for a refused request (a ResolverReply error): kUnavailable after reconnecting
  // when the connection's credential was refused ("unauthenticated"), else kInternal.
  Status RefusedReply(const v1::Status& error);
  // Sends `request` and waits for its reply, resending it up to `attempts` times (0: the
  // options' attempts).
  StatusOr<v1::ResolverReply> Call(const v1::ResolverRequest& request, std::uint64_t request_id,
                                   int attempts = 0);

  zmq::context_t& context_;
  ResolverClientOptions options_;
  zmq::socket_t socket_;
  std::uint64_t next_request_id_ = 1;
  int resends_ = 0;
};

// A new event id for a client: NewEventId("cli") (time-ordered, unique).
std::string NewClientEventId();

}  // namespace synchub
