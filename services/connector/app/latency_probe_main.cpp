// synchub-latency-probe: measures the time from a local insert in one source database to its
// appearance in every other source database (through the whole stack), optionally under a
// background load of local updates. Prints a JSON report. Used by ./dev bench.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "common/core/json.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Insert-to-everywhere latency of a running synchub stack."};
  std::string source_db;
  std::vector<std::string> target_dbs;
  std::vector<std::string> load_dbs;
  int samples = 200;
  double load_rate = 0;
  std::string prefix = "PROBE";
  app.add_option("--source-db", source_db, "where the probe inserts")->required();
  app.add_option("--target-db", target_dbs, "where it must appear")->required();
  app.add_option("--load-db", load_dbs, "databases the background load updates");
  app.add_option("--load-rate", load_rate, "background local updates per second");
  app.add_option("--samples", samples, "probe inserts")->check(CLI::Range(1, 100000));
  app.add_option("--prefix", prefix, "externalId prefix");
  CLI11_PARSE(app, argc, argv);

  std::atomic<bool> stop{false};
  std::atomic<long> load_done{0};
  std::vector<std::thread> loaders;
  // Four writers per database: one local transaction per change, each waiting for its commit.
  constexpr std::size_t kWritersPerDb = 4;
  const std::size_t writers = load_dbs.size() * kWritersPerDb;
  for (std::size_t l = 0; l < writers && load_rate > 0; ++l) {
    loaders.emplace_back([&, l, writers] {
      pqxx::connection connection(load_dbs[l % load_dbs.size()]);
      const double per_second = load_rate / static_cast<double>(writers);
      const auto step = std::chrono::microseconds(static_cast<long>(1e6 / per_second));
      std::mt19937 random(static_cast<unsigned>(l));
      auto next = std::chrono::steady_clock::now();
      while (!stop) {
        const std::string key = prefix + "-LOAD-" + std::to_string(random() % 1000);
        try {
          pqxx::work tx(connection);
          tx.exec_params(
              "INSERT INTO local_records (external_id, full_name) VALUES ($1, $2) "
              "ON CONFLICT (external_id) DO UPDATE SET full_name = EXCLUDED.full_name",
              key, std::to_string(random()));
          tx.commit();
          ++load_done;
        } catch (const std::exception&) {
        }
        next += step;
        std::this_thread::sleep_until(next);
      }
    });
  }
  if (!loaders.empty()) std::this_thread::sleep_for(std::chrono::seconds(2));  // warm up

  pqxx::connection source(source_db);
  std::vector<std::unique_ptr<pqxx::connection>> targets;
  for (const auto& db : target_dbs) targets.push_back(std::make_unique<pqxx::connection>(db));
  std::vector<double> latencies_ms;
  int lost = 0;
  const auto load_started = std::chrono::steady_clock::now();
  const long load_before = load_done.load();
  for (int i = 0; i < samples; ++i) {
    const std::string key = prefix + "-" + std::to_string(i);
    const auto inserted = std::chrono::steady_clock::now();
    {
      pqxx::work tx(source);
      tx.exec_params("INSERT INTO local_records (external_id, full_name) VALUES ($1, 'probe')",
                     key);
      tx.commit();
    }
    std::size_t seen = 0;
    std::vector<bool> arrived(targets.size(), false);
    while (seen < targets.size() &&
           std::chrono::steady_clock::now() - inserted < std::chrono::seconds(10)) {
      for (std::size_t t = 0; t < targets.size(); ++t) {
        if (arrived[t]) continue;
        pqxx::nontransaction tx(*targets[t]);
        if (!tx.exec_params("SELECT 1 FROM local_records WHERE external_id = $1", key).empty()) {
          arrived[t] = true;
          ++seen;
        }
      }
      if (seen < targets.size()) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    if (seen < targets.size()) {
      ++lost;
      continue;
    }
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - inserted)
            .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
  const double achieved_rate = static_cast<double>(load_done.load() - load_before) / load_seconds;
  stop = true;
  for (auto& loader : loaders) loader.join();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    std::size_t index =
        static_cast<std::size_t>(p / 100.0 * static_cast<double>(latencies_ms.size()));
    return latencies_ms[std::min(index, latencies_ms.size() - 1)];
  };
  synchub::Json report = {{"samples", latencies_ms.size()},
                          {"lost", lost},
                          {"p50_ms", pct(50)},
                          {"p99_ms", pct(99)},
                          {"max_ms", latencies_ms.empty() ? 0.0 : latencies_ms.back()},
                          {"load_rate", achieved_rate}};
  std::printf("%s\n", report.dump().c_str());
  return lost == 0 ? 0 : 1;
}
