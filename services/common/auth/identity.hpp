// Identity: who a request comes from, once authenticated (docs/security.md).
//
// Every credential has one role:
//   operator  everything an operator does, credentials included; never submits as a source
//             (its edits are the hub's `operator` events, SPEC section 1)
//   reader    reads everything, changes nothing
//   source    submits events as its one source only; reads records
//   service   the hub's own processes (the gateway forwarding to the resolver, tools)
// Roles are written "operator", "reader", "service" and "source:<name>".
//
// Pure: no I/O. Values; thread-safe once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/status.hpp"

namespace synchub {

enum class Role { kOperator, kReader, kSource, kService };

struct Identity {
  std::int64_t credential_id = 0;  // credential.id; 0 only for the insecure identity
  Role role = Role::kReader;
  std::string source;  // role kSource: the source it submits as; "" otherwise
  std::string name;    // a label chosen at creation ("CRM connector"); may be empty

  bool operator==(const Identity&) const = default;
};

// "operator", "reader", "service" or "source:<name>".
std::string RoleText(const Identity& identity);

// The column value of credential.role: "operator", "reader", "source" or "service".
std::string_view RoleColumn(Role role);

// Parses "operator", "reader", "service" or "source:<name>" (name: 1 to 64 characters of
// [A-Za-z0-9_.-], and not "operator", which no source may submit as). Returns the identity
// with that role (credential_id 0), or kInvalidArgument (key "role", reason invalid_role,
// saying what is accepted).
StatusOr<Identity> ParseRole(std::string_view text);

// The role column and source column of a stored credential -> Role. nullopt for an unknown
// role text (a newer schema): such a credential is not accepted.
std::optional<Role> RoleFromColumn(std::string_view column);

// The identity of a service started with --insecure: every check passes. Logged loudly.
Identity InsecureIdentity();

// True for InsecureIdentity().
bool IsInsecure(const Identity& identity);

}  // namespace synchub
