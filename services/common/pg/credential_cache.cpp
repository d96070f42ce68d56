#include "common/pg/credential_cache.hpp"

#include <spdlog/spdlog.h>

#include "common/auth/token.hpp"
#include "common/pg/connection.hpp"

namespace synchub {

StatusOr<std::unique_ptr<CredentialCache>> CredentialCache::Start(
    std::string conninfo, std::chrono::milliseconds refresh_interval) {
  if (!InitCrypto()) return Status::Internal("libsodium could not be initialized");
  auto connection = ConnectPg(conninfo);
  if (!connection.ok()) return connection.status();
  auto rows = PgCredentialStore(**connection).List(/*include_revoked=*/false);
  if (!rows.ok()) return rows.status();
  return std::unique_ptr<CredentialCache>(
      new CredentialCache(std::move(conninfo), refresh_interval, Index(std::move(rows).value())));
}

CredentialCache::CredentialCache(std::string conninfo, std::chrono::milliseconds refresh_interval,
                                 std::shared_ptr<const Snapshot> initial)
    : conninfo_(std::move(conninfo)),
      refresh_interval_(refresh_interval),
      current_(std::move(initial)) {
  refresher_ = std::thread([this] { RefreshLoop(); });
}

CredentialCache::~CredentialCache() {
  stopping_ = true;
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<const CredentialCache::Snapshot> CredentialCache::Index(
    std::vector<CredentialRow> rows) {
  auto snapshot = std::make_shared<Snapshot>();
  for (CredentialRow& row : rows) {
    const std::int64_t id = row.identity.credential_id;
    if (!row.curve_public_key.empty()) snapshot->by_curve_key[row.curve_public_key] = id;
    snapshot->by_id.emplace(id, std::move(row));
  }
  return snapshot;
}

std::shared_ptr<const CredentialCache::Snapshot> CredentialCache::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::optional<Identity> CredentialCache::ByToken(const std::string& token) const {
  auto parsed = ParseToken(token);
  if (!parsed) return std::nullopt;
  auto snapshot = Current();
  auto found = snapshot->by_id.find(parsed->credential_id);
  if (found == snapshot->by_id.end() || found->second.token_sha256.empty()) return std::nullopt;
  if (!SecretMatches(found->second.token_sha256, parsed->secret)) return std::nullopt;
  return found->second.identity;
}

std::optional<Identity> CredentialCache::ByCurveKey(const std::string& public_z85) const {
  auto snapshot = Current();
  auto found = snapshot->by_curve_key.find(public_z85);
  if (found == snapshot->by_curve_key.end()) return std::nullopt;
  return snapshot->by_id.at(found->second).identity;
}

std::optional<Identity> CredentialCache::ById(std::int64_t id) const {
  auto snapshot = Current();
  auto found = snapshot->by_id.find(id);
  if (found == snapshot->by_id.end()) return std::nullopt;
  return found->second.identity;
}

void CredentialCache::RefreshLoop() {
  std::unique_ptr<pqxx::connection> connection;
  auto next = std::chrono::steady_clock::now();
  bool warned = false;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + refresh_interval_;
    if (!connection || !connection->is_open()) {
      auto opened = ConnectPg(conninfo_);
      if (!opened.ok()) {
        if (!warned) {
          spdlog::warn("credential refresh: {}; keeping the last loaded credentials",
                       opened.status().message());
        }
        warned = true;
        next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        continue;
      }
      connection = std::move(opened).value();
    }
    auto rows = PgCredentialStore(*connection).List(/*include_revoked=*/false);
    if (!rows.ok()) {
      if (!warned) {
        spdlog::warn("credential refresh failed, keeping the last loaded credentials: {}",
                     rows.status().message());
      }
      warned = true;
      connection.reset();
      continue;
    }
    warned = false;
    auto snapshot = Index(std::move(rows).value());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_ = std::move(snapshot);
    }
    ++loads_;
  }
}

}  // namespace synchub
