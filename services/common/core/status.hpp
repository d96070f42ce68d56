// Status and StatusOr: results that say what the caller should do next.
//
// A Status is either OK or carries a code, a stable machine-readable reason, the offending
// key (for client errors) and a human message. The code tells the caller what to do:
//   kInvalidArgument    never retry; a client error (HTTP 4xx) or a dead letter
//   kNotFound           the thing asked for does not exist
//   kAlreadyExists      a duplicate; acknowledge it
//   kAborted            re-run the unit of work (serialization failure, etag mismatch)
//   kUnavailable        retry the call later (database or peer unreachable)
//   kFailedPrecondition the system is not in a state to do this (e.g. schema not migrated)
//   kInternal           a bug; dead-letter and alert
//
// Thread safety: values; safe to copy and share between threads once built.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace synchub {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kAborted,
  kUnavailable,
  kFailedPrecondition,
  kInternal,
};

// Returns the upper-case name of `code`, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;

  static Status Ok() { return Status(); }
  // A client error about `key` (may be empty when no single key is to blame). `reason` is a
  // stable snake_case identifier such as "missing" or "too_deep"; `message` is for humans.
  static Status InvalidArgument(std::string key, std::string reason, std::string message);
  static Status NotFound(std::string message);
  static Status AlreadyExists(std::string message);
  // `key` is already used for something else (e.g. an event id reused with other content:
  // reason "event_id_reused"); the request is refused, never retried as is.
  static Status AlreadyExists(std::string key, std::string reason, std::string message);
  static Status Aborted(std::string message);
  static Status Unavailable(std::string message);
  static Status FailedPrecondition(std::string message);
  // The state the caller relied on has changed; `key` names what changed, `reason` says how.
  static Status FailedPrecondition(std::string key, std::string reason, std::string message);
  static Status Internal(std::string message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The offending key of an invalid argument; empty otherwise.
  const std::string& key() const { return key_; }
  // A stable snake_case reason ("missing", "too_deep", ...); empty for an OK status.
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: version: must be an integer (key version)".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string key, std::string reason, std::string message)
      : code_(code),
        key_(std::move(key)),
        reason_(std::move(reason)),
        message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string key_;
  std::string reason_;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // REQUIRES: !status.ok().
  StatusOr(Status status) : state_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  StatusOr(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  // The error; an OK status when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  // REQUIRES: ok().
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> state_;
};

}  // namespace synchub
