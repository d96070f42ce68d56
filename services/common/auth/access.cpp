#include "common/auth/access.hpp"

namespace synchub {
namespace {

std::string RoleRefusal(const Identity& identity, const char* what) {
  return "credential " + std::to_string(identity.credential_id) + " (" + RoleText(identity) +
         ") may not " + what;
}

}  // namespace

std::optional<Refusal> Refuse(const Identity& identity, Action action, const std::string& source) {
  if (IsInsecure(identity)) return std::nullopt;
  const Role role = identity.role;
  switch (action) {
    case Action::kReadRecords:
      return std::nullopt;
    case Action::kReadOperations:
      if (role == Role::kSource) {
        return Refusal{"role", RoleRefusal(identity, "read operations data (reader or operator)")};
      }
      return std::nullopt;
    case Action::kOperate:
      if (role == Role::kOperator) return std::nullopt;
      return Refusal{"role", RoleRefusal(identity, "change the hub's state (operator only)")};
    case Action::kManageCredentials:
      if (role == Role::kOperator) return std::nullopt;
      return Refusal{"role", RoleRefusal(identity, "manage credentials (operator only)")};
    case Action::kSubmitAs:
    case Action::kSubscribeAs: {
      const char* verb = action == Action::kSubmitAs ? "submit as" : "subscribe or acknowledge as";
      if (role == Role::kSource && identity.source == source) return std::nullopt;
      if (role == Role::kSource) {
        return Refusal{"source", RoleRefusal(identity, verb) + std::string(" ") + source +
                                     " (only as " + identity.source + ")"};
      }
      if (role == Role::kOperator && action == Action::kSubmitAs) {
        return Refusal{"source", RoleRefusal(identity, verb) + std::string(" ") + source +
                                     ": operators edit records with PATCH or resolve conflicts"};
      }
      return Refusal{"source", RoleRefusal(identity, verb) + std::string(" ") + source};
    }
    case Action::kCallResolver:
      if (role == Role::kService) return std::nullopt;
      return Refusal{"role", RoleRefusal(identity, "call the resolver directly (service only)")};
    case Action::kReadDeadLetterFeed:
      if (role == Role::kSource) {
        return Refusal{"role", RoleRefusal(identity, "read the dead-letter feed")};
      }
      return std::nullopt;
  }
  return Refusal{"role", "unknown action"};
}

}  // namespace synchub
