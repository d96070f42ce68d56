#include "common/pg/catalog_loader.hpp"

#include "common/pg/pg_errors.hpp"

namespace synchub {
namespace {

constexpr const char* kSelectSources = "SELECT source, priority FROM source_priority";
constexpr const char* kSelectEntities = "SELECT entity FROM entity_type";
constexpr const char* kSelectDependencies =
    "SELECT entity, field, target_entity FROM entity_dependency";

}  // namespace

StatusOr<Catalog> LoadCatalog(pqxx::connection& connection) {
  try {
    pqxx::read_transaction tx(connection);
    std::map<std::string, int, std::less<>> priorities;
    for (const auto& row : tx.exec(kSelectSources)) {
      priorities.emplace(row[0].as<std::string>(), row[1].as<int>());
    }
    std::set<std::string, std::less<>> entities;
    for (const auto& row : tx.exec(kSelectEntities)) entities.insert(row[0].as<std::string>());
    std::vector<EntityDependency> dependencies;
    for (const auto& row : tx.exec(kSelectDependencies)) {
      dependencies.push_back(
          {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return Catalog(std::move(priorities), std::move(entities), std::move(dependencies));
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "loading the catalog");
  }
}

}  // namespace synchub
