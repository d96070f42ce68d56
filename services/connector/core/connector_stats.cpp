#include "connector/core/connector_stats.hpp"

namespace synchub::connector {

std::string PushedOutcomeLabel(PushAnswer answer, const std::string& hub_outcome) {
  switch (answer) {
    case PushAnswer::kDecided:
      return hub_outcome.empty() ? "DECIDED" : hub_outcome;
    case PushAnswer::kDeferred:
      return "DEFERRED";
    case PushAnswer::kRejected:
      return "REJECTED";
    case PushAnswer::kNotDecided:
      break;
  }
  return "NOT_DECIDED";
}

double SecondsBetween(Clock::TimePoint since, Clock::TimePoint now) {
  if (now <= since) return 0;
  return std::chrono::duration<double>(now - since).count();
}

}  // namespace synchub::connector
