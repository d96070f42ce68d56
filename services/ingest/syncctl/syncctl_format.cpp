#include "ingest/syncctl/syncctl_format.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "common/core/exact_number.hpp"
#include "common/core/json.hpp"

namespace synchub {
namespace {

using Json = nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxProblemText = 200;

// The outcomes in the order the ladder tries them, then the two that end it elsewhere.
constexpr std::array<std::string_view, 8> kOutcomeOrder = {
    "NEW_RECORD",   "VERSION_WIN", "STALE_SKIP", "FIELD_MERGE",
    "PRIORITY_WIN", "MANUAL",      "DEFERRED",   "DEAD_LETTER"};

// Code points in `text` (UTF-8 continuation bytes do not count).
std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Sanitize(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  return out;
}

// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The member as a cell; "-" when it is missing or null.
std::string Text(const Json& object, const char* key) {
  const Json* value = Member(object, key);
  return value == nullptr || value->is_null() ? "-" : CellText(*value);
}

// The member when it is an array, else an empty array.
const Json& Items(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  const Json* value = Member(object, key);
  return value != nullptr && value->is_array() ? *value : kEmpty;
}

std::string YesNo(const Json& object, const char* key) {
  const Json* value = Member(object, key);
  if (value == nullptr || !value->is_boolean()) return "-";
  return value->get<bool>() ? "yes" : "no";
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// "entity/externalId" of a record, conflict or history body.
std::string RecordKey(const Json& object) {
  return Text(object, "entity") + "/" + Text(object, "externalId");
}

// Names of conflicting fields, whether given as names or as {"field",...} objects.
std::vector<std::string> ConflictingFieldNames(const Json& object) {
  std::vector<std::string> names;
  for (const auto& item : Items(object, "conflictingFields")) {
    names.push_back(item.is_object() ? Text(item, "field") : CellText(item));
  }
  return names;
}

// "label:  value" lines with the values aligned.
std::string FormatPairs(const Pairs& pairs) {
  std::size_t width = 0;
  for (const auto& pair : pairs) width = std::max(width, DisplayWidth(pair.first));
  std::string out;
  for (const auto& [label, value] : pairs) {
    out += label + ":" + std::string(width - DisplayWidth(label) + 2, ' ') + Sanitize(value) + "\n";
  }
  return out;
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  const std::size_t columns = headers.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back(headers);
  for (const auto& row : rows) {
    std::vector<std::string> line(columns);
    for (std::size_t i = 0; i < columns && i < row.size(); ++i) line[i] = row[i];
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> widths(columns, 0);
  for (auto& line : cells) {
    for (std::size_t i = 0; i < columns; ++i) {
      line[i] = Sanitize(line[i]);
      widths[i] = std::max(widths[i], DisplayWidth(line[i]));
    }
  }
  auto render = [&](const std::vector<std::string>& line) {
    std::string text;
    for (std::size_t i = 0; i < columns; ++i) {
      if (i > 0) text += "  ";
      text += line[i];
      text += std::string(widths[i] - DisplayWidth(line[i]), ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);  // npos + 1 == 0 clears an all-blank line
    return text + "\n";
  };
  std::vector<std::string> rule(columns);
  for (std::size_t i = 0; i < columns; ++i) rule[i] = std::string(widths[i], '-');
  std::string out = render(cells[0]) + render(rule);
  for (std::size_t r = 1; r < cells.size(); ++r) out += render(cells[r]);
  return out;
}

std::string CellText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return JsonText(value);
}

std::string FormatConflictList(const Json& body) {
  const Json& conflicts = Items(body, "conflicts");
  if (conflicts.empty()) return "no conflicts\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& conflict : conflicts) {
    rows.push_back({Text(conflict, "id"), Text(conflict, "status"), RecordKey(conflict),
                    Join(ConflictingFieldNames(conflict), ","), Text(conflict, "resolution"),
                    Text(conflict, "createdAt")});
  }
  return FormatTable({"ID", "STATUS", "RECORD", "FIELDS", "RESOLUTION", "CREATED"}, rows);
}

std::string FormatConflict(const Json& conflict) {
  const Json* event = Member(conflict, "event");
  const Json& incoming = event != nullptr ? *event : Json::object();
  std::string out = FormatPairs({
      {"conflict", Text(conflict, "id")},
      {"status", Text(conflict, "status")},
      {"record", RecordKey(conflict)},
      {"event", Text(conflict, "eventId") + " from " + Text(incoming, "source") + ", version " +
                    Text(incoming, "version")},
      {"created", Text(conflict, "createdAt")},
      {"resolved", Text(conflict, "resolvedAt")},
      {"resolution", Text(conflict, "resolution")},
  });
  std::vector<std::vector<std::string>> rows;
  for (const auto& field : Items(conflict, "conflictingFields")) {
    const Json* incoming_value = Member(field, "incoming");
    const Json* canonical_value = Member(field, "canonical");
    rows.push_back({Text(field, "field"), incoming_value ? CellText(*incoming_value) : "-",
                    canonical_value ? CellText(*canonical_value) : "-",
                    Text(field, "canonicalSource")});
  }
  out += "\n" + FormatTable({"FIELD", "INCOMING", "CANONICAL", "CANONICAL SOURCE"}, rows);
  if (Text(conflict, "status") == "open") {
    out += "\nresolve with: syncctl conflicts resolve " + Text(conflict, "id") +
           " --take incoming|canonical\n";
  }
  return out;
}

std::string FormatResolveResult(const Json& body) {
  const Json* conflict = Member(body, "conflict");
  const Json& resolved = conflict != nullptr ? *conflict : Json::object();
  std::string out = "conflict " + Text(resolved, "id") + " resolved: took the " +
                    Text(resolved, "resolution") + " side\n";
  const Json* record = Member(body, "record");
  if (record != nullptr && record->is_object()) {
    Json shown = *record;
    if (!shown.contains("etag") && Member(body, "etag") != nullptr) {
      shown["etag"] = body.at("etag");
    }
    out += "\n" + FormatRecord(shown);
  }
  return out;
}

std::string FormatDeadLetterList(const Json& body) {
  const Json& letters = Items(body, "deadLetters");
  if (letters.empty()) return "no dead letters\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& letter : letters) {
    rows.push_back({Text(letter, "id"), Text(letter, "eventId"), Text(letter, "reason"),
                    Text(letter, "attempts"), Text(letter, "status"), Text(letter, "lastSeen"),
                    Text(letter, "detail")});
  }
  return FormatTable({"ID", "EVENT ID", "REASON", "ATTEMPTS", "STATUS", "LAST SEEN", "DETAIL"},
                     rows);
}

std::string FormatSyncResult(const Json& body) {
  const std::string changed = YesNo(body, "changed");
  Pairs pairs = {
      {"event", Text(body, "eventId")}, {"outcome", Text(body, "outcome")}, {"changed", changed},
      {"etag", Text(body, "etag")},     {"log seq", Text(body, "logSeq")},
  };
  if (YesNo(body, "duplicate") == "yes") {
    pairs.push_back({"duplicate", "yes (this event id was already resolved)"});
  }
  if (Member(body, "conflictId") != nullptr) {
    pairs.push_back({"conflict", Text(body, "conflictId") +
                                     " (fields: " + Join(ConflictingFieldNames(body), ", ") + ")"});
  }
  std::string out = FormatPairs(pairs);
  const Json* record = Member(body, "record");
  if (record != nullptr && record->is_object()) out += "\n" + FormatRecord(*record);
  return out;
}

std::string FormatDiscardResult(const Json& body) {
  return "dead letter " + Text(body, "id") + ": " + Text(body, "status") + "\n";
}

std::string FormatSourceList(const Json& body) {
  const Json& sources = Items(body, "sources");
  if (sources.empty()) return "no sources\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& source : sources) {
    const Json* age = Member(source, "oldestUnacknowledgedSeconds");
    std::string oldest = "-";
    if (age != nullptr && IsJsonNumber(*age)) {
      const std::string text = NumberText(*age);
      const std::string seconds = text.substr(0, text.find('.'));
      if (CompareNumberTexts(text, "0") > 0) oldest = seconds + " s";
    }
    rows.push_back({Text(source, "source"), Text(source, "priority"),
                    Text(source, "unacknowledgedRecords"), oldest});
  }
  return FormatTable({"SOURCE", "PRIORITY", "NOT YET ACKNOWLEDGED", "OLDEST"}, rows) +
         "(a lower number is a higher priority; records whose current state the source's "
         "connector has not acknowledged, and the age of the oldest change)\n";
}

std::string FormatSource(const Json& body) {
  return "source " + Text(body, "source") + ": priority " + Text(body, "priority") + "\n";
}

std::string FormatRecord(const Json& record) {
  std::string out = FormatPairs({
      {"record", RecordKey(record)},
      {"version", Text(record, "version")},
      {"last source", Text(record, "lastSource")},
      {"deleted", YesNo(record, "deleted")},
      {"etag", Text(record, "etag")},
  });
  const Json* fields = Member(record, "fields");
  const Json* provenance = Member(record, "provenance");
  const Json& sources = provenance != nullptr ? *provenance : Json::object();
  const Json* field_versions = Member(record, "fieldVersions");
  const Json& versions = field_versions != nullptr ? *field_versions : Json::object();
  std::vector<std::vector<std::string>> rows;
  if (fields != nullptr && fields->is_object()) {
    for (auto it = fields->begin(); it != fields->end(); ++it) {
      rows.push_back({it.key(), CellText(it.value()), Text(sources, it.key().c_str()),
                      Text(versions, it.key().c_str())});
    }
  }
  if (rows.empty()) return out + "\nno fields\n";
  return out + "\n" + FormatTable({"FIELD", "VALUE", "SOURCE", "AT VERSION"}, rows);
}

std::string FormatRecordList(const Json& body) {
  const Json& records = Items(body, "records");
  std::string out = "no records\n";
  if (!records.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& record : records) {
      rows.push_back({Text(record, "externalId"), Text(record, "version"),
                      Text(record, "lastSource"), YesNo(record, "deleted"), Text(record, "etag")});
    }
    out = FormatTable({"EXTERNAL ID", "VERSION", "LAST SOURCE", "DELETED", "ETAG"}, rows);
  }
  const Json* next = Member(body, "next");
  if (next != nullptr && next->is_string()) {
    out += "more records follow: --after " + Sanitize(next->get<std::string>()) + " (or --all)\n";
  }
  return out;
}

std::string FormatHistory(const Json& body) {
  const Json& history = Items(body, "history");
  std::string out = "history of " + RecordKey(body) + "\n\n";
  if (const Json* truncated = Member(body, "truncated"); truncated && truncated->is_object()) {
    out += "earlier events dropped by the log's retention, through seq " +
           Text(*truncated, "throughSeq") + " (" + Text(*truncated, "resolvedAt") +
           "); the record then: " + Text(*truncated, "recordAfter") + "\n\n";
  }
  if (history.empty()) return out + "no resolutions\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : history) {
    rows.push_back({Text(entry, "seq"), Text(entry, "eventId"), Text(entry, "source"),
                    Text(entry, "version"), Text(entry, "outcome"), YesNo(entry, "changed"),
                    Text(entry, "etagBefore") + "->" + Text(entry, "etagAfter"),
                    Text(entry, "resolvedAt")});
  }
  return out + FormatTable({"SEQ", "EVENT ID", "SOURCE", "VERSION", "OUTCOME", "CHANGED", "ETAG",
                            "RESOLVED AT"},
                           rows);
}

std::string FormatStats(const Json& body) {
  std::string out = FormatPairs({
      {"records", Text(body, "records")},
      {"open conflicts", Text(body, "openConflicts")},
      {"dead letters", Text(body, "deadLetters")},
      {"deferred", Text(body, "deferred")},
      {"resolutions", Text(body, "resolutions")},
  });
  const Json* outcomes = Member(body, "outcomes");
  if (outcomes == nullptr || !outcomes->is_object()) return out;
  std::vector<std::vector<std::string>> rows;
  for (std::string_view name : kOutcomeOrder) {
    const std::string key(name);
    if (outcomes->contains(key)) rows.push_back({key, CellText(outcomes->at(key))});
  }
  for (auto it = outcomes->begin(); it != outcomes->end(); ++it) {  // name order
    const bool known =
        std::find(kOutcomeOrder.begin(), kOutcomeOrder.end(), it.key()) != kOutcomeOrder.end();
    if (!known) rows.push_back({it.key(), CellText(it.value())});
  }
  return out + "\n" + FormatTable({"OUTCOME", "COUNT"}, rows);
}

std::string FormatProblem(int status, const std::string& body) {
  std::string prefix = "HTTP " + std::to_string(status);
  const Json problem = TryParseStoredJson(body);
  if (problem.is_object() && (problem.contains("detail") || problem.contains("code"))) {
    const Json* detail = Member(problem, "detail");
    const bool has_detail =
        detail != nullptr && detail->is_string() && !detail->get<std::string>().empty();
    const std::string message = has_detail ? detail->get<std::string>() : Text(problem, "title");
    std::string out = prefix + " " + Text(problem, "code") + ": " + Sanitize(message);
    const Json* key = Member(problem, "key");
    if (key != nullptr && key->is_string() && !key->get<std::string>().empty()) {
      out += " (key: " + Sanitize(key->get<std::string>()) + ")";
    }
    return out;
  }
  std::string first_line = body.substr(0, body.find('\n'));
  if (first_line.size() > kMaxProblemText) first_line.resize(kMaxProblemText);
  if (first_line.empty()) return prefix;
  return prefix + ": " + Sanitize(first_line);
}

}  // namespace synchub
