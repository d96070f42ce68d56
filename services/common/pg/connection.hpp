// Opening PostgreSQL connections with errors as Status.
// Thread safety: every function may be called from any thread; a connection belongs to one.
#pragma once

#include <atomic>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/core/retry_policy.hpp"
#include "common/core/status.hpp"

namespace synchub {

// Opens a connection with libpq connection string `conninfo` ("host=... port=... dbname=..."
// or a postgresql:// URI). Returns the connection, or kUnavailable naming the server's error.
StatusOr<std::unique_ptr<pqxx::connection>> ConnectPg(const std::string& conninfo);

// Opens a connection, retrying on `policy`'s schedule (logging each failure) until it works
// or `stop` becomes true. Returns the connection, or nullptr when stopped or out of attempts.
std::unique_ptr<pqxx::connection> ConnectPgWithRetry(const std::string& conninfo,
                                                     const std::atomic<bool>& stop,
                                                     const RetryPolicy& policy = ReconnectPolicy());

// The connection string services use: `flag_value` when not empty, else the environment
// variable SYNCHUB_DB, else "" (libpq's defaults).
std::string PgConninfoFrom(const std::string& flag_value);

}  // namespace synchub
