// Deterministic simulation of the whole sync protocol (issue 11), in the spirit of
// FoundationDB's simulation testing: the real ladder (InMemoryHub) and the connector's real
// decisions (sync_decisions.hpp), with four sources whose local tables follow the capture
// triggers' rules (docs/connectors.md, tied to the SQL by connector_capture_pgtest.cpp), driven
// by a seeded scheduler that interleaves local edits (updates of random columns, deletes,
// re-inserts, key changes), pushes, lost push answers, resolutions, fan-out, deliveries,
// duplicate and late redeliveries, failed applies, lost acknowledgements and connector
// restarts. At quiescence (every conflict resolved) every source must hold exactly the
// canonical record, and every captured local change must have exactly one logged outcome.
//
// SYNCHUB_SIM_SEEDS (default 5000) seeds of SYNCHUB_SIM_STEPS (default 300) steps each run in
// the unit label. A failing seed prints its trace; SYNCHUB_SIM_SEED=N replays that one seed
// with the trace printed. `./dev bench` runs a long simulation (SYNCHUB_SIM_STEPS=1000000).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "connector/core/sync_decisions.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub::connector {
namespace {

const std::vector<std::string> kSourceNames = {"CRM", "ERP", "Portal", "LocalDB"};
const std::vector<std::string> kFields = {"a", "b", "c"};
const std::vector<std::string> kKeys = {"K1", "K2", "K3", "K4"};

// A canonical state as the hub sends it: the record and its etag.
struct State {
  std::int64_t etag = 0;
  CanonicalRecord record;
};

// One outbound change queued for a source.
struct Delivery {
  std::int64_t seq = 0;
  std::string key;
  State state;
};

// A captured local change (an outbox row).
struct OutboxRow {
  std::int64_t id = 0;
  std::string key;
  Event event;
  bool sent = false;  // submitted; the answer may be lost
};

struct LocalRow {
  std::map<std::string, Json> fields;
  std::int64_t version = 0;
};

struct Source {
  std::string name;
  // The local database (durable).
  std::map<std::string, LocalRow> rows;
  std::map<std::string, std::int64_t> tombstones;
  std::deque<OutboxRow> outbox;
  std::int64_t next_outbox_id = 1;
  std::map<std::string, std::int64_t> applied_etag;
  std::map<std::string, State> held;
  // The session with the outbound stream (memory): deliveries received, not yet acknowledged.
  std::size_t received = 0;  // index into the hub's queue for this source
  int consecutive_failures = 0;
};

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed) : rng_(seed), hub_(MakeCatalog()) {
    for (const auto& name : kSourceNames)
      sources_.push_back(Source{name, {}, {}, {}, 1, {}, {}, 0, 0});
    for (const auto& name : kSourceNames) {
      queues_[name];
      cursor_[name] = 0;
    }
  }

  // Runs `steps` random steps, then drives the system to quiescence. Returns "" when every
  // source converged, else what differs.
  std::string Run(int steps) {
    for (int i = 0; i < steps; ++i) Step();
    Quiesce();
    // Resolve every open conflict (take canonical), as an operator would, then quiesce again.
    for (int round = 0; round < 5 && !open_conflicts_.empty(); ++round) {
      std::set<std::string> keys(open_conflicts_.begin(), open_conflicts_.end());
      open_conflicts_.clear();
      for (const auto& key : keys) ResolveConflictTakeCanonical(key);
      Quiesce();
    }
    return Check();
  }

  const std::string& trace() const { return trace_; }

 private:
  static Catalog MakeCatalog() {
    // Portal and LocalDB share a priority, so that MANUAL conflicts happen too.
    return Catalog({{"CRM", 1}, {"ERP", 2}, {"Portal", 3}, {"LocalDB", 3}}, {"client"}, {});
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Pick(100) < percent; }
  void Log(const std::string& line) { trace_ += line + "\n"; }

  void Step() {
    Source& source = sources_[static_cast<std::size_t>(Pick(static_cast<int>(sources_.size())))];
    switch (Pick(10)) {
      case 0:
      case 1:
      case 2:
        LocalEdit(source);
        break;
      case 3:
      case 4:
        Push(source, /*lose_answer=*/Chance(10));
        break;
      case 5:
      case 6:
      case 7:
        Deliver(source, /*fail=*/Chance(8) && source.consecutive_failures < 3,
                /*lose_ack=*/Chance(8));
        break;
      case 8:
        if (Chance(30)) LateRedelivery(source);
        break;
      case 9:
        if (Chance(20)) Restart(source);
        break;
    }
  }

  // --- Local edits, with the capture triggers' rules -----------------------------------

  void Capture(Source& source, const std::string& key, Op op, std::int64_t version,
               FieldMap fields) {
    OutboxRow row;
    row.id = source.next_outbox_id++;
    row.key = key;
    row.event.event_id = source.name + "-" + std::to_string(row.id);
    row.event.external_id = key;
    row.event.source = source.name;
    row.event.version = version;
    row.event.op = op;
    row.event.fields = std::move(fields);
    source.outbox.push_back(std::move(row));
  }

  Json RandomValue() { return Json(std::string(1, static_cast<char>('p' + Pick(4)))); }

  void Insert(Source& source, const std::string& key, const std::map<std::string, Json>& fields) {
    auto tomb = source.tombstones.find(key);
    const std::int64_t version = tomb == source.tombstones.end() ? 1 : tomb->second + 1;
    source.rows[key] = LocalRow{fields, version};
    FieldMap sent;
    for (const auto& [name, value] : fields) sent.emplace(name, value);
    Capture(source, key, Op::kUpsert, version, std::move(sent));
  }

  void Delete(Source& source, const std::string& key) {
    const std::int64_t version = source.rows.at(key).version + 1;
    source.rows.erase(key);
    source.tombstones[key] = std::max(source.tombstones[key], version);
    Capture(source, key, Op::kDelete, version, {});
  }

  void LocalEdit(Source& source) {
    const std::string& key = kKeys[static_cast<std::size_t>(Pick(static_cast<int>(kKeys.size())))];
    auto row = source.rows.find(key);
    if (row == source.rows.end()) {
      std::map<std::string, Json> fields;
      for (const auto& field : kFields) fields[field] = RandomValue();
      Log(source.name + " inserts " + key);
      Insert(source, key, fields);
      return;
    }
    const int kind = Pick(10);
    if (kind == 0) {
      Log(source.name + " deletes " + key);
      Delete(source, key);
      return;
    }
    if (kind == 1) {
      // A key change: onto a key this source does not hold.
      for (const auto& other : kKeys) {
        if (source.rows.count(other) != 0) continue;
        Log(source.name + " renames " + key + " to " + other);
        std::map<std::string, Json> fields = row->second.fields;
        Delete(source, key);
        Insert(source, other, fields);
        return;
      }
    }
    // An update of one or two random columns; an update that changes nothing sends nothing.
    FieldMap changed;
    for (int n = 0; n < 1 + Pick(2); ++n) {
      const std::string& field = kFields[static_cast<std::size_t>(Pick(3))];
      Json value = RandomValue();
      if (JsonEqual(row->second.fields[field], value)) continue;
      row->second.fields[field] = value;
      changed.insert_or_assign(field, value);
    }
    if (changed.empty()) return;
    row->second.version += 1;
    Log(source.name + " updates " + key + " to v" + std::to_string(row->second.version));
    Capture(source, key, Op::kUpsert, row->second.version, std::move(changed));
  }

  // --- The hub ------------------------------------------------------------------------------

  struct Answer {
    Outcome outcome = Outcome::kStaleSkip;
    std::optional<State> state;  // the canonical state after resolution, when a record exists
  };

  // Resolves an event once (idempotency key: the event id); a resend gets the first answer.
  Answer Submit(const Event& event) {
    auto logged = answers_.find(event.event_id);
    if (logged != answers_.end()) return logged->second;
    Decision decision = hub_.Apply(event);
    Answer answer;
    answer.outcome = decision.outcome;
    const CanonicalRecord* record = hub_.Find(event.entity, event.external_id);
    if (decision.changed) ++etags_[event.external_id];
    if (record != nullptr) answer.state = State{etags_[event.external_id], *record};
    if (decision.outcome == Outcome::kManual) open_conflicts_.push_back(event.external_id);
    if (answer.state) {
      for (const auto& target : decision.targets) {
        auto queue = queues_.find(target);
        if (queue == queues_.end()) continue;
        queue->second.push_back(Delivery{++seq_, event.external_id, *answer.state});
      }
    }
    Log("  hub: " + event.event_id + " " + std::string(OutcomeName(decision.outcome)) +
        (answer.state ? " etag " + std::to_string(answer.state->etag) : ""));
    answers_.emplace(event.event_id, answer);
    ++decided_[event.event_id];
    return answer;
  }

  void ResolveConflictTakeCanonical(const std::string& key) {
    const CanonicalRecord* record = hub_.Find("client", key);
    if (record == nullptr) return;
    Event event;
    event.event_id = "operator-" + std::to_string(++operator_events_);
    event.external_id = key;
    event.source = "operator";
    event.version = record->version + 1;
    event.op = record->deleted() ? Op::kDelete : Op::kUpsert;
    Log("operator resolves " + key);
    (void)Submit(event);
  }

  // --- The connector ------------------------------------------------------------------------

  KeyState StateOf(const Source& source, const std::string& key) const {
    KeyState state;
    auto applied = source.applied_etag.find(key);
    if (applied != source.applied_etag.end()) state.applied_etag = applied->second;
    for (const auto& row : source.outbox) {
      if (row.key == key) state.local_pending = true;
    }
    auto held = source.held.find(key);
    if (held != source.held.end()) state.held_etag = held->second.etag;
    return state;
  }

  // Writes a canonical state into the local table, as the inbound upsert or delete does.
  void ApplyLocally(Source& source, const std::string& key, const State& state) {
    if (state.record.deleted()) {
      source.rows.erase(key);
      source.tombstones[key] = std::max(source.tombstones[key], state.record.version);
    } else {
      LocalRow row;
      row.version = state.record.version;
      for (const auto& field : kFields) {
        auto value = state.record.fields.find(field);
        row.fields[field] = value == state.record.fields.end() ? Json() : value->second;
      }
      source.rows[key] = std::move(row);
    }
    source.applied_etag[key] = state.etag;
    source.held.erase(key);
  }

  void Push(Source& source, bool lose_answer) {
    if (source.outbox.empty()) return;
    OutboxRow& row = source.outbox.front();
    row.sent = true;
    const Answer answer = Submit(row.event);
    if (lose_answer) {
      Log(source.name + " loses the answer to " + row.event.event_id);
      return;  // resent on the next push
    }
    const std::string key = row.key;
    source.outbox.pop_front();
    const KeyState state = StateOf(source, key);
    const std::int64_t answer_etag = answer.state ? answer.state->etag : 0;
    if (answer.state && answer_etag > state.held_etag && answer_etag >= state.applied_etag) {
      source.held[key] = *answer.state;  // the answer is the newest known state
    }
    const std::int64_t apply = StateToApplyOnAnswer(StateOf(source, key), answer_etag);
    if (apply != 0) {
      Log(source.name + " applies etag " + std::to_string(apply) + " of " + key + " on answer");
      ApplyLocally(source, key, source.held.at(key));
    }
  }

  void Deliver(Source& source, bool fail, bool lose_ack) {
    auto& queue = queues_[source.name];
    if (source.received >= queue.size()) return;
    const Delivery delivery = queue[source.received];
    if (fail) {
      // A failed apply: nothing is written, nothing acknowledged; the session restarts from
      // the last acknowledgement.
      ++source.consecutive_failures;
      ASSERT_FALSE(ParkAnyFailure(source.consecutive_failures));
      Log(source.name + " fails to apply seq " + std::to_string(delivery.seq));
      source.received = cursor_[source.name];
      return;
    }
    source.consecutive_failures = 0;
    ApplyDelivery(source, delivery);
    ++source.received;
    if (!lose_ack) cursor_[source.name] = source.received;
  }

  void ApplyDelivery(Source& source, const Delivery& delivery) {
    const KeyState state = StateOf(source, delivery.key);
    switch (DecideInbound(state, delivery.state.etag)) {
      case InboundAction::kApply:
        Log(source.name + " applies etag " + std::to_string(delivery.state.etag) + " of " +
            delivery.key);
        ApplyLocally(source, delivery.key, delivery.state);
        break;
      case InboundAction::kHold:
        Log(source.name + " holds etag " + std::to_string(delivery.state.etag) + " of " +
            delivery.key);
        if (delivery.state.etag > state.held_etag) source.held[delivery.key] = delivery.state;
        break;
      case InboundAction::kSkipOlder:
        break;
    }
  }

  // A duplicate of an already acknowledged delivery arrives late.
  void LateRedelivery(Source& source) {
    const std::size_t acked = cursor_[source.name];
    if (acked == 0) return;
    const Delivery delivery =
        queues_[source.name][static_cast<std::size_t>(Pick(static_cast<int>(acked)))];
    Log(source.name + " gets seq " + std::to_string(delivery.seq) + " again, late");
    ApplyDelivery(source, delivery);
  }

  // The connector process restarts: the session resumes from the last acknowledgement; every
  // outbox row is pushed again (a sent row whose answer was lost is a resend).
  void Restart(Source& source) {
    Log(source.name + " restarts");
    source.received = cursor_[source.name];
    source.consecutive_failures = 0;
  }

  void Quiesce() {
    for (int round = 0; round < 1000; ++round) {
      bool busy = false;
      for (auto& source : sources_) {
        while (!source.outbox.empty()) {
          Push(source, false);
          busy = true;
        }
        while (source.received < queues_[source.name].size()) {
          Deliver(source, false, false);
          busy = true;
        }
        // The periodic settle (RetryHeld): a held state whose key has nothing pending.
        for (const auto& key : kKeys) {
          const std::int64_t apply = StateToApplyOnAnswer(StateOf(source, key), 0);
          if (apply != 0) {
            ApplyLocally(source, key, source.held.at(key));
            busy = true;
          }
        }
      }
      if (!busy) return;
    }
  }

  std::string Check() {
    std::ostringstream out;
    for (const auto& source : sources_) {
      for (const auto& key : kKeys) {
        const CanonicalRecord* record = hub_.Find("client", key);
        auto row = source.rows.find(key);
        const bool live = record != nullptr && !record->deleted();
        if (!live) {
          if (row != source.rows.end())
            out << source.name << " holds " << key << " deleted at the hub\n";
          continue;
        }
        if (row == source.rows.end()) {
          out << source.name << " lacks " << key << " (v" << record->version << ")\n";
          continue;
        }
        if (row->second.version != record->version) {
          out << source.name << " holds " << key << " v" << row->second.version << ", hub v"
              << record->version << "\n";
        }
        for (const auto& field : kFields) {
          auto canonical = record->fields.find(field);
          const Json want = canonical == record->fields.end() ? Json() : canonical->second;
          if (!JsonEqual(row->second.fields.at(field), want)) {
            out << source.name << " holds " << key << "." << field << " = "
                << JsonText(row->second.fields.at(field)) << ", hub " << JsonText(want) << "\n";
          }
        }
      }
      if (!source.outbox.empty()) out << source.name << " has unpushed changes\n";
    }
    for (const auto& [event_id, count] : decided_) {
      if (count != 1) out << event_id << " decided " << count << " times\n";
    }
    return out.str();
  }

  std::mt19937_64 rng_;
  InMemoryHub hub_;
  std::vector<Source> sources_;
  std::map<std::string, std::vector<Delivery>> queues_;
  std::map<std::string, std::size_t> cursor_;  // per source: deliveries acknowledged
  std::map<std::string, std::int64_t> etags_;
  std::map<std::string, Answer> answers_;
  std::map<std::string, int> decided_;
  std::vector<std::string> open_conflicts_;
  std::int64_t seq_ = 0;
  int operator_events_ = 0;
  std::string trace_;
};

std::int64_t EnvOr(const char* name, std::int64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::atoll(value);
}

TEST(ConvergenceSimulation, EverySourceEndsEqualToTheCanonicalRecord) {
  const std::int64_t one_seed = EnvOr("SYNCHUB_SIM_SEED", -1);
  const std::int64_t seeds = one_seed >= 0 ? 1 : EnvOr("SYNCHUB_SIM_SEEDS", 5000);
  const int steps = static_cast<int>(EnvOr("SYNCHUB_SIM_STEPS", 300));
  const auto started = std::chrono::steady_clock::now();
  int failures = 0;
  for (std::int64_t i = 0; i < seeds && failures < 3; ++i) {
    const auto seed = static_cast<std::uint64_t>(one_seed >= 0 ? one_seed : i);
    Simulation simulation(seed);
    const std::string diverged = simulation.Run(steps);
    if (one_seed >= 0) std::printf("%s", simulation.trace().c_str());
    if (!diverged.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << " diverged (replay: SYNCHUB_SIM_SEED=" << seed << "):\n"
                    << diverged << "trace:\n"
                    << simulation.trace();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[ measure ] %lld seeds x %d steps in %.1f s\n", static_cast<long long>(seeds), steps,
              seconds);
}

}  // namespace
}  // namespace synchub::connector
