#include "common/runtime/event_ids.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

namespace synchub {

std::string NewEventId(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char text[48];
  std::snprintf(text, sizeof text, "-%012llx%04x%016llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL,
                counter.fetch_add(1) & 0xffffU, static_cast<unsigned long long>(random()));
  return std::string(prefix) + text;
}

}  // namespace synchub
