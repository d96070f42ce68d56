// Ladder throughput: resolutions per second on a 20-field record with 3 conflicting fields.
// Run: ./dev bench, or build/services/resolver/core/synchub_ladder_bench.
#include <benchmark/benchmark.h>

#include <string>

#include "resolver/core/ladder.hpp"

namespace synchub {
namespace {

class NoDependencies final : public DependencyOracle {
 public:
  bool IsLive(std::string_view, std::string_view) const override { return true; }
};

// A 20-field record set by `record_source`, and an event from `event_source` at the same
// version carrying all 20 fields, 3 of them with different values.
struct Case {
  CanonicalRecord canonical;
  Event event;
};

Case MakeCase(const std::string& record_source, const std::string& event_source) {
  Case c;
  c.canonical.entity = "client";
  c.canonical.external_id = "CUST-000123";
  c.canonical.version = 7;
  c.canonical.last_source = record_source;
  c.event.entity = "client";
  c.event.external_id = "CUST-000123";
  c.event.source = event_source;
  c.event.version = 7;
  for (int i = 0; i < 20; ++i) {
    std::string name = "field_" + std::to_string(i);
    Json value = (i % 2 == 0) ? Json("value number " + std::to_string(i)) : Json(i * 1000);
    c.canonical.fields.emplace(name, value);
    c.canonical.provenance.emplace(name, record_source);
    c.event.fields.emplace(name, i < 3 ? Json("changed " + std::to_string(i)) : value);
  }
  c.canonical.fields.emplace("_deleted", false);
  c.canonical.provenance.emplace("_deleted", record_source);
  return c;
}

void Run(benchmark::State& state, const Case& c) {
  const Catalog catalog = Catalog::Demo();
  const NoDependencies oracle;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
    Decision decision = Resolve(c.event, &c.canonical, catalog, oracle);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}

// CRM beats ERP on all three conflicts: a new record is built.
void BM_PriorityWinTakesIncoming(benchmark::State& state) {
  static const Case c = MakeCase("ERP", "CRM");
  Run(state, c);
}
BENCHMARK(BM_PriorityWinTakesIncoming);

// ERP loses all three conflicts to CRM: nothing changes.
void BM_PriorityWinKeepsCanonical(benchmark::State& state) {
  static const Case c = MakeCase("CRM", "ERP");
  Run(state, c);
}
BENCHMARK(BM_PriorityWinKeepsCanonical);

// Same source, same version: MANUAL.
void BM_Manual(benchmark::State& state) {
  static const Case c = MakeCase("CRM", "CRM");
  Run(state, c);
}
BENCHMARK(BM_Manual);

}  // namespace
}  // namespace synchub

BENCHMARK_MAIN();
