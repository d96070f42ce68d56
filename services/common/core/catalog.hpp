// Catalog: the runtime configuration the ladder and validation consult — registered sources
// with their priorities, known entities, and entity dependencies. A plain value: services
// load it from PostgreSQL (source_priority, entity_type, entity_dependency) and swap it.
//
// Thread safety: immutable after construction; share it freely (e.g. std::shared_ptr<const>).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace synchub {

// `entity.field` refers to a record of `target_entity` whose externalId is the field's value.
struct EntityDependency {
  std::string entity;
  std::string field;
  std::string target_entity;

  bool operator==(const EntityDependency&) const = default;
};

class Catalog {
 public:
  // `priorities`: source -> priority (lower number = higher priority; ties allowed).
  Catalog(std::map<std::string, int, std::less<>> priorities,
          std::set<std::string, std::less<>> entities, std::vector<EntityDependency> dependencies);

  // The seed's configuration: CRM=1, ERP=2, Portal=3, LocalDB=4; entities client and order;
  // order.clientId -> client.
  static Catalog Demo();

  // The priority of `source`, or nullopt when it is not registered.
  std::optional<int> PriorityOf(std::string_view source) const;
  bool HasSource(std::string_view source) const { return PriorityOf(source).has_value(); }
  bool HasEntity(std::string_view entity) const;
  // The dependencies declared for `entity` (possibly none), in field order.
  std::vector<EntityDependency> DependenciesOf(std::string_view entity) const;
  // Every registered source, by priority then name.
  const std::vector<std::string>& Sources() const { return sources_by_priority_; }

  const std::map<std::string, int, std::less<>>& priorities() const { return priorities_; }
  const std::set<std::string, std::less<>>& entities() const { return entities_; }
  const std::vector<EntityDependency>& dependencies() const { return dependencies_; }

  // Returns a copy with `source`'s priority set (registering it if new).
  Catalog WithPriority(std::string_view source, int priority) const;

 private:
  std::map<std::string, int, std::less<>> priorities_;
  std::set<std::string, std::less<>> entities_;
  std::vector<EntityDependency> dependencies_;
  std::vector<std::string> sources_by_priority_;
};

}  // namespace synchub
