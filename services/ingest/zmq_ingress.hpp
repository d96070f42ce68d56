// ZmqIngress: the gateway's ZeroMQ entrance for high-volume submitters. A ROUTER socket takes
// the resolver protocol (proto/README.md: one ResolverRequest frame per request, batches of
// events) and forwards each request, envelope and all, through a DEALER connected to the
// resolvers; replies travel back the same way. It keeps nothing: an answer comes only from a
// resolver after commit, so a submitter that lost its gateway (kill -9) resends the batch
// with the same event ids and gets the recorded outcomes, applied once.
//
// Security (docs/security.md): the ROUTER is a CURVE server in ZAP domain "synchub-ingest"
// (source and service credentials admitted at the handshake); every request is then checked
// against its sender's credential (AdmitZmqRequest: a source submits and reports as itself
// only; a credential revoked since the handshake is refused) and stamped with its credential
// id before it goes on. A refused request is answered with a ResolverReply error (key
// "source" or "credential") and never reaches a resolver. The DEALER is a CURVE client of the
// resolvers with the gateway's service key.
// Bounded: both sockets have high-water marks and a maximum message size, so a saturated
// resolver side pushes back on submitters instead of growing memory.
//
// Thread safety: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "common/zmq/curve.hpp"
#include "common/zmq/zmq_auth.hpp"
#include "ingest/ingest_metrics.hpp"

namespace synchub {

// The ZAP domain of the entrance (zmq_auth.hpp).
inline constexpr const char* kIngestZapDomain = "synchub-ingest";

class ZmqIngress {
 public:
  // REQUIRES: `metrics` and the credentials `security` refers to outlive the entrance.
  ZmqIngress(zmq::context_t& context, std::string listen,
             std::vector<std::string> resolver_endpoints, ZmqServerSecurity security,
             std::optional<CurveClientKeys> resolver_curve, IngestMetrics& metrics,
             int high_water_mark = 1000);
  ~ZmqIngress();

  // Binds and starts forwarding. Returns the bound endpoint, or kInvalidArgument.
  StatusOr<std::string> Start();
  void Stop();

 private:
  void Loop();
  // Takes one request from the frontend (when one is waiting), checks it and forwards it or
  // answers its refusal. Returns false when nothing was waiting.
  bool AdmitOne();

  zmq::context_t& context_;
  std::string listen_;
  std::vector<std::string> resolver_endpoints_;
  ZmqServerSecurity security_;
  std::optional<CurveClientKeys> resolver_curve_;
  IngestMetrics& metrics_;
  int high_water_mark_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace synchub
