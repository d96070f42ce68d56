#include "common/zmq/zmq_auth.hpp"

#include <chrono>

namespace synchub {

StatusOr<ZmqServerSecuritySetup> StartZmqServerSecurity(zmq::context_t& context,
                                                        const std::string& secret_key_file,
                                                        bool insecure,
                                                        const CredentialCache* credentials,
                                                        const ZapAdmission& admit) {
  ZmqServerSecuritySetup setup;
  if (insecure) return setup;
  if (secret_key_file.empty()) {
    return Status::FailedPrecondition(
        "curve-secret-key", "curve_key_missing",
        "CURVE is on by default: give --curve-secret-key FILE (synchub-keygen writes one), or "
        "--insecure to trust every peer (docs/security.md)");
  }
  if (credentials == nullptr) {
    return Status::FailedPrecondition("credentials", "no_credentials",
                                      "CURVE needs the credential store");
  }
  auto keys = LoadCurveKeyPair(secret_key_file);
  if (!keys.ok()) return keys.status();
  setup.security.credentials = credentials;
  setup.security.server = *keys;
  setup.zap = std::make_unique<ZapHandler>(
      context,
      [credentials, admit](const std::string& domain,
                           const std::string& key) -> std::optional<std::string> {
        auto identity = credentials->ByCurveKey(key);
        if (!identity || !admit(domain, *identity)) return std::nullopt;
        return std::to_string(identity->credential_id);
      });
  if (Status started = setup.zap->Start(); !started.ok()) return started;
  if (Status answering = RequireZapHandler(context, std::chrono::milliseconds(2000));
      !answering.ok()) {
    return answering;
  }
  return setup;
}

void SecureServerSocket(zmq::socket_t& socket, const ZmqServerSecurity& security,
                        const std::string& domain) {
  LimitMessageSize(socket, kMaxZmqMessageBytes);
  if (security.credentials != nullptr) MakeCurveServer(socket, security.server, domain);
}

std::optional<Identity> SenderIdentity(const zmq::message_t& payload,
                                       const ZmqServerSecurity& security) {
  if (security.credentials == nullptr) return InsecureIdentity();
  const std::string user_id = PeerUserId(payload);
  if (user_id.empty() || user_id.size() > 18) return std::nullopt;
  std::int64_t id = 0;
  for (char c : user_id) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return security.credentials->ById(id);
}

}  // namespace synchub
