// CURVE security for synchub's ZeroMQ sockets (CurveZMQ, https://rfc.zeromq.org/spec/26/):
// key pairs and their files, the socket options of a server and of a client, the identity
// the ZAP handler (zap_handler.hpp) gave a peer, and a limit on message size.
//
// A server that turns CURVE on must also have a ZAP handler answering in its context (see
// RequireZapHandler): MakeCurveServer sets ZMQ_ZAP_ENFORCE_DOMAIN, so without a handler every
// client is refused rather than every client key accepted (libzmq's default).
//
// Key files hold one line: the key as 40 characters of Z85 (https://rfc.zeromq.org/spec/32/).
// `<base>.key` holds the secret key (mode 0600; the public key is derived from it) and
// `<base>.pub` the public key (mode 0644), the one handed to peers.
//
// Thread safety: the functions keep no state and may be called from any thread; those taking
// a socket follow ZeroMQ's rule (a socket is used by one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "common/core/status.hpp"

namespace synchub {

// A CURVE key pair as Z85 text, 40 characters each (32 bytes encoded).
struct CurveKeyPair {
  std::string public_z85;
  std::string secret_z85;
};

// A new random key pair (zmq_curve_keypair). Throws zmq::error_t when libzmq was built without
// CURVE (ENOTSUP): a broken installation, not something a caller can handle.
CurveKeyPair GenerateCurveKeyPair();

// True when `text` is exactly 40 characters of the Z85 alphabet that decode to 32 bytes.
bool IsValidCurveKeyText(std::string_view text);

// Writes `pair` to `<base_path>.key` (the secret key, mode 0600 from creation on, so it is never
// readable by others even for a moment) and `<base_path>.pub` (the public key, mode 0644), one
// line each. With `replace_existing` false, neither file may exist yet; with true, existing
// files are replaced atomically (written beside them, then renamed over them).
// Returns OK when both files are written; kInvalidArgument (key "key_pair", reason
// "malformed" or "mismatch") when a key is not valid Z85 key text or the public key is not
// the one of the secret key; kAlreadyExists (key "path", reason "exists") when a file exists
// and `replace_existing` is false (nothing is written); kInvalidArgument (key "path", reason
// "io_error") naming the file and the system's error text when it cannot be written (a
// `.key` created before a `.pub` that fails is removed again; when replacing, a failure on
// the `.pub` leaves the new `.key` and the old `.pub`: the `.key` is the one that counts, since
// LoadCurveKeyPair derives the public key from it).
Status WriteCurveKeyPair(const std::string& base_path, const CurveKeyPair& pair,
                         bool replace_existing = false);

// Reads a secret key file (`<base>.key`) and derives its public key (zmq_curve_public), so the
// secret key file alone is enough. Returns the pair, or kInvalidArgument (key "path") naming
// `secret_path` when the file is missing or unreadable (reason "io_error"), is readable or
// writable by group or others (reason "insecure_mode": the message says "chmod 600 <path>"),
// is not a regular file (reason "not_a_file"), or does not hold one valid key (reason
// "malformed").
StatusOr<CurveKeyPair> LoadCurveKeyPair(const std::string& secret_path);

// Reads a public key file (`<base>.pub`). Returns its 40-character Z85 text, or
// kInvalidArgument (key "path") naming `path` when the file is missing or unreadable (reason
// "io_error"), is not a regular file (reason "not_a_file") or does not hold one valid key
// (reason "malformed"). `path` is always a file name, never the key text itself.
StatusOr<std::string> LoadCurvePublicKey(const std::string& path);

// Makes `socket` a CURVE server with `server`'s secret key, in ZAP domain "synchub", with
// ZMQ_ZAP_ENFORCE_DOMAIN on: each client is then accepted only when the ZAP handler of the
// socket's context answers 200 for its key, and refused when no handler is bound.
// REQUIRES: called before bind (options are taken when the socket binds);
// `server.secret_z85` is valid key text (else zmq::error_t EINVAL is thrown: a bug).
// `domain`: "synchub" or "synchub-<name>", passed to the ZAP handler's Lookup.
void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& server,
                     const std::string& domain = "synchub");

// Makes `socket` a CURVE client with key pair `client`, trusting only the server whose public
// key is `server_public_z85`. A server with another key cannot complete the handshake.
// REQUIRES: called before connect; the three keys are valid key text (else zmq::error_t EINVAL
// is thrown: a bug).
void MakeCurveClient(zmq::socket_t& socket, const CurveKeyPair& client,
                     const std::string& server_public_z85);

// The "User-Id" the ZAP handler gave the peer that sent `message` (the identity Lookup returned,
// zap_handler.hpp), or "" when there is none (no CURVE, no ZAP). On a ROUTER, read it from a
// payload frame: libzmq 4.3.4 leaves it off the routing-id frame when the socket was polled
// before the recv (fixed in 4.3.5: "ROUTER loses first frame metadata on message prefetch").
std::string PeerUserId(const zmq::message_t& message);

// Sets ZMQ_MAXMSGSIZE: a peer that sends a message larger than `max_bytes` is disconnected and
// its message dropped (-1: no limit). REQUIRES: called before bind or connect.
void LimitMessageSize(zmq::socket_t& socket, std::int64_t max_bytes);

// What a client socket needs to talk CURVE to one server: its own key pair and the server's
// public key.
struct CurveClientKeys {
  CurveKeyPair client;
  std::string server_public_z85;
};

// Loads a client's keys: its secret key file (LoadCurveKeyPair's rules) and the server's public
// key file. Both empty: nullopt (no CURVE: the client talks plain, which a CURVE server
// refuses). One without the other, or a file that cannot be read: kInvalidArgument naming it.
StatusOr<std::optional<CurveClientKeys>> LoadCurveClientKeys(const std::string& secret_key_file,
                                                             const std::string& server_public_file);

// LoadCurveClientKeys for a configuration already checked at start-up: the keys, or nullopt
// (plain) when there are none or they can no longer be read (a CURVE server then refuses the
// connection, which fails closed).
std::optional<CurveClientKeys> CurveClientKeysOrPlain(const std::string& secret_key_file,
                                                      const std::string& server_public_file);

// The largest message every synchub socket accepts (ZMQ_MAXMSGSIZE): 16 MiB, far above the
// largest request a submitter builds (256 events of at most 1 MiB each is refused earlier by
// the gateway's own limits) and far below what would exhaust memory.
inline constexpr std::int64_t kMaxZmqMessageBytes = std::int64_t{16} << 20;

// Before connect: CURVE client with `keys` when set; the message size limit always.
void SecureClientSocket(zmq::socket_t& socket, const std::optional<CurveClientKeys>& keys);

}  // namespace synchub
