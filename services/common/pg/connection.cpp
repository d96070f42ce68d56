#include "common/pg/connection.hpp"

#include <cstdlib>

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

std::string PgConninfoFrom(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("SYNCHUB_DB");
  return env != nullptr ? std::string(env) : std::string();
}

}  // namespace synchub
