// Access: what each role may do (docs/security.md has the same table, for people).
//
//   action                 operator  reader  source:X           service
//   kReadRecords           yes       yes     yes                yes
//   kReadOperations        yes       yes     no                 yes
//   kOperate               yes       no      no                 no
//   kManageCredentials     yes       no      no                 no
//   kSubmitAs(S)           no        no      S == X             no
//   kSubscribeAs(S)        no        no      S == X             no
//   kCallResolver          no        no      no                 yes
//   kReadDeadLetterFeed    yes       yes     no                 yes
//
// kReadRecords: records, their history, listings, range checksums and the API description
// (/openapi.yaml); kReadOperations:
// conflicts, dead letters, sources, stats, metrics; kOperate: record
// edits, conflict resolutions, dead-letter replays and discards, priorities, reloads. The
// identity decides, never the payload: a source's events, subscriptions and acknowledgements
// must name its own source. The insecure identity (--insecure) may do everything.
//
// Pure: no I/O. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/auth/identity.hpp"

namespace synchub {

enum class Action {
  kReadRecords,
  kReadOperations,
  kOperate,
  kManageCredentials,
  kSubmitAs,
  kSubscribeAs,
  kCallResolver,
  kReadDeadLetterFeed,
};

// Why an action was refused: `key` names what was refused (the payload key, such as
// "source", or "role" when the role may not do it at all), `message` says it for people.
struct Refusal {
  std::string key;
  std::string message;
};

// nullopt when `identity` may do `action`; else why not. `source` is the source the
// payload names, for kSubmitAs and kSubscribeAs (ignored otherwise).
std::optional<Refusal> Refuse(const Identity& identity, Action action,
                              const std::string& source = "");

}  // namespace synchub
