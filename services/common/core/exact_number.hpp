// Exact JSON numbers: the one normal form synchub stores and returns, and numeric comparison.
//
// SPEC section 1: values are kept exactly, end to end; a number keeps every digit it was sent
// with and is never rounded through binary floating point; comparison is numeric (1 = 1.0).
//
// The normal form is PostgreSQL numeric's text form (the form jsonb stores and prints), so
// the hub's text and the database's text are the same string:
//   - no exponent: 1.5e3 is "1500", 1e-3 is "0.001";
//   - the digits after the decimal point are kept as sent (the display scale): 1.50 stays
//     "1.50", 1.50e1 is "15.0", 100e-2 is "1.00";
//   - no leading zeros, no "+", no negative zero: -0.0 is "0.0".
// Pure functions: no I/O, no allocation beyond the returned strings. Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/status.hpp"

namespace synchub {

// The most digits after the decimal point a stored number may have (PostgreSQL's
// NUMERIC_MAX_PRECISION; numeric itself holds up to 16383). Numbers beyond it are rejected.
inline constexpr std::size_t kMaxNumberScale = 1000;
// The most digits before the decimal point (the same bound; JSON parsing already stops at
// magnitudes beyond ~1.8e308, 309 digits).
inline constexpr std::size_t kMaxNumberIntegerDigits = 1000;

// Turns the text of one JSON number (RFC 8259 section 6 grammar) into the normal form.
// Returns the normal form, or kInvalidArgument with reason "invalid_number" (not a JSON
// number) or "number_not_storable" (more than kMaxNumberScale digits after the point, or more than
// kMaxNumberIntegerDigits before it).
// The status key is empty: the caller names the field.
StatusOr<std::string> NormalizeNumberText(std::string_view text);

// Compares two numbers given in normal form (or any JSON number text) by value.
// Returns <0, 0 or >0. REQUIRES: both are valid JSON number texts.
int CompareNumberTexts(std::string_view a, std::string_view b);

// The integer a normal-form number is equal to ("5" for "5", "5.00" and "-0.0" gives "0"), or
// nullopt when it has a non-zero fraction (JSON equality: 5.0 is the integer 5).
std::optional<std::string> IntegerText(std::string_view normal);

// True when the normal-form text `normal` is an integer (no decimal point) that fits in a
// signed or unsigned 64-bit integer; these are held as plain JSON integers.
bool IsMachineInteger(std::string_view normal);

}  // namespace synchub
