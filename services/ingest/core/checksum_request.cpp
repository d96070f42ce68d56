#include "ingest/core/checksum_request.hpp"

#include <set>
#include <utility>

#include "common/core/event_parse.hpp"

namespace synchub {
namespace {

Status Invalid(const std::string& key, std::string reason, const std::string& message) {
  return Status::InvalidArgument(key, std::move(reason), key + ": " + message);
}

std::string Indexed(const std::string& name, std::size_t index) {
  return name + "[" + std::to_string(index) + "]";
}

StatusOr<std::vector<std::string>> ReadFields(const Json& body) {
  auto found = body.find("fields");
  if (found == body.end()) return Invalid("fields", "missing", "is required");
  if (!found->is_array()) return Invalid("fields", "wrong_type", "must be an array of names");
  if (found->empty()) return Invalid("fields", "empty", "name at least one field");
  if (found->size() > kMaxChecksumFields) {
    return Invalid("fields", "too_many_fields",
                   "at most " + std::to_string(kMaxChecksumFields) + " fields");
  }
  std::vector<std::string> fields;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < found->size(); ++i) {
    const Json& name = (*found)[i];
    const std::string key = Indexed("fields", i);
    if (!name.is_string()) return Invalid(key, "wrong_type", "must be a field name (a string)");
    const auto& text = name.get_ref<const std::string&>();
    if (!IsValidFieldName(text)) {
      return Invalid(key, text.rfind('_', 0) == 0 ? "reserved_field" : "invalid_field_name",
                     "field names match [A-Za-z][A-Za-z0-9_]{0,63}");
    }
    if (!seen.insert(text).second) return Invalid(key, "duplicate_field", "is listed twice");
    fields.push_back(text);
  }
  return fields;
}

StatusOr<KeyRange> ReadRange(const Json& range, const std::string& key) {
  if (!range.is_object()) {
    return Invalid(key, "wrong_type", "must be an object {\"after\": ..., \"upTo\": ...}");
  }
  for (auto it = range.begin(); it != range.end(); ++it) {
    if (it.key() != "after" && it.key() != "upTo") {
      return Invalid(key + "." + it.key(), "unknown_key", "a range has after and upTo only");
    }
  }
  KeyRange read;
  auto after = range.find("after");
  if (after == range.end()) return Invalid(key + ".after", "missing", "is required");
  if (!after->is_string()) {
    return Invalid(key + ".after", "wrong_type", "must be a string (\"\" from the start)");
  }
  read.after = after->get<std::string>();
  auto up_to = range.find("upTo");
  if (up_to == range.end()) return Invalid(key + ".upTo", "missing", "is required");
  if (up_to->is_string()) {
    read.up_to = up_to->get<std::string>();
  } else if (!up_to->is_null()) {
    return Invalid(key + ".upTo", "wrong_type", "must be a string, or null for the end");
  }
  return read;
}

StatusOr<std::vector<KeyRange>> ReadRanges(const Json& body) {
  auto found = body.find("ranges");
  if (found == body.end()) return Invalid("ranges", "missing", "is required");
  if (!found->is_array()) return Invalid("ranges", "wrong_type", "must be an array of ranges");
  if (found->size() > kMaxChecksumRanges) {
    return Invalid("ranges", "too_many_ranges",
                   "at most " + std::to_string(kMaxChecksumRanges) + " ranges");
  }
  std::vector<KeyRange> ranges;
  for (std::size_t i = 0; i < found->size(); ++i) {
    auto range = ReadRange((*found)[i], Indexed("ranges", i));
    if (!range.ok()) return range.status();
    ranges.push_back(std::move(range).value());
  }
  return ranges;
}

}  // namespace

StatusOr<ChecksumRequest> ChecksumRequestFromJson(const Json& body) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "fields" && it.key() != "ranges") {
      return Invalid(it.key(), "unknown_key", "the body has fields and ranges only");
    }
  }
  auto fields = ReadFields(body);
  if (!fields.ok()) return fields.status();
  auto ranges = ReadRanges(body);
  if (!ranges.ok()) return ranges.status();
  return ChecksumRequest{std::move(fields).value(), std::move(ranges).value()};
}

}  // namespace synchub
