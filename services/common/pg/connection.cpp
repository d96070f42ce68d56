#include "common/pg/connection.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/runtime/steady_clock.hpp"

namespace synchub {

StatusOr<std::unique_ptr<pqxx::connection>> ConnectPg(const std::string& conninfo) {
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const pqxx::broken_connection& error) {
    return Status::Unavailable(std::string("cannot connect to PostgreSQL: ") + error.what());
  } catch (const std::exception& error) {
    return Status::Unavailable(std::string("cannot connect to PostgreSQL: ") + error.what());
  }
}

std::unique_ptr<pqxx::connection> ConnectPgWithRetry(const std::string& conninfo,
                                                     const std::atomic<bool>& stop,
                                                     const RetryPolicy& policy) {
  Backoff backoff(policy);
  while (!stop) {
    auto connection = ConnectPg(conninfo);
    if (connection.ok()) return std::move(connection).value();
    auto delay = backoff.Failed(JitterDraw());
    if (!delay) return nullptr;
    spdlog::warn("{}; retrying in {} ms", connection.status().message(), delay->count());
    // Sleeps in short slices so that a stop is seen within 50 ms.
    const auto until = std::chrono::steady_clock::now() + *delay;
    while (!stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
    }
  }
  return nullptr;
}

std::string PgConninfoFrom(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("SYNCHUB_DB");
  return env != nullptr ? std::string(env) : std::string();
}

}  // namespace synchub
