#include "common/pg/connection.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/runtime/pause.hpp"
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
    PauseUnlessStopped(*delay, stop);
  }
  return nullptr;
}

bool IdleConnectionAlive(pqxx::connection& connection) {
  if (!connection.is_open()) return false;
  pollfd idle{connection.sock(), POLLIN, 0};
  if (::poll(&idle, 1, 0) <= 0) return true;
  try {
    connection.get_notifs();
    return connection.is_open();
  } catch (const std::exception&) {
    return false;
  }
}

Status SetSessionSettings(pqxx::connection& connection, int lock_timeout_ms,
                          int statement_timeout_ms) {
  try {
    pqxx::nontransaction tx(connection);
    tx.exec("SET jit = off");
    if (lock_timeout_ms > 0) tx.exec("SET lock_timeout = " + std::to_string(lock_timeout_ms));
    if (statement_timeout_ms > 0) {
      tx.exec("SET statement_timeout = " + std::to_string(statement_timeout_ms));
    }
    return Status::Ok();
  } catch (const std::exception& error) {
    return Status::Unavailable(std::string("setting session parameters: ") + error.what());
  }
}

std::string PgConninfoFrom(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("SYNCHUB_DB");
  return env != nullptr ? std::string(env) : std::string();
}

}  // namespace synchub
