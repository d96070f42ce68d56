#include "resolver/cli/log_maintenance_flags.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>

#include "common/core/duration.hpp"

namespace synchub {

void AddLogMaintenanceFlags(CLI::App& app, LogMaintenanceOptions& options,
                            LogMaintenanceFlags& texts) {
  app.add_option("--log-partition-events", options.partition_events,
                 "events per partition of the resolution log")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{1000000000}))
      ->capture_default_str();
  app.add_option("--log-retention", texts.retention,
                 "keep the resolution log's events at least this long (90s, 10m, 2h, 7d)")
      ->capture_default_str();
  app.add_option("--log-max-bytes", options.retention.max_bytes,
                 "drop the oldest partitions while the log is larger (0: no size cap); a "
                 "change a source has not acknowledged still waits for --lag-cap")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()))
      ->capture_default_str();
  app.add_option("--lag-cap", texts.lag_cap,
                 "a source that has not acknowledged a change for longer loses it and is "
                 "reloaded when retention drops it")
      ->capture_default_str();
  app.add_option("--log-archive-dir", options.archive_dir,
                 "write each dropped partition's rows here first (COPY text format)");
}

bool ApplyLogMaintenanceFlags(const LogMaintenanceFlags& texts, LogMaintenanceOptions& options) {
  for (auto [text, target, flag] :
       {std::tuple{&texts.retention, &options.retention.max_age, "--log-retention"},
        std::tuple{&texts.lag_cap, &options.retention.lag_cap, "--lag-cap"}}) {
    auto parsed = ParseDuration(*text);
    if (!parsed) {
      std::fprintf(stderr, "%s: not a duration: %s (e.g. 90s, 10m, 2h, 7d)\n", flag, text->c_str());
      return false;
    }
    *target = *parsed;
  }
  if (options.retention.lag_cap < options.retention.max_age) {
    std::fprintf(stderr,
                 "note: --lag-cap %s is shorter than --log-retention %s: nothing is dropped "
                 "before --log-retention, so a source is cut off only then\n",
                 texts.lag_cap.c_str(), texts.retention.c_str());
  }
  return true;
}

}  // namespace synchub
