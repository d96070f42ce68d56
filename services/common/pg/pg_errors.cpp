#include "common/pg/pg_errors.hpp"

#include <pqxx/pqxx>
#include <string>
#include <string_view>

namespace synchub {

Status StatusFromPgException(const std::exception& error, std::string_view what) {
  std::string message = std::string(what) + ": " + error.what();
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return Status::Unavailable(std::move(message));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    const std::string state = sql->sqlstate();
    if (state == "40001" || state == "40P01" || state == "23505") {
      return Status::Aborted(std::move(message));
    }
    // A row past the resolution log's last partition (sql/008_log_retention.sql): the log's
    // maintenance has not created the next one yet. Transient: the batch is retried.
    if (state == "23514" &&
        std::string_view(error.what()).find("no partition of relation") != std::string_view::npos) {
      return Status::Unavailable(std::move(message));
    }
    if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0) {
      return Status::InvalidArgument("", "database_rejected", std::move(message));
    }
    // 08: connection exceptions; 53: insufficient resources (too many connections, disk
    // full); 55P03: lock_timeout (a row held by another transaction); 57014: a statement
    // timeout or cancel; 57P01-03: the server is shutting down.
    if (state.rfind("08", 0) == 0 || state.rfind("53", 0) == 0 || state == "55P03" ||
        state == "57014" || state == "57P01" || state == "57P02" || state == "57P03") {
      return Status::Unavailable(std::move(message));
    }
  }
  return Status::Internal(std::move(message));
}

}  // namespace synchub
