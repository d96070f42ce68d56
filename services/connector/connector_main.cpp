// synchub-connector: two-way sync between one PostgreSQL database and the hub.
//   synchub-connector --config FILE setup    install the outbox, state tables and triggers
//   synchub-connector --config FILE run      push local changes, pull canonical ones
//   synchub-connector --config FILE status   outbox counts and parked rows
// (`--config` may also follow the subcommand.) Exit codes: 0 done, 2 the database or the
// configuration is not usable (the message says what to fix).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/pg/connection.hpp"
#include "common/runtime/service_logging.hpp"
#include "connector/connector_config.hpp"
#include "connector/connector_sync.hpp"

namespace synchub {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

class OutboxWakeup final : public pqxx::notification_receiver {
 public:
  explicit OutboxWakeup(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, "synchub_outbox") {}
  void operator()(const std::string&, int) override {}
};

std::unique_ptr<pqxx::connection> ConnectWithRetry(const std::string& conninfo) {
  while (!g_stop) {
    auto connection = ConnectPg(conninfo);
    if (connection.ok()) return std::move(connection).value();
    spdlog::warn("{}; retrying in 1 s", connection.status().message());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return nullptr;
}

void PushLoop(const ConnectorConfig& config, zmq::context_t& context) {
  OutboxPusher pusher(config, context);
  while (!g_stop) {
    auto connection = ConnectWithRetry(config.database);
    if (!connection) return;
    OutboxWakeup wakeup(*connection);
    while (!g_stop) {
      auto pushed = pusher.PushOnce(*connection);
      if (!pushed.ok()) {
        spdlog::warn("push: {}", pushed.status().message());
        if (!connection->is_open()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      if (auto reported = pusher.ReportParked(*connection); !reported.ok()) {
        spdlog::warn("reporting parked rows: {}", reported.status().message());
      }
      if (*pushed > 0) continue;  // more may be waiting
      try {
        connection->await_notification(0, 250000);
      } catch (const std::exception& error) {
        spdlog::warn("push: {}", error.what());
        break;
      }
    }
  }
}

void PullLoop(const ConnectorConfig& config, zmq::context_t& context) {
  constexpr std::uint32_t kCredit = 1000;
  InboundApplier applier(config);
  auto connection = ConnectWithRetry(config.database);
  while (!g_stop && connection) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(config.outbound_endpoint);
    auto send = [&](const v1::ConnectorToHub& message) {
      (void)socket.send(zmq::buffer(message.SerializeAsString()), zmq::send_flags::dontwait);
    };
    v1::ConnectorToHub subscribe;
    subscribe.mutable_subscribe()->set_source(config.source);
    subscribe.mutable_subscribe()->set_credit(kCredit);
    send(subscribe);
    auto last_heard = std::chrono::steady_clock::now();
    auto last_beat = last_heard;
    auto last_retry = last_heard;
    auto last_settle = last_heard;
    while (!g_stop) {
      zmq::pollitem_t item = {socket.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(100));
      } catch (const zmq::error_t&) {
        continue;
      }
      const auto now = std::chrono::steady_clock::now();
      bool failed = false;
      if (item.revents & ZMQ_POLLIN) {
        zmq::message_t frame;
        while (socket.recv(frame, zmq::recv_flags::dontwait)) {
          last_heard = now;
          v1::HubToConnector message;
          if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) continue;
          if (!message.has_deliver() || message.deliver().changes_size() == 0) continue;
          auto applied = applier.Apply(*connection, message.deliver());
          if (!applied.ok()) {
            spdlog::warn("apply: {}", applied.status().message());
            if (!connection->is_open()) connection = ConnectWithRetry(config.database);
            failed = true;  // not acknowledged, and nothing after it either: a new session
            break;          // resumes from the last acknowledged change
          }
          v1::ConnectorToHub ack;
          ack.mutable_ack()->set_source(config.source);
          const auto& changes = message.deliver().changes();
          ack.mutable_ack()->set_up_to_seq(changes[changes.size() - 1].seq());
          ack.mutable_ack()->set_credit(kCredit);
          send(ack);
        }
      }
      if (failed) break;
      if (now - last_beat >= std::chrono::seconds(1)) {
        v1::ConnectorToHub beat;
        beat.mutable_heartbeat()->set_source(config.source);
        send(beat);
        last_beat = now;
      }
      // Parked inbound changes are tried again every 10 s: once an operator fixed what
      // refused them (a column too narrow), they apply by themselves.
      if (now - last_settle >= std::chrono::seconds(2)) {
        auto settled = applier.SettleHeld(*connection);
        if (!settled.ok()) spdlog::warn("{}", settled.status().message());
        last_settle = now;
      }
      if (now - last_retry >= std::chrono::seconds(10)) {
        auto retried = applier.RetryParked(*connection);
        if (!retried.ok()) {
          spdlog::warn("retrying parked inbound changes: {}", retried.status().message());
        } else if (*retried > 0) {
          spdlog::info("{} parked inbound change(s) applied", *retried);
        }
        last_retry = now;
      }
      if (now - last_heard > std::chrono::seconds(3)) {
        spdlog::info("no word from the hub for 3 s; subscribing again");
        break;
      }
    }
  }
}

// Prints the outbox counts and the parked rows. Throws pqxx errors (no outbox: not set up).
void PrintOutboxStatus(pqxx::connection_base& connection, const ConnectorConfig& config) {
  pqxx::read_transaction tx(connection);
  auto counts = tx.exec1(
      "SELECT count(*) FILTER (WHERE sent_at IS NULL AND NOT parked), "
      "count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE parked) "
      "FROM synchub_outbox");
  std::printf("source %s: %s pending, %s sent, %s parked\n", config.source.c_str(),
              counts[0].c_str(), counts[1].c_str(), counts[2].c_str());
  for (const auto& row : tx.exec("SELECT id, entity, external_id, op, retry_count, "
                                 "coalesce(last_error, '') FROM synchub_outbox WHERE parked "
                                 "ORDER BY id")) {
    std::printf("parked %s %s/%s %s after %s attempts: %s\n", row[0].c_str(), row[1].c_str(),
                row[2].c_str(), row[3].c_str(), row[4].c_str(), row[5].c_str());
  }
  // Inbound changes this database could not hold exactly (never applied, never rounded).
  for (const auto& row : tx.exec("SELECT id, entity, external_id, etag, error FROM "
                                 "synchub_inbound_parked ORDER BY id")) {
    std::printf("inbound parked %s %s/%s etag %s: %s\n", row[0].c_str(), row[1].c_str(),
                row[2].c_str(), row[3].c_str(), row[4].c_str());
  }
}

int PrintStatus(const ConnectorConfig& config) {
  auto connection = ConnectPg(config.database);
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-connector: %s\n", connection.status().message().c_str());
    return 2;
  }
  try {
    PrintOutboxStatus(**connection, config);
    return 0;
  } catch (const pqxx::undefined_table&) {
    std::fprintf(stderr,
                 "synchub-connector: %s's database has no synchub_outbox: run "
                 "`synchub-connector --config FILE setup` first\n",
                 config.source.c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "synchub-connector: status: %s\n", error.what());
  }
  return 2;
}

}  // namespace
}  // namespace synchub

int main(int argc, char** argv) {
  CLI::App app{"synchub-connector: two-way sync of one PostgreSQL database with synchub."};
  app.require_subcommand(1);
  app.fallthrough();  // `--config FILE` before or after the subcommand
  std::string config_path;
  std::string log_level = "info";
  app.add_option("--config", config_path, "the connector's JSON configuration")->required();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  auto* setup = app.add_subcommand("setup", "install the outbox, state tables and triggers");
  auto* run = app.add_subcommand("run", "push local changes and pull canonical ones");
  auto* status = app.add_subcommand("status", "outbox counts and parked rows");
  CLI11_PARSE(app, argc, argv);

  std::ifstream file(config_path);
  if (!file) {
    std::fprintf(stderr, "synchub-connector: cannot read %s\n", config_path.c_str());
    return 2;
  }
  std::stringstream text;
  text << file.rdbuf();
  auto config = synchub::ParseConnectorConfig(text.str());
  if (!config.ok()) {
    std::fprintf(stderr, "synchub-connector: %s: %s\n", config_path.c_str(),
                 config.status().message().c_str());
    return 2;
  }
  synchub::ConfigureServiceLogging("connector " + config->source, log_level);
  if (setup->parsed()) {
    auto connection = synchub::ConnectPg(config->database);
    if (!connection.ok()) {
      std::fprintf(stderr, "synchub-connector: %s\n", connection.status().message().c_str());
      return 2;
    }
    try {
      pqxx::work tx(**connection);
      tx.exec("SELECT pg_advisory_xact_lock(7365)");
      // Mapped column types that cannot hold every JSON value exactly: said before anything
      // is installed; json cannot be synced at all.
      for (const auto& mapping : config->entities) {
        for (const auto& [column, field] : mapping.columns_to_fields) {
          auto rows = tx.exec_params(
              "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
              "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
              mapping.table, column);
          if (rows.empty()) {
            std::fprintf(stderr, "synchub-connector setup: %s.%s: no such column\n",
                         mapping.table.c_str(), column.c_str());
            return 3;
          }
          const std::string type = rows[0][0].as<std::string>();
          if (synchub::ColumnTypeUnsupported(type)) {
            std::fprintf(stderr,
                         "synchub-connector setup: %s.%s is json, which has no equality to "
                         "detect changes with; change it to jsonb\n",
                         mapping.table.c_str(), column.c_str());
            return 3;
          }
          const std::string warning = synchub::ColumnTypeWarning(mapping.table, column, type);
          if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
        }
      }
      tx.exec(synchub::SetupSql(*config));
      if (tx.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>()) {
        tx.exec(synchub::DdlGuardSql(*config));
      } else {
        std::fprintf(stderr,
                     "warning: not a superuser: DROP TABLE and ALTER TABLE of synced tables are "
                     "not guarded (event triggers need a superuser); run setup as one to add "
                     "the guard\n");
      }
      tx.commit();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "synchub-connector setup: %s\n", error.what());
      return 3;
    }
    std::printf("set up %s\n", config->source.c_str());
    return 0;
  }
  if (status->parsed()) return synchub::PrintStatus(*config);
  if (run->parsed()) {
    std::signal(SIGTERM, synchub::OnSignal);
    std::signal(SIGINT, synchub::OnSignal);
    zmq::context_t context(1);
    std::thread push([&] { synchub::PushLoop(*config, context); });
    std::thread pull([&] { synchub::PullLoop(*config, context); });
    std::printf("READY %s\n", config->source.c_str());
    std::fflush(stdout);
    push.join();
    pull.join();
  }
  return 0;
}
