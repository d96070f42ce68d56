// CredentialCache: the active credentials, reloaded from PostgreSQL every `refresh_interval`
// (250 ms in the services), so that a new credential works and a revoked one stops working
// within a second everywhere (docs/security.md). While the database cannot be reached the
// last loaded set stays in force.
//
// Thread safety: every lookup may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/auth/identity.hpp"
#include "common/core/status.hpp"
#include "common/pg/credential_store.hpp"

namespace synchub {

class CredentialCache {
 public:
  // Loads the credentials once. Returns kUnavailable when that fails (start-up fails).
  static StatusOr<std::unique_ptr<CredentialCache>> Start(
      std::string conninfo, std::chrono::milliseconds refresh_interval);
  ~CredentialCache();  // stops the refresher

  // The identity of a bearer token (ParseToken's form, secret compared in constant time);
  // nullopt when it is malformed, unknown, revoked or has no token.
  std::optional<Identity> ByToken(const std::string& token) const;

  // The identity whose active credential holds this CURVE public key (Z85); nullopt if none.
  std::optional<Identity> ByCurveKey(const std::string& public_z85) const;

  // The identity of active credential `id`; nullopt when unknown or revoked.
  std::optional<Identity> ById(std::int64_t id) const;

  // How many times the set was loaded (first load included): tests wait on it.
  std::uint64_t loads() const { return loads_; }

 private:
  struct Snapshot {
    std::map<std::int64_t, CredentialRow> by_id;
    std::map<std::string, std::int64_t> by_curve_key;
  };
  CredentialCache(std::string conninfo, std::chrono::milliseconds refresh_interval,
                  std::shared_ptr<const Snapshot> initial);
  static std::shared_ptr<const Snapshot> Index(std::vector<CredentialRow> rows);
  std::shared_ptr<const Snapshot> Current() const;
  void RefreshLoop();

  const std::string conninfo_;
  const std::chrono::milliseconds refresh_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
  std::atomic<std::uint64_t> loads_{1};
  std::atomic<bool> stopping_{false};
  std::thread refresher_;
};

}  // namespace synchub
