#include "syncload/load_profile.hpp"

#include <cmath>

namespace synchub {

Event NextLoadEvent(const LoadProfile& profile, const std::string& source, VersionBoard& board,
                    std::mt19937_64& random) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int hot = std::max(1, std::min(profile.hot_records, profile.records));
  int record;
  if (unit(random) < profile.hot_share) {
    record = static_cast<int>(random() % static_cast<std::uint64_t>(hot));
  } else {
    record = static_cast<int>(random() % static_cast<std::uint64_t>(profile.records));
  }
  Event event;
  event.external_id = profile.key_prefix + "-" + std::to_string(record);
  event.source = source;
  const std::int64_t current = board.Current(record);
  event.version =
      (current > 0 && unit(random) < profile.conflict_share) ? current : board.Next(record);
  event.op = unit(random) < profile.delete_share ? Op::kDelete : Op::kUpsert;
  static const char* kFields[] = {"fullName", "email", "phone", "city"};
  const int fields = 1 + static_cast<int>(random() % 3);
  for (int i = 0; i < fields; ++i) {
    const char* name = kFields[random() % 4];
    event.fields[name] = source + "-" + std::to_string(random() % 1000);
  }
  return event;
}

double Percentile(const std::vector<double>& sorted, double percentile) {
  const double rank = std::ceil(percentile / 100.0 * static_cast<double>(sorted.size()));
  std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  if (index >= sorted.size()) index = sorted.size() - 1;
  return sorted[index];
}

}  // namespace synchub
