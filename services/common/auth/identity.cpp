#include "common/auth/identity.hpp"

namespace synchub {
namespace {

constexpr std::string_view kSourcePrefix = "source:";

bool ValidSourceName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "operator") return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string RoleText(const Identity& identity) {
  if (identity.role == Role::kSource) return std::string(kSourcePrefix) + identity.source;
  return std::string(RoleColumn(identity.role));
}

std::string_view RoleColumn(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kReader:
      return "reader";
    case Role::kSource:
      return "source";
    case Role::kService:
      return "service";
  }
  return "reader";
}

StatusOr<Identity> ParseRole(std::string_view text) {
  Identity identity;
  if (text.substr(0, kSourcePrefix.size()) == kSourcePrefix) {
    const std::string_view name = text.substr(kSourcePrefix.size());
    if (ValidSourceName(name)) {
      identity.role = Role::kSource;
      identity.source = std::string(name);
      return identity;
    }
  } else if (auto role = RoleFromColumn(text); role && *role != Role::kSource) {
    identity.role = *role;
    return identity;
  }
  return Status::InvalidArgument(
      "role", "invalid_role",
      "role is operator, reader, service or source:<name> (name: letters, digits, _ . -; "
      "not operator)");
}

std::optional<Role> RoleFromColumn(std::string_view column) {
  if (column == "operator") return Role::kOperator;
  if (column == "reader") return Role::kReader;
  if (column == "source") return Role::kSource;
  if (column == "service") return Role::kService;
  return std::nullopt;
}

Identity InsecureIdentity() {
  Identity identity;
  identity.credential_id = 0;
  identity.role = Role::kService;
  identity.name = "insecure";
  return identity;
}

bool IsInsecure(const Identity& identity) {
  return identity.credential_id == 0 && identity.role == Role::kService &&
         identity.name == "insecure";
}

}  // namespace synchub
