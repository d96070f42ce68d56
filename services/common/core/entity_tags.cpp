#include "common/core/entity_tags.hpp"

#include <utility>

namespace synchub {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// etagc = %x21 / %x23-7E / obs-text (%x80-FF): visible characters but '"'.
bool IsEtagc(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == 0x21 || (byte >= 0x23 && byte <= 0x7E) || byte >= 0x80;
}

Status Malformed(std::string_view header_name, const std::string& what, std::size_t offset) {
  return Status::InvalidArgument(
      std::string(header_name), "invalid_etag",
      std::string(header_name) +
          " is neither \"*\" nor a list of entity-tags (\"17\", W/\"17\"): " + what +
          " at offset " + std::to_string(offset));
}

}  // namespace

EntityTag RecordEntityTag(std::int64_t row_version) {
  return EntityTag{std::to_string(row_version), false};
}

std::string FormatEntityTag(const EntityTag& tag) {
  return (tag.weak ? "W/\"" : "\"") + tag.opaque + "\"";
}

bool StrongMatch(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool WeakMatch(const EntityTag& a, const EntityTag& b) { return a.opaque == b.opaque; }

StatusOr<EntityTagList> ParseEntityTagList(std::string_view field_value,
                                           std::string_view header_name) {
  // Offsets in messages count from the start of the value as received.
  std::size_t i = 0;
  std::size_t end = field_value.size();
  while (i < end && IsOws(field_value[i])) ++i;
  while (end > i && IsOws(field_value[end - 1])) --end;
  if (field_value.substr(i, end - i) == "*") return EntityTagList{true, {}};

  EntityTagList list;
  while (true) {
    // At the start of a list element, which may be empty.
    while (i < end && IsOws(field_value[i])) ++i;
    if (i == end) break;
    if (field_value[i] == ',') {  // an empty element
      ++i;
      continue;
    }
    if (field_value[i] == '*') return Malformed(header_name, "\"*\" must be the whole value", i);
    EntityTag tag;
    if (field_value.substr(i, 2) == "W/") {
      tag.weak = true;
      i += 2;
    }
    if (i == end || field_value[i] != '"') {
      return Malformed(header_name,
                       tag.weak ? "W/ is not followed by a quoted tag" : "an unquoted tag", i);
    }
    const std::size_t opaque_begin = ++i;
    while (i < end && field_value[i] != '"') {
      if (!IsEtagc(field_value[i])) {
        return Malformed(header_name, "a character not allowed in a tag", i);
      }
      ++i;
    }
    if (i == end) return Malformed(header_name, "an unterminated quote", opaque_begin - 1);
    tag.opaque = std::string(field_value.substr(opaque_begin, i - opaque_begin));
    ++i;  // the closing quote
    list.tags.push_back(std::move(tag));
    while (i < end && IsOws(field_value[i])) ++i;
    if (i == end) break;
    if (field_value[i] != ',') return Malformed(header_name, "tags not separated by a comma", i);
    ++i;
  }
  if (list.tags.empty()) return Malformed(header_name, "no entity-tag", 0);
  return list;
}

bool IfMatchHolds(const EntityTagList& if_match, const std::optional<EntityTag>& current) {
  if (!current) return false;
  if (if_match.any) return true;
  for (const EntityTag& tag : if_match.tags) {
    if (StrongMatch(tag, *current)) return true;
  }
  return false;
}

bool IfNoneMatchHolds(const EntityTagList& if_none_match, const std::optional<EntityTag>& current) {
  if (!current) return true;
  if (if_none_match.any) return false;
  for (const EntityTag& tag : if_none_match.tags) {
    if (WeakMatch(tag, *current)) return false;
  }
  return true;
}

PreconditionOutcome EvaluatePreconditions(const Preconditions& preconditions,
                                          const std::optional<EntityTag>& current) {
  if (preconditions.if_match && !IfMatchHolds(*preconditions.if_match, current)) {
    return PreconditionOutcome::kIfMatchFailed;
  }
  if (preconditions.if_none_match && !IfNoneMatchHolds(*preconditions.if_none_match, current)) {
    return PreconditionOutcome::kIfNoneMatchFailed;
  }
  return PreconditionOutcome::kProceed;
}

}  // namespace synchub
