// Classifies libpqxx exceptions into a Status that says what the caller does next.
#pragma once

#include <exception>
#include <string_view>

#include "common/core/status.hpp"

namespace synchub {

// Maps an exception thrown by libpqxx (or anything else) while doing `what`:
//   broken_connection, in_doubt_error               -> kUnavailable (retry later)
//   serialization_failure, deadlock_detected,
//   unique_violation                                 -> kAborted (re-run the unit of work)
//   data_exception, SQLSTATE class 22 and 23 other   -> kInvalidArgument (the database
//     than unique_violation                             refuses this data: never retry)
//   anything else                                    -> kInternal
Status StatusFromPgException(const std::exception& error, std::string_view what);

}  // namespace synchub
