#include "common/core/json.hpp"

#include <set>
#include <vector>

namespace synchub {
namespace {

// Thrown from inside the parser callback to stop parsing with a precise error.
struct StrictParseError {
  Status status;
};

}  // namespace

StatusOr<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_body_bytes) {
    return Status::InvalidArgument("", "body_too_large",
                                   "body is " + std::to_string(text.size()) +
                                       " bytes; the limit is " +
                                       std::to_string(limits.max_body_bytes));
  }
  // One set of seen keys per open object; the current top-level key for error messages.
  std::vector<std::set<std::string, std::less<>>> open_objects;
  std::string top_level_key;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) -> bool {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        // `depth` counts the containers around this one; this container is one deeper.
        if (depth + 1 > limits.max_depth) {
          throw StrictParseError{Status::InvalidArgument(
              top_level_key, "too_deep",
              (top_level_key.empty() ? "" : top_level_key + ": ") + "JSON nested deeper than " +
                  std::to_string(limits.max_depth) + " levels")};
        }
        if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (depth == 1) top_level_key = key;
        if (!open_objects.empty() && !open_objects.back().insert(key).second) {
          throw StrictParseError{
              Status::InvalidArgument(key, "duplicate_key", key + ": appears twice in one object")};
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const StrictParseError& error) {
    return error.status;
  } catch (const Json::parse_error& error) {
    // nlohmann's message names the byte offset and what was expected.
    return Status::InvalidArgument("", "invalid_json", error.what());
  } catch (const Json::out_of_range& error) {
    // A number too large for a double (1e400): not a JSON value synchub can hold.
    return Status::InvalidArgument("", "invalid_json", error.what());
  }
}

}  // namespace synchub
