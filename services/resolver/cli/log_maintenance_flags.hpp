// The command-line flags of the resolution log's maintenance, shared by synchub-resolver and
// synchub-maintain (docs/operations.md, "Retention"): --log-partition-events,
// --log-retention, --log-max-bytes, --lag-cap, --log-archive-dir.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "resolver/pg/log_maintenance.hpp"

namespace synchub {

// The duration flags as typed, parsed by ApplyLogMaintenanceFlags after CLI11_PARSE.
struct LogMaintenanceFlags {
  std::string retention = "7d";
  std::string lag_cap = "14d";
};

// Registers the flags on `app`, writing into `options` and `texts` (both must outlive parsing).
void AddLogMaintenanceFlags(CLI::App& app, LogMaintenanceOptions& options,
                            LogMaintenanceFlags& texts);

// Sets the durations of `options` from `texts`. Returns false after printing to stderr which
// flag is not a duration (90s, 10m, 2h, 7d).
bool ApplyLogMaintenanceFlags(const LogMaintenanceFlags& texts, LogMaintenanceOptions& options);

}  // namespace synchub
