// The server side of ZeroMQ security for synchub's services (docs/security.md): CURVE with a
// ZAP handler that maps each client's public key to a credential of the hub's store, and the
// identity check on every message (ZAP runs only at the handshake: a credential revoked
// afterwards is refused on its next message, within the cache's refresh of 250 ms).
//
// A service is secure by default: it needs its server key file (--curve-secret-key) unless
// started with --insecure, which is logged loudly.
//
// Thread safety: ZmqServerSecurity is read-only once built; SenderIdentity may be called from
// any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/auth/identity.hpp"
#include "common/core/status.hpp"
#include "common/pg/credential_cache.hpp"
#include "common/zmq/curve.hpp"
#include "common/zmq/zap_handler.hpp"

namespace synchub {

struct ZmqServerSecurity {
  // nullptr: --insecure (no CURVE; every peer is InsecureIdentity()). Not owned.
  const CredentialCache* credentials = nullptr;
  CurveKeyPair server;  // the service's own key pair (when credentials is set)
};

// Which identities a socket's ZAP domain admits at the handshake (the per-message checks
// come on top).
using ZapAdmission = std::function<bool(const std::string& domain, const Identity& identity)>;

// A service's ZeroMQ security from its flags: `secret_key_file` (its server key pair) unless
// `insecure`. Starts a ZapHandler in `context` answering from `credentials` with `admit`, and
// checks that it answers (RequireZapHandler: fail closed). Returns the security and the
// handler (keep it alive as long as the sockets), or kFailedPrecondition when neither flag was
// given or the handler does not answer, kInvalidArgument when the key file cannot be used.
struct ZmqServerSecuritySetup {
  ZmqServerSecurity security;
  std::unique_ptr<ZapHandler> zap;  // null when insecure
};
StatusOr<ZmqServerSecuritySetup> StartZmqServerSecurity(zmq::context_t& context,
                                                        const std::string& secret_key_file,
                                                        bool insecure,
                                                        const CredentialCache* credentials,
                                                        const ZapAdmission& admit);

// Before bind: a CURVE server in ZAP domain `domain` when security is on; the message size
// limit (kMaxZmqMessageBytes) always.
void SecureServerSocket(zmq::socket_t& socket, const ZmqServerSecurity& security,
                        const std::string& domain);

// The identity of the peer that sent `payload` (a data frame received on a socket made by
// SecureServerSocket; not a routing-id frame, which libzmq 4.3.4 may leave without metadata):
// the active credential its ZAP User-Id names. InsecureIdentity() when security is off;
// nullopt when the credential was revoked since the handshake, or no identity came with it.
std::optional<Identity> SenderIdentity(const zmq::message_t& payload,
                                       const ZmqServerSecurity& security);

}  // namespace synchub
