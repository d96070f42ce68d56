// Plain-text renderings of synchub-ingest's JSON answers for `syncctl` (pure: no I/O).
//
// Every Format* function takes a parsed response body in the shape docs/openapi.yaml gives
// it and returns the text to print, ending in '\n'. They never throw on an unexpected shape:
// a missing or null member prints as "-", a missing list as an empty one, so an operator
// still sees what the server sent (and `syncctl --json` shows it raw).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace synchub {

// An aligned table: the header line, a rule of dashes under each column, then one line per
// row. Columns are left-aligned and two spaces apart; widths count UTF-8 code points; lines
// carry no trailing spaces. Control characters inside a cell (newline, tab, ...) print as a
// space so a cell never breaks its line. A row shorter than `headers` is padded with empty
// cells; cells past headers.size() are dropped.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// A JSON value as one table cell: a string without its quotes, anything else as compact JSON
// (null prints as "null", so a field set to null is told apart from a missing one).
std::string CellText(const nlohmann::json& value);

// {"conflicts":[...]} (GET /api/conflicts) as a table: id, status, record, conflicting field
// names, resolution, creation time; "no conflicts\n" when the list is empty.
std::string FormatConflictList(const nlohmann::json& body);

// One conflict (GET /api/conflicts/{id}): its summary, then a table of the conflicting fields
// with the incoming value, the canonical value and the canonical value's source, and for an
// open conflict the command that resolves it.
std::string FormatConflict(const nlohmann::json& conflict);

// {"conflict","record","etag"} (POST /api/conflicts/{id}/resolve): which side was taken, then
// the record as FormatRecord shows it.
std::string FormatResolveResult(const nlohmann::json& body);

// {"deadLetters":[...]} (GET /api/dead-letters) as a table; "no dead letters\n" when empty.
std::string FormatDeadLetterList(const nlohmann::json& body);

// A sync result (POST /api/sync, POST /api/dead-letters/{id}/replay): event id, outcome,
// whether the record changed, etag, log position, the conflict for MANUAL, then the record
// when there is one.
std::string FormatSyncResult(const nlohmann::json& body);

// {"id","status"} (POST /api/dead-letters/{id}/discard), e.g. "dead letter 5: discarded\n".
std::string FormatDiscardResult(const nlohmann::json& body);

// {"sources":[...]} (GET /api/sources) as a table of source and priority, in the order given.
std::string FormatSourceList(const nlohmann::json& body);

// {"source","priority"} (GET or PUT /api/sources/{name}), e.g. "source ERP: priority 2\n".
std::string FormatSource(const nlohmann::json& body);

// A canonical record (GET /api/records/...): key, version, last source, deleted, etag, then a
// table of its fields with each field's value and the source that set it (provenance).
std::string FormatRecord(const nlohmann::json& record);

// {"records":[...],"next"} (GET /api/records/{entity}) as a table of externalId, version, last
// source, deleted (yes/no) and etag, in the order given; "no records\n" when the list is empty.
// When "next" is a string, a last line says how to ask for the next page (--after NEXT).
std::string FormatRecordList(const nlohmann::json& body);

// {"entity","externalId","history":[...]} (GET .../history): one line per resolution in log
// order with seq, event id, source, version, outcome, changed, etag before->after, time.
std::string FormatHistory(const nlohmann::json& body);

// GET /api/stats: the counters, then the outcome counts in ladder order (NEW_RECORD first;
// outcomes this tool does not know follow in name order).
std::string FormatStats(const nlohmann::json& body);

// One line (no trailing newline) describing an error answer: for a problem+json body
// "HTTP <status> <code>: <detail> (key: <key>)" (the key part only when the key is not
// empty); for any other body "HTTP <status>: <first line of the body>" (at most 200 bytes).
std::string FormatProblem(int status, const std::string& body);

}  // namespace synchub
