#include "common/core/catalog.hpp"

#include <algorithm>
#include <utility>

namespace synchub {

Catalog::Catalog(std::map<std::string, int, std::less<>> priorities,
                 std::set<std::string, std::less<>> entities,
                 std::vector<EntityDependency> dependencies)
    : priorities_(std::move(priorities)),
      entities_(std::move(entities)),
      dependencies_(std::move(dependencies)) {
  std::sort(dependencies_.begin(), dependencies_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.entity, a.field) < std::tie(b.entity, b.field);
  });
  for (const auto& [source, priority] : priorities_) sources_by_priority_.push_back(source);
  std::stable_sort(sources_by_priority_.begin(), sources_by_priority_.end(),
                   [this](const std::string& a, const std::string& b) {
                     return priorities_.find(a)->second < priorities_.find(b)->second;
                   });
}

Catalog Catalog::Demo() {
  return Catalog({{"CRM", 1}, {"ERP", 2}, {"Portal", 3}, {"LocalDB", 4}}, {"client", "order"},
                 {{"order", "clientId", "client"}});
}

std::optional<int> Catalog::PriorityOf(std::string_view source) const {
  auto it = priorities_.find(source);
  if (it == priorities_.end()) return std::nullopt;
  return it->second;
}

bool Catalog::HasEntity(std::string_view entity) const {
  return entities_.find(entity) != entities_.end();
}

std::vector<EntityDependency> Catalog::DependenciesOf(std::string_view entity) const {
  std::vector<EntityDependency> out;
  for (const auto& dependency : dependencies_) {
    if (dependency.entity == entity) out.push_back(dependency);
  }
  return out;
}

Catalog Catalog::WithPriority(std::string_view source, int priority) const {
  auto priorities = priorities_;
  priorities.insert_or_assign(std::string(source), priority);
  return Catalog(std::move(priorities), entities_, dependencies_);
}

}  // namespace synchub
