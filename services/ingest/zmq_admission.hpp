// AdmitZmqRequest: what the gateway's ZeroMQ entrance lets through to the resolver, decided
// from the sender's identity (its CURVE key's credential), never from the payload
// (docs/security.md). Pure: no I/O.
//
//   submit       every event's source must be the sender's own (a source credential); each
//                event is stamped with the sender's credential id, replacing any value sent
//   report       a dead-letter report's event must name the sender's own source
//   ping         any authenticated sender
//   operator_write  refused: operators write through the HTTP API (PATCH, resolve)
// Under --insecure (InsecureIdentity) everything passes and credential ids are cleared to 0.
#pragma once

#include <optional>

#include "common/auth/access.hpp"
#include "common/auth/identity.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

// nullopt when `request` may go on (then it was stamped in place); else why not (`key` names
// the refused payload key: "source", or "body" for an operator write).
std::optional<Refusal> AdmitZmqRequest(const Identity& sender, v1::ResolverRequest* request);

}  // namespace synchub
