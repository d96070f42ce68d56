#include "ingest/http_problem.hpp"

#include "common/codec/proto_codec.hpp"

namespace synchub {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

}  // namespace

HttpAnswer JsonAnswer(Json body) {
  HttpAnswer answer;
  answer.body = std::move(body);
  return answer;
}

HttpAnswer Problem(int status, std::string code, std::string detail, std::string key) {
  HttpAnswer answer;
  answer.status = status;
  answer.problem = true;
  answer.body = {
      {"type", "about:blank"},   {"title", ReasonPhrase(status)}, {"status", status},
      {"code", std::move(code)}, {"detail", std::move(detail)},   {"key", std::move(key)}};
  return answer;
}

HttpAnswer ProblemFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return Problem(status.reason() == "body_too_large" ? 413 : 400,
                     status.reason().empty() ? "invalid_argument" : status.reason(),
                     status.message(), status.key());
    case StatusCode::kNotFound:
      return Problem(404, "not_found", status.message());
    case StatusCode::kAlreadyExists:
      // A reused key (event_id_reused, SPEC section 4) names it; other refusals are "conflict".
      if (!status.key().empty()) {
        return Problem(409, status.reason(), status.message(), status.key());
      }
      return Problem(409, "conflict", status.message());
    case StatusCode::kAborted:
      return Problem(409, "conflict", status.message());
    case StatusCode::kFailedPrecondition:
      return Problem(
          412, status.reason() == "failed_precondition" ? "precondition_failed" : status.reason(),
          status.message(), status.key());
    case StatusCode::kUnavailable:
      return Problem(503, "unavailable", status.message());
    default:
      return Problem(500, "internal", status.message());
  }
}

HttpAnswer AnswerForResult(const v1::ResolutionResult& result) {
  if (result.has_error() && result.error().code() != v1::STATUS_CODE_OK) {
    return ProblemFromStatus(StatusFromProto(result.error()));
  }
  if (result.outcome() == v1::OUTCOME_DEAD_LETTER) {
    return Problem(422, result.dead_letter_reason(),
                   "the event could not be applied and is kept as a dead letter", "");
  }
  if (result.outcome() == v1::OUTCOME_UNSPECIFIED) {
    return Problem(500, "internal", "the resolver gave no outcome");
  }
  HttpAnswer answer;
  answer.body = {
      {"eventId", result.event_id()},
      {"outcome", WireOutcomeName(result.outcome())},
      {"changed", result.changed()},
      {"record", result.record_json().empty() ? Json() : ParseStoredJson(result.record_json())},
      {"etag", result.etag() > 0 ? Json(result.etag()) : Json()},
      {"duplicate", result.duplicate()},
      {"logSeq", result.log_seq() > 0 ? Json(result.log_seq()) : Json()}};
  if (result.outcome() == v1::OUTCOME_DEFERRED) answer.status = 202;
  if (result.outcome() == v1::OUTCOME_MANUAL) {
    answer.status = 409;
    answer.body["conflictId"] = result.conflict_id();
    Json fields = Json::array();
    for (const auto& field : result.conflicting_fields()) fields.push_back(field);
    answer.body["conflictingFields"] = std::move(fields);
  }
  return answer;
}

}  // namespace synchub
