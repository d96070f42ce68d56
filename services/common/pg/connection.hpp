// Opening PostgreSQL connections with errors as Status.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/core/status.hpp"

namespace synchub {

// Opens a connection with libpq connection string `conninfo` ("host=... port=... dbname=..."
// or a postgresql:// URI). Returns the connection, or kUnavailable naming the server's error.
StatusOr<std::unique_ptr<pqxx::connection>> ConnectPg(const std::string& conninfo);

// The connection string services use: `flag_value` when not empty, else the environment
// variable SYNCHUB_DB, else "" (libpq's defaults).
std::string PgConninfoFrom(const std::string& flag_value);

}  // namespace synchub
