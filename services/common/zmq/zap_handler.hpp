// ZapHandler: decides which CURVE clients a synchub server accepts, as the ZAP handler of a
// ZeroMQ context (ZAP 1.0, https://rfc.zeromq.org/spec/27/).
//
// libzmq asks the handler bound on inproc://zeromq.zap.01 in a socket's context about every
// peer that completes a handshake with a server socket in a ZAP domain (MakeCurveServer,
// curve.hpp). The handler answers on a thread of its own: 200 with the client's identity when
// Lookup knows the client's public key, 400 for anything else (mechanism NULL or PLAIN, a key
// Lookup refuses, a domain other than "synchub" or "synchub-<name>", a malformed request), 500
// when Lookup throws. The domain tells Lookup which socket asks (MakeCurveServer's `domain`),
// so that one handler can accept different roles on different sockets of a process.
// The identity becomes the peer's "User-Id" (PeerUserId, curve.hpp).
//
// One handler per context: every socket of the context with a ZAP domain is answered by it.
//
// Thread safety: Start, Stop and the destructor are called by the owner, one at a time; the
// counters may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/core/status.hpp"

namespace synchub {

// The endpoint libzmq sends ZAP requests to (RFC 27).
inline constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
// The ZAP domain of synchub's CURVE servers (MakeCurveServer), or its prefix: the handler
// answers "synchub" and "synchub-<name>" only.
inline constexpr const char* kZapDomain = "synchub";

class ZapHandler {
 public:
  // Returns the identity (the user id, e.g. a credential id "17") to accept the client whose
  // public key is `client_public_z85` (40 characters of Z85), or nullopt to refuse it. Called
  // on the handler's thread, one call at a time: it must be safe to run alongside the caller's
  // other threads (read shared state under a lock, or a snapshot). It is called while a
  // handshake waits, so it should answer quickly (a lookup in memory, not a query per client).
  // An exception, or an empty identity (a bug: PeerUserId could not tell it from none),
  // refuses the client with ZAP status 500.
  // `domain`: the ZAP domain of the server socket the client connected to.
  using Lookup = std::function<std::optional<std::string>(const std::string& domain,
                                                          const std::string& client_public_z85)>;

  // REQUIRES: `context` outlives the handler (when the context is shut down first, the handler's
  // thread ends and closes its socket, so zmq_ctx_term does not wait for it); `lookup` is set.
  ZapHandler(zmq::context_t& context, Lookup lookup);
  // Stops the handler (see Stop).
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds inproc://zeromq.zap.01 in the context and starts answering on a new thread. Returns
  // OK once bound (requests from then on are answered); kFailedPrecondition (key "zap") when
  // the handler runs already (reason "already_started"), when the endpoint is taken (reason
  // "zap_endpoint_in_use": another ZAP handler runs in this context) or cannot be bound
  // (reason "bind_failed", e.g. the context is shut down). When the context shuts down while
  // the handler runs, its thread ends and unbinds the endpoint: clients are refused from then on.
  Status Start();

  // Stops answering, unbinds the endpoint and joins the thread; returns within about 100 ms.
  // Handshakes waiting for an answer never complete; new ones are refused (MakeCurveServer enforces
  // the domain). Does nothing when not running. Start may be called again afterwards.
  void Stop();

  // How many clients were accepted (200) and refused (400 or 500) since construction. A
  // RequireZapHandler probe counts as a refusal unless Lookup accepts its random key.
  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  void Run(zmq::socket_t socket);

  zmq::context_t& context_;
  Lookup lookup_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::thread thread_;
};

// Fails closed when CURVE is on but nothing would check client keys: sends a well-formed ZAP
// request (mechanism CURVE, a random key) to inproc://zeromq.zap.01 in `context` and waits up
// to `timeout` for an answer. Returns OK when some handler answers (whatever its status code);
// kFailedPrecondition (key "zap", reason "no_zap_handler") when none answers in time. Services
// call it before binding a CURVE server socket and refuse to start when it fails.
Status RequireZapHandler(zmq::context_t& context, std::chrono::milliseconds timeout);

}  // namespace synchub
