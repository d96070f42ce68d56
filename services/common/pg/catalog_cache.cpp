#include "common/pg/catalog_cache.hpp"

#include <spdlog/spdlog.h>

#include "common/pg/catalog_loader.hpp"
#include "common/pg/connection.hpp"
#include "common/runtime/steady_clock.hpp"

namespace synchub {

StatusOr<std::unique_ptr<CatalogCache>> CatalogCache::Start(
    std::string conninfo, std::chrono::milliseconds refresh_interval) {
  auto connection = ConnectPg(conninfo);
  if (!connection.ok()) return connection.status();
  auto catalog = LoadCatalog(**connection);
  if (!catalog.ok()) return catalog.status();
  return std::unique_ptr<CatalogCache>(
      new CatalogCache(std::move(conninfo), refresh_interval,
                       std::make_shared<const Catalog>(std::move(catalog).value())));
}

CatalogCache::CatalogCache(std::string conninfo, std::chrono::milliseconds refresh_interval,
                           std::shared_ptr<const Catalog> initial)
    : conninfo_(std::move(conninfo)),
      refresh_interval_(refresh_interval),
      current_(std::move(initial)) {
  refresher_ = std::thread([this] { RefreshLoop(); });
}

CatalogCache::~CatalogCache() {
  stopping_ = true;
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<const Catalog> CatalogCache::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void CatalogCache::RefreshLoop() {
  std::unique_ptr<pqxx::connection> connection;
  auto next = std::chrono::steady_clock::now();
  // Reconnects on the shared schedule (between refreshes when that is longer).
  Backoff backoff(ReconnectPolicy());
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + refresh_interval_;
    if (!connection || !connection->is_open()) {
      auto opened = ConnectPg(conninfo_);
      if (!opened.ok()) {
        const auto delay = backoff.Failed(JitterDraw()).value_or(refresh_interval_);
        spdlog::warn("catalog refresh: {}; retrying in {} ms", opened.status().message(),
                     std::max(delay, refresh_interval_).count());
        next = std::chrono::steady_clock::now() + std::max(delay, refresh_interval_);
        continue;
      }
      backoff.Succeeded();
      connection = std::move(opened).value();
    }
    auto catalog = LoadCatalog(*connection);
    if (!catalog.ok()) {
      spdlog::warn("catalog refresh failed, keeping the last one: {}", catalog.status().message());
      connection.reset();
      continue;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::make_shared<const Catalog>(std::move(catalog).value());
  }
}

}  // namespace synchub
