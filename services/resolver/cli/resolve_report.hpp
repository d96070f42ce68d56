// The engine of `synchub-resolve`: runs JSON-lines events through InMemoryHub and renders
// what happened as plain-text tables or JSON lines.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/status.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {

struct ResolveRun {
  struct Row {
    int line = 0;           // 1-based input line
    Event event;            // valid when status is OK
    Decision decision;      // valid when status is OK
    Status status;          // why the line was rejected, or OK
    bool released = false;  // a deferred event re-run by a later write
  };
  std::vector<Row> rows;
  InMemoryHub hub;
  int rejected = 0;

  explicit ResolveRun(Catalog catalog) : hub(std::move(catalog)) {}
};

// Reads one event per line from `in` (both JSON forms; blank lines and lines starting with
// '#' are skipped), resolves each in order and records what happened. A rejected line is
// recorded with its error and changes nothing.
ResolveRun RunEventLines(std::istream& in, const Catalog& catalog);

// Renders the run as tables: every event with its outcome and fan-out targets, the final
// canonical records, the events still deferred, and the per-record summary of SPEC
// section 3 (key, events, outcome of the last, canonical lastSource).
void PrintTables(const ResolveRun& run, std::ostream& out);

// Renders the run as JSON lines: one {"line","event","outcome","changed","targets",...} per
// event (or {"line","error":{"key","reason","message"}}), then one {"record":...} per record.
void PrintJsonLines(const ResolveRun& run, std::ostream& out);

}  // namespace synchub
