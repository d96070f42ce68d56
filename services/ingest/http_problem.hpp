// HTTP answers of the ingest gateway as data: problem documents (RFC 9457,
// application/problem+json) and the mapping of a resolution to a status and body. Pure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/core/json.hpp"
#include "common/core/status.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

struct HttpAnswer {
  int status = 200;
  Json body;
  bool problem = false;  // body is a problem document
  // Empty: `body` is sent as JSON (JsonText), application/json or, for a problem,
  // application/problem+json. Otherwise `body` is a string, sent as is with this type.
  std::string content_type;
  // Headers to send besides Content-Type (the gateway adds Retry-After to every 503 itself).
  std::vector<std::pair<std::string, std::string>> headers;
};

// A 200 answer with a JSON body.
HttpAnswer JsonAnswer(Json body);

// {"type":"about:blank","title":<reason phrase>,"status","code","detail","key"}.
HttpAnswer Problem(int status, std::string code, std::string detail, std::string key = "");

// A non-OK Status as a problem: kInvalidArgument 400 (413 for body_too_large) naming the key,
// kNotFound 404, kAlreadyExists / kAborted 409, kFailedPrecondition 412, kUnavailable 503,
// kInternal 500.
HttpAnswer ProblemFromStatus(const Status& status);

// The answer to POST /api/sync for one resolver result (SPEC section 8):
// 200 NEW_RECORD / VERSION_WIN / STALE_SKIP / FIELD_MERGE / PRIORITY_WIN, 202 DEFERRED,
// 409 MANUAL (with conflictId and conflictingFields), 422 a dead letter (code = its reason),
// 400 a rejected event (key named), 503 not made durable.
HttpAnswer AnswerForResult(const v1::ResolutionResult& result);

}  // namespace synchub
