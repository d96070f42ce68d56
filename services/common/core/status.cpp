#include "common/core/status.hpp"

namespace synchub {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

Status Status::InvalidArgument(std::string key, std::string reason, std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(key), std::move(reason),
                std::move(message));
}
Status Status::NotFound(std::string message) {
  return Status(StatusCode::kNotFound, "", "not_found", std::move(message));
}
Status Status::AlreadyExists(std::string message) {
  return Status(StatusCode::kAlreadyExists, "", "already_exists", std::move(message));
}
Status Status::AlreadyExists(std::string key, std::string reason, std::string message) {
  return Status(StatusCode::kAlreadyExists, std::move(key), std::move(reason), std::move(message));
}
Status Status::Aborted(std::string message) {
  return Status(StatusCode::kAborted, "", "aborted", std::move(message));
}
Status Status::Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, "", "unavailable", std::move(message));
}
Status Status::FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, "", "failed_precondition", std::move(message));
}

Status Status::FailedPrecondition(std::string key, std::string reason, std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(key), std::move(reason),
                std::move(message));
}
Status Status::Internal(std::string message) {
  return Status(StatusCode::kInternal, "", "internal", std::move(message));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  if (!key_.empty()) {
    out += " (key ";
    out += key_;
    out += ")";
  }
  return out;
}

}  // namespace synchub
