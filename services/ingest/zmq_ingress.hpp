// ZmqIngress: the gateway's ZeroMQ entrance for high-volume submitters. A ROUTER socket takes
// the resolver protocol (proto/README.md: one ResolverRequest frame per request, batches of
// events) and forwards each request, envelope and all, through a DEALER connected to the
// resolvers; replies travel back the same way. It keeps nothing: an answer comes only from a
// resolver after commit, so a submitter that lost its gateway (kill -9) resends the batch
// with the same event ids and gets the recorded outcomes, applied once.
// Bounded: both sockets have high-water marks, so a saturated resolver side pushes back on
// submitters instead of growing memory.
//
// Thread safety: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/core/status.hpp"

namespace synchub {

class ZmqIngress {
 public:
  ZmqIngress(zmq::context_t& context, std::string listen,
             std::vector<std::string> resolver_endpoints, int high_water_mark = 1000);
  ~ZmqIngress();

  // Binds and starts forwarding. Returns the bound endpoint, or kInvalidArgument.
  StatusOr<std::string> Start();
  void Stop();

 private:
  void Loop();

  zmq::context_t& context_;
  std::string listen_;
  std::vector<std::string> resolver_endpoints_;
  int high_water_mark_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace synchub
