// Classifies libpqxx exceptions into a Status that says what the caller does next.
#pragma once

#include <exception>
#include <string_view>

#include "common/core/status.hpp"

namespace synchub {

// Maps an exception thrown by libpqxx (or anything else) while doing `what`:
//   broken_connection, in_doubt_error, SQLSTATE
//   class 08 and 53, 55P03 (lock_timeout), 57014
//   (statement_timeout), 57P01-03 (shutdown)       -> kUnavailable (retry later)
//   serialization_failure, deadlock_detected,
//   unique_violation                                 -> kAborted (re-run the unit of work)
//   data_exception, SQLSTATE class 22 and 23 other   -> kInvalidArgument (the database
//     than unique_violation                             refuses this data: never retry)
//   anything else                                    -> kInternal
Status StatusFromPgException(const std::exception& error, std::string_view what);

}  // namespace synchub
