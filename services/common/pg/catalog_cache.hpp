// CatalogCache: the current Catalog, reloaded from PostgreSQL in the background so that plain
// SQL changes of source_priority / entity_type / entity_dependency take effect within
// `refresh_interval` without a restart (SPEC section 7).
//
// Thread safety: Current() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/core/catalog.hpp"
#include "common/core/status.hpp"

namespace synchub {

class CatalogCache {
 public:
  // Loads the catalog once. Returns kUnavailable / kInternal when that fails (start-up fails).
  static StatusOr<std::unique_ptr<CatalogCache>> Start(std::string conninfo,
                                                       std::chrono::milliseconds refresh_interval);
  ~CatalogCache();  // stops the refresher

  std::shared_ptr<const Catalog> Current() const;

 private:
  CatalogCache(std::string conninfo, std::chrono::milliseconds refresh_interval,
               std::shared_ptr<const Catalog> initial);
  void RefreshLoop();

  const std::string conninfo_;
  const std::chrono::milliseconds refresh_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> current_;
  std::atomic<bool> stopping_{false};
  std::thread refresher_;
};

}  // namespace synchub
