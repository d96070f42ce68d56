// Loads the Catalog (sources, entities, dependencies) from PostgreSQL.
#pragma once

#include <pqxx/pqxx>

#include "common/core/catalog.hpp"
#include "common/core/status.hpp"

namespace synchub {

// Reads source_priority, entity_type and entity_dependency in one read-only transaction.
// Returns the catalog, kUnavailable when the connection is lost, kInternal on an SQL error.
StatusOr<Catalog> LoadCatalog(pqxx::connection& connection);

}  // namespace synchub
