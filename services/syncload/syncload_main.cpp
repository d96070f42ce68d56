// syncload: simulated sources publishing bursts of conflicting writes to synchub over ZeroMQ
// (or HTTP with --http), with a report (events/s, submit-to-acknowledgement latency, outcomes) and
// an optional verification of the hub's resolution log afterwards.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/core/json.hpp"
#include "common/pg/catalog_loader.hpp"
#include "common/pg/connection.hpp"
#include "common/zmq/resolver_client.hpp"
#include "resolver/pg/log_verifier.hpp"
#include "syncload/load_profile.hpp"
#include "syncload/submitter.hpp"

namespace synchub {
namespace {

struct Options {
  std::vector<std::string> endpoints = {"tcp://127.0.0.1:5560"};
  std::string http_url;  // non-empty: POST /api/sync on this gateway instead of ZeroMQ
  // --credentials: credentials.json ({"sources": {"CRM": TOKEN, ...}}, as ./dev up writes
  // it): each simulated source submits over HTTP with its own token (docs/security.md).
  std::string credentials_file;
  std::map<std::string, std::string> tokens;
  // --curve-keys DIR: each simulated source's CURVE key pair DIR/<source in lower case>.key
  // and the entrance's public key DIR/ingest.pub (as ./dev up writes them).
  std::string curve_keys_dir;
  std::map<std::string, CurveClientKeys> curve;
  LoadProfile profile;
  int sources = 4;
  long events = 20000;
  double duration_s = 0;  // 0: until `events` are sent
  int batch = 200;
  int inflight = 2;  // concurrent requests per source
  double rate = 0;   // events/s in all; 0: as fast as possible
  bool verify = false;
  bool allow_unavailable = false;  // fault tests: "resend later" answers are expected
  std::string db;
  bool json = false;
  unsigned seed = 0;
};

struct Totals {
  std::mutex mutex;
  std::vector<double> latencies_ms;  // one per acknowledged event
  std::vector<std::string> acknowledged;
  std::vector<RecordKey> touched;
  std::map<std::string, long> outcomes;
  long rejected = 0;
  long unavailable = 0;  // answered "not decided, resend later"
  long unanswered = 0;   // no answer in time
  long dead_letters = 0;
  double max_wait_ms = 0;  // the longest wait for any answer (or for giving up)
};

void RunSource(const Options& options, const std::string& source, int lane, VersionBoard& board,
               std::atomic<long>& budget, std::atomic<long>& sent,
               std::chrono::steady_clock::time_point deadline, Totals& totals) {
  std::optional<CurveClientKeys> curve;
  if (auto found = options.curve.find(source); found != options.curve.end()) curve = found->second;
  std::unique_ptr<Submitter> submitter =
      options.http_url.empty() ? MakeZmqSubmitter(options.endpoints, curve)
                               : MakeHttpSubmitter(options.http_url, options.tokens.count(source)
                                                                         ? options.tokens.at(source)
                                                                         : std::string());
  std::mt19937_64 random(options.seed * 1000003ULL + static_cast<unsigned>(lane) * 7919ULL +
                         std::random_device{}());
  const int lanes = options.sources * options.inflight;
  const double lane_rate = options.rate > 0 ? options.rate / lanes : 0;
  auto next_send = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    long want = options.batch;
    long left = budget.fetch_sub(want);
    if (left <= 0) break;
    want = std::min(want, left);
    std::vector<Event> batch;
    batch.reserve(static_cast<std::size_t>(want));
    for (long i = 0; i < want; ++i) {
      Event event = NextLoadEvent(options.profile, source, board, random);
      event.event_id = NewClientEventId();
      batch.push_back(std::move(event));
    }
    if (lane_rate > 0) {
      std::this_thread::sleep_until(next_send);
      next_send +=
          std::chrono::microseconds(static_cast<long>(1e6 * static_cast<double>(want) / lane_rate));
    }
    const std::vector<SubmitAnswer> answers = submitter->Submit(batch);
    sent += want;
    std::lock_guard<std::mutex> lock(totals.mutex);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const SubmitAnswer& answer = answers[i];
      totals.max_wait_ms = std::max(totals.max_wait_ms, answer.latency_ms);
      switch (answer.kind) {
        case SubmitAnswer::Kind::kDecided:
          ++totals.outcomes[answer.outcome];
          totals.acknowledged.push_back(batch[i].event_id);
          totals.latencies_ms.push_back(answer.latency_ms);
          break;
        case SubmitAnswer::Kind::kDeadLetter:
          ++totals.dead_letters;
          totals.acknowledged.push_back(batch[i].event_id);  // the verifier finds it there
          break;
        case SubmitAnswer::Kind::kRejected:
          ++totals.rejected;
          break;
        case SubmitAnswer::Kind::kUnavailable:
          ++totals.unavailable;
          break;
        case SubmitAnswer::Kind::kUnanswered:
          ++totals.unanswered;
          break;
      }
      totals.touched.emplace_back(batch[i].entity, batch[i].external_id);
    }
  }
}

int Run(const Options& options) {
  Totals totals;
  VersionBoard board(options.profile.records);
  std::atomic<long> budget{options.duration_s > 0 ? (1L << 60) : options.events};
  std::atomic<long> sent{0};
  const auto started = std::chrono::steady_clock::now();
  const auto deadline =
      options.duration_s > 0
          ? started + std::chrono::milliseconds(static_cast<long>(options.duration_s * 1000))
          : started + std::chrono::hours(24);
  std::vector<std::thread> threads;
  for (int s = 0; s < options.sources; ++s) {
    for (int lane = 0; lane < options.inflight; ++lane) {
      threads.emplace_back([&, s, lane] {
        RunSource(options, options.profile.sources[static_cast<std::size_t>(s)],
                  s * options.inflight + lane, board, budget, sent, deadline, totals);
      });
    }
  }
  std::atomic<bool> done{false};
  std::thread progress([&] {
    long last = 0;
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (static_cast<long>(elapsed) != last) {
        last = static_cast<long>(elapsed);
        std::fprintf(stderr, "[syncload] %5.1f s  %9ld events sent  %8.0f events/s\n", elapsed,
                     sent.load(), static_cast<double>(sent.load()) / elapsed);
      }
    }
  });
  for (auto& thread : threads) thread.join();
  done = true;
  progress.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::sort(totals.latencies_ms.begin(), totals.latencies_ms.end());
  const std::size_t acked = totals.acknowledged.size();
  Json report = {{"events_acknowledged", acked},
                 {"events_rejected", totals.rejected},
                 {"events_unavailable", totals.unavailable},
                 {"events_unanswered", totals.unanswered},
                 {"max_wait_ms", totals.max_wait_ms},
                 {"dead_letters", totals.dead_letters},
                 {"transport", options.http_url.empty() ? "zeromq" : "http"},
                 {"seconds", elapsed},
                 {"events_per_second", static_cast<double>(acked) / elapsed},
                 {"outcomes", totals.outcomes}};
  if (!totals.latencies_ms.empty()) {
    report["latency_ms"] = {{"p50", Percentile(totals.latencies_ms, 50)},
                            {"p90", Percentile(totals.latencies_ms, 90)},
                            {"p99", Percentile(totals.latencies_ms, 99)},
                            {"max", totals.latencies_ms.back()}};
  }
  bool verified_ok = true;
  if (options.verify) {
    // The database may still be recovering from a fault the run rode out (a restart): wait
    // for it up to a minute before giving up on the verification.
    auto connection = ConnectPg(PgConninfoFrom(options.db));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!connection.ok() && connection.status().code() == StatusCode::kUnavailable &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      connection = ConnectPg(PgConninfoFrom(options.db));
    }
    if (!connection.ok()) {
      std::fprintf(stderr, "syncload: %s\n", connection.status().message().c_str());
      return 2;
    }
    auto catalog = LoadCatalog(**connection);
    if (!catalog.ok()) {
      std::fprintf(stderr, "syncload: %s\n", catalog.status().message().c_str());
      return 2;
    }
    std::sort(totals.touched.begin(), totals.touched.end());
    totals.touched.erase(std::unique(totals.touched.begin(), totals.touched.end()),
                         totals.touched.end());
    auto verification =
        VerifyResolutionLog(**connection, *catalog, totals.acknowledged, totals.touched);
    if (!verification.ok()) {
      std::fprintf(stderr, "syncload: %s\n", verification.status().message().c_str());
      return 2;
    }
    verified_ok = verification->ok();
    Json mismatches = Json::array();
    for (std::size_t i = 0; i < verification->mismatches.size() && i < 20; ++i) {
      mismatches.push_back(verification->mismatches[i]);
    }
    report["verification"] = {{"ok", verified_ok},
                              {"acknowledged_checked", verification->acknowledged},
                              {"acknowledged_missing", verification->missing.size()},
                              {"records_replayed", verification->records_checked},
                              {"events_replayed", verification->events_replayed},
                              {"mismatches", verification->mismatches.size()},
                              {"first_mismatches", mismatches}};
  }
  if (options.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::printf("syncload: %zu events acknowledged in %.2f s: %.0f events/s\n", acked, elapsed,
                static_cast<double>(acked) / elapsed);
    if (report.contains("latency_ms")) {
      const Json& l = report["latency_ms"];
      std::printf("latency submit->ack (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
                  l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                  l["max"].get<double>());
    }
    std::printf("outcomes:");
    for (const auto& [name, count] : totals.outcomes) std::printf(" %s=%ld", name.c_str(), count);
    std::printf(
        "\nrejected %ld, unavailable %ld (answered: resend later), unanswered %ld (no answer "
        "in time), dead letters %ld; longest wait for an answer %.0f ms\n",
        totals.rejected, totals.unavailable, totals.unanswered, totals.dead_letters,
        totals.max_wait_ms);
    if (options.verify) {
      const Json& v = report["verification"];
      std::printf(
          "verification: %s (%zu acknowledged checked, %zu missing; %zu records and "
          "%zu events replayed, %zu mismatches)\n",
          verified_ok ? "PASSED" : "FAILED", v["acknowledged_checked"].get<std::size_t>(),
          v["acknowledged_missing"].get<std::size_t>(), v["records_replayed"].get<std::size_t>(),
          v["events_replayed"].get<std::size_t>(), v["mismatches"].get<std::size_t>());
      for (const auto& line : v["first_mismatches"]) {
        std::printf("  %s\n", line.get<std::string>().c_str());
      }
    }
  }
  if (totals.unanswered > 0 || (totals.unavailable > 0 && !options.allow_unavailable) ||
      !verified_ok) {
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace synchub

int main(int argc, char** argv) {
  synchub::Options options;
  CLI::App app{"syncload: simulated sources publishing bursts of conflicting writes to synchub."};
  app.add_option("--endpoint", options.endpoints,
                 "ZeroMQ endpoint(s): the resolver's or the ingest gateway's")
      ->capture_default_str();
  app.add_option("--http", options.http_url,
                 "submit over HTTP instead: POST /api/sync on this gateway URL, one event per "
                 "request (e.g. http://127.0.0.1:15480)");
  app.add_option("--sources", options.sources, "simulated sources (CRM, ERP, Portal, LocalDB)")
      ->check(CLI::Range(1, 4))
      ->capture_default_str();
  app.add_option("--records", options.profile.records, "distinct records")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  app.add_option("--hot-share", options.profile.hot_share, "share of events on the hot keys")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--hot-records", options.profile.hot_records, "number of hot keys")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--conflict-share", options.profile.conflict_share,
                 "share of same-version (conflicting) events")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--delete-share", options.profile.delete_share, "share of deletes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--events", options.events, "events to send (without --duration)")
      ->check(CLI::Range(1L, 1000000000L))
      ->capture_default_str();
  app.add_option("--duration", options.duration_s, "seconds to run (overrides --events)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--batch", options.batch, "events per ZeroMQ request (--http: always 1)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--inflight", options.inflight, "concurrent requests per source")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--rate", options.rate, "events/s in all (0: as fast as possible)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--key-prefix", options.profile.key_prefix, "externalId prefix")
      ->capture_default_str();
  app.add_flag("--verify", options.verify,
               "afterwards, check the resolution log against every acknowledged event");
  app.add_flag("--allow-unavailable", options.allow_unavailable,
               "exit 0 even when some events were answered UNAVAILABLE / 503 (fault tests)");
  app.add_option("--db", options.db, "hub database for --verify")->envname("SYNCHUB_DB");
  app.add_flag("--json", options.json, "print the report as JSON");
  app.add_option("--seed", options.seed, "random seed");
  app.add_option("--credentials", options.credentials_file,
                 "credentials.json with a token per source ({\"sources\":{\"CRM\":TOKEN,...}}), "
                 "for --http with authentication on")
      ->envname("SYNCHUB_CREDENTIALS")
      ->check(CLI::ExistingFile);
  app.add_option("--curve-keys", options.curve_keys_dir,
                 "folder with each source's CURVE key (crm.key, erp.key, portal.key, "
                 "localdb.key) and the entrance's ingest.pub, for ZeroMQ with CURVE on")
      ->envname("SYNCHUB_CURVE_KEYS")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);
  if (!options.http_url.empty()) options.batch = 1;  // one event per HTTP request
  if (!options.curve_keys_dir.empty()) {
    for (const char* source : {"CRM", "ERP", "Portal", "LocalDB"}) {
      std::string lower = source;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto keys = synchub::LoadCurveClientKeys(options.curve_keys_dir + "/" + lower + ".key",
                                               options.curve_keys_dir + "/ingest.pub");
      if (!keys.ok()) {
        std::fprintf(stderr, "syncload: --curve-keys: %s\n", keys.status().message().c_str());
        return 2;
      }
      options.curve[source] = **keys;
    }
  }
  if (!options.credentials_file.empty()) {
    std::ifstream file(options.credentials_file);
    std::stringstream text;
    text << file.rdbuf();
    const synchub::Json credentials = synchub::TryParseStoredJson(text.str());
    if (!credentials.is_object() || !credentials.contains("sources") ||
        !credentials["sources"].is_object()) {
      std::fprintf(stderr, "syncload: --credentials: %s has no \"sources\" object\n",
                   options.credentials_file.c_str());
      return 2;
    }
    for (const auto& [source, token] : credentials["sources"].items()) {
      if (token.is_string()) options.tokens[source] = token.get<std::string>();
    }
  }
  return synchub::Run(options);
}
