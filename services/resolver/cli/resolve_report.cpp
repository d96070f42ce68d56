#include "resolver/cli/resolve_report.hpp"

#include <algorithm>
#include <istream>
#include <map>
#include <ostream>

#include "common/core/event_parse.hpp"

namespace synchub {
namespace {

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// A plain-text table with left-aligned columns.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const {
    std::vector<std::size_t> widths(rows_[0].size(), 0);
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      std::string line = " ";
      for (std::size_t i = 0; i < rows_[r].size(); ++i) {
        line += " " + rows_[r][i];
        if (i + 1 < rows_[r].size()) line += std::string(widths[i] - rows_[r][i].size() + 1, ' ');
      }
      out << line << "\n";
      if (r == 0) {
        std::string rule = " ";
        for (std::size_t i = 0; i < widths.size(); ++i)
          rule += " " + std::string(widths[i], '-') + " ";
        out << rule.substr(0, rule.find_last_not_of(' ') + 1) << "\n";
      }
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string UserFieldsJson(const CanonicalRecord& record) {
  Json fields = Json::object();
  for (const auto& [name, value] : record.fields) {
    if (name != kDeletedField) fields[name] = value;
  }
  return JsonText(fields);
}

Json DecisionJson(const ResolveRun::Row& row) {
  Json out = {{"line", row.line},
              {"event", EventToJson(row.event)},
              {"outcome", OutcomeName(row.decision.outcome)},
              {"changed", row.decision.changed},
              {"targets", row.decision.targets},
              {"writtenFields", row.decision.written_fields},
              {"released", row.released}};
  Json conflicts = Json::array();
  for (const auto& conflict : row.decision.conflicts) {
    conflicts.push_back({{"field", conflict.field},
                         {"incoming", conflict.incoming},
                         {"canonical", conflict.canonical},
                         {"canonicalSource", conflict.canonical_source}});
  }
  out["conflicts"] = std::move(conflicts);
  return out;
}

}  // namespace

ResolveRun RunEventLines(std::istream& in, const Catalog& catalog) {
  ResolveRun run(catalog);
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos || text[first] == '#') continue;
    auto event = ParseEvent(text, catalog);
    if (!event.ok()) {
      ResolveRun::Row row;
      row.line = line;
      row.status = event.status();
      run.rows.push_back(std::move(row));
      ++run.rejected;
      continue;
    }
    bool released = false;
    for (auto& resolution : run.hub.Submit(*event)) {
      ResolveRun::Row row;
      row.line = line;
      row.event = std::move(resolution.event);
      row.decision = std::move(resolution.decision);
      row.released = released;
      released = true;  // everything after the first is a released deferred event
      run.rows.push_back(std::move(row));
    }
  }
  return run;
}

void PrintTables(const ResolveRun& run, std::ostream& out) {
  out << "Events, in order\n";
  TextTable events({"line", "entity", "externalId", "source", "version", "op", "outcome", "changed",
                    "sends to"});
  for (const auto& row : run.rows) {
    if (!row.status.ok()) {
      events.Add({std::to_string(row.line), "-", "-", "-", "-", "-", "REJECTED", "-",
                  row.status.message()});
      continue;
    }
    std::string outcome(OutcomeName(row.decision.outcome));
    if (row.released) outcome += " (released)";
    events.Add({std::to_string(row.line), row.event.entity, row.event.external_id, row.event.source,
                std::to_string(row.event.version), std::string(OpName(row.event.op)), outcome,
                row.decision.changed ? "yes" : "no",
                row.decision.targets.empty() ? "-" : Join(row.decision.targets, ", ")});
  }
  events.Print(out);

  out << "\nCanonical records\n";
  TextTable records({"entity", "externalId", "version", "lastSource", "deleted", "fields"});
  for (const auto& [key, record] : run.hub.records()) {
    records.Add({record.entity, record.external_id, std::to_string(record.version),
                 record.last_source, record.deleted() ? "yes" : "no", UserFieldsJson(record)});
  }
  records.Print(out);
  if (run.hub.deferred_count() > 0) {
    out << "\n" << run.hub.deferred_count() << " event(s) still deferred (dependency unmet)\n";
  }

  out << "\nSummary per record (SPEC section 3)\n";
  std::map<RecordKey, std::pair<std::vector<std::string>, const ResolveRun::Row*>> per_record;
  for (const auto& row : run.rows) {
    if (!row.status.ok()) continue;
    auto& entry = per_record[RecordKey(row.event.entity, row.event.external_id)];
    entry.first.push_back(row.event.source + " v" + std::to_string(row.event.version));
    entry.second = &row;
  }
  TextTable summary({"key", "events", "outcome of the last", "canonical lastSource"});
  for (const auto& [key, entry] : per_record) {
    const CanonicalRecord* record = run.hub.Find(key.first, key.second);
    summary.Add({key.second, Join(entry.first, ", "),
                 std::string(OutcomeName(entry.second->decision.outcome)),
                 record ? record->last_source : "-"});
  }
  summary.Print(out);
  if (run.rejected > 0) out << "\n" << run.rejected << " line(s) rejected\n";
}

void PrintJsonLines(const ResolveRun& run, std::ostream& out) {
  for (const auto& row : run.rows) {
    if (!row.status.ok()) {
      out << Json{{"line", row.line},
                  {"error",
                   {{"key", row.status.key()},
                    {"reason", row.status.reason()},
                    {"message", row.status.message()}}}}
                 .dump()
          << "\n";
      continue;
    }
    out << JsonText(DecisionJson(row)) << "\n";
  }
  for (const auto& [key, record] : run.hub.records()) {
    out << JsonText(Json{{"record", RecordToJson(record)}}) << "\n";
  }
}

}  // namespace synchub
