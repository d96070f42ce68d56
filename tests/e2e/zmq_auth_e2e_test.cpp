// ZeroMQ security end to end (docs/security.md): CURVE with ZAP on the gateway's entrance, the
// resolver and outbound, real processes and sockets. Only a registered key gets anything
// through; the identity, never the payload, decides which source a client submits as and
// which outbound stream it may read and acknowledge; a revocation bites on open connections.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/auth/token.hpp"
#include "common/codec/proto_codec.hpp"
#include "common/pg/credential_store.hpp"
#include "common/zmq/curve.hpp"
#include "common/zmq/resolver_client.hpp"
#include "stack_harness.hpp"
#include "synchub/v1/outbound.pb.h"

namespace synchub {
namespace {

class ZmqAuthE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = testing::StartStack(/*authenticate=*/true).release();
    crm_keys_ = GenerateCurveKeyPair();
    stranger_keys_ = GenerateCurveKeyPair();
    auto connection = stack_->db->Connect();
    auto made =
        PgCredentialStore(*connection)
            .Create(ParseRole("source:CRM").value(), "CRM test", false, crm_keys_.public_z85, 0);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    crm_id_ = made->row.identity.credential_id;
    ingest_public_ = LoadCurvePublicKey(stack_->keys + "/ingest.pub").value();
    resolver_public_ = LoadCurvePublicKey(stack_->keys + "/resolver.pub").value();
    // The services reload credentials every 250 ms: wait until CRM's key gets an answer.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline &&
           !Client(CurveClientKeys{crm_keys_, ingest_public_}).Ping().ok()) {
    }
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  // A client of the gateway's entrance (or of `endpoint`) with `curve` (nullopt: plain).
  static ResolverClient Client(std::optional<CurveClientKeys> curve,
                               const std::string& endpoint = "") {
    ResolverClientOptions options;
    options.endpoints = {endpoint.empty() ? stack_->zmq_endpoint : endpoint};
    options.timeout = std::chrono::milliseconds(1500);
    options.attempts = 1;
    options.curve = std::move(curve);
    return ResolverClient(context_, options);
  }

  static v1::Event EventOf(const std::string& source, const std::string& key) {
    Event event;
    event.event_id = "zmq-auth-" + key;
    event.external_id = key;
    event.source = source;
    event.version = 1;
    event.fields.insert_or_assign("email", Json(key + "@example.com"));
    return EventToProto(event);
  }

  static std::string HubScalar(const std::string& sql) {
    auto connection = stack_->db->Connect();
    pqxx::read_transaction tx(*connection);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  static bool Stored(const std::string& key) {
    return HubScalar("SELECT count(*) FROM canonical_record WHERE external_id = '" + key + "'") !=
           "0";
  }

  static testing::Stack* stack_;
  static zmq::context_t context_;
  static CurveKeyPair crm_keys_;
  static CurveKeyPair stranger_keys_;
  static std::int64_t crm_id_;
  static std::string ingest_public_;
  static std::string resolver_public_;
};

testing::Stack* ZmqAuthE2e::stack_ = nullptr;
zmq::context_t ZmqAuthE2e::context_{1};
CurveKeyPair ZmqAuthE2e::crm_keys_;
CurveKeyPair ZmqAuthE2e::stranger_keys_;
std::int64_t ZmqAuthE2e::crm_id_ = 0;
std::string ZmqAuthE2e::ingest_public_;
std::string ZmqAuthE2e::resolver_public_;

TEST_F(ZmqAuthE2e, ARegisteredSourceSubmitsAsItselfAndTheLogNamesItsCredential) {
  auto client = Client(CurveClientKeys{crm_keys_, ingest_public_});
  auto reply = client.Submit({EventOf("CRM", "Z-OWN")});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->results_size(), 1);
  EXPECT_EQ(reply->results(0).outcome(), v1::OUTCOME_NEW_RECORD);
  EXPECT_EQ(HubScalar("SELECT credential_id FROM resolution_log WHERE event_id = 'zmq-auth-Z-OWN'"),
            std::to_string(crm_id_));
}

TEST_F(ZmqAuthE2e, ImpersonationIsRefusedAndNothingIsStored) {
  auto client = Client(CurveClientKeys{crm_keys_, ingest_public_});
  auto reply = client.Submit({EventOf("ERP", "Z-AS-ERP")});
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("ERP"), std::string::npos) << reply.status().message();
  // One event of another source refuses the whole batch.
  auto mixed = client.Submit({EventOf("CRM", "Z-MIXED-1"), EventOf("ERP", "Z-MIXED-2")});
  EXPECT_FALSE(mixed.ok());
  EXPECT_FALSE(Stored("Z-AS-ERP"));
  EXPECT_FALSE(Stored("Z-MIXED-1"));
  EXPECT_FALSE(Stored("Z-MIXED-2"));
}

TEST_F(ZmqAuthE2e, UnregisteredPlainAndWrongServerKeyClientsGetNothingThrough) {
  const std::vector<std::pair<std::string, std::optional<CurveClientKeys>>> clients = {
      {"unregistered key", CurveClientKeys{stranger_keys_, ingest_public_}},
      {"no CURVE", std::nullopt},
      {"wrong server key", CurveClientKeys{crm_keys_, resolver_public_}},
  };
  int n = 0;
  for (const auto& [what, curve] : clients) {
    const std::string key = "Z-STRANGER-" + std::to_string(++n);
    auto reply = Client(curve).Submit({EventOf("CRM", key)});
    EXPECT_FALSE(reply.ok()) << what;
    EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << what;
    EXPECT_FALSE(Stored(key)) << what;
  }
}

TEST_F(ZmqAuthE2e, ASourceKeyCannotCallTheResolverDirectly) {
  auto direct = Client(CurveClientKeys{crm_keys_, resolver_public_}, stack_->resolver_endpoint);
  auto reply = direct.Submit({EventOf("CRM", "Z-DIRECT")});
  EXPECT_FALSE(reply.ok());
  auto plain = Client(std::nullopt, stack_->resolver_endpoint);
  EXPECT_FALSE(plain.Submit({EventOf("CRM", "Z-DIRECT")}).ok());
  EXPECT_FALSE(Stored("Z-DIRECT"));
}

TEST_F(ZmqAuthE2e, OutboundServesAStreamOnlyToItsOwnSource) {
  testing::ChildProcess outbound(std::vector<std::string>{
      SYNCHUB_OUTBOUND_BIN, "--db", stack_->db->conninfo(), "--listen", "tcp://127.0.0.1:*",
      "--log-level", "warn", "--curve-secret-key", stack_->keys + "/outbound.key"});
  auto ready = outbound.WaitForLine("READY", std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value());
  const std::string endpoint = ready->substr(6, ready->find(' ', 6) - 6);
  const std::string outbound_public = LoadCurvePublicKey(stack_->keys + "/outbound.pub").value();
  // Whatever arrives for a subscription of `source` within `wait`.
  auto first_message = [&](const std::string& source, std::chrono::milliseconds wait) {
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    SecureClientSocket(socket, CurveClientKeys{crm_keys_, outbound_public});
    socket.connect(endpoint);
    v1::ConnectorToHub subscribe;
    subscribe.mutable_subscribe()->set_source(source);
    subscribe.mutable_subscribe()->set_credit(100);
    (void)socket.send(zmq::buffer(subscribe.SerializeAsString()), zmq::send_flags::none);
    zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, wait);
    v1::HubToConnector message;
    zmq::message_t frame;
    if ((items[0].revents & ZMQ_POLLIN) && socket.recv(frame, zmq::recv_flags::dontwait)) {
      message.ParseFromArray(frame.data(), static_cast<int>(frame.size()));
    }
    // Acknowledge on the stream's behalf, as an impersonator would.
    v1::ConnectorToHub ack;
    ack.mutable_ack()->set_source(source);
    ack.mutable_ack()->set_up_to_seq(1000000);
    (void)socket.send(zmq::buffer(ack.SerializeAsString()), zmq::send_flags::none);
    return message;
  };
  // CRM's key as CRM: served (a load page or a heartbeat within the heartbeat interval).
  EXPECT_NE(first_message("CRM", std::chrono::milliseconds(5000)).body_case(),
            v1::HubToConnector::BODY_NOT_SET);
  // CRM's key as ERP: nothing, and ERP's position does not move.
  EXPECT_EQ(first_message("ERP", std::chrono::milliseconds(2500)).body_case(),
            v1::HubToConnector::BODY_NOT_SET);
  EXPECT_EQ(HubScalar("SELECT count(*) FROM outbound_cursor WHERE target_source = 'ERP' AND "
                      "(seq > 0 OR load_xid IS NOT NULL)"),
            "0");
}

// Last: revokes CRM's credential.
TEST_F(ZmqAuthE2e, ZzARevocationBitesOnAnOpenConnectionWithinASecond) {
  auto client = Client(CurveClientKeys{crm_keys_, ingest_public_});
  ASSERT_TRUE(client.Submit({EventOf("CRM", "Z-BEFORE")}).ok());
  {
    auto connection = stack_->db->Connect();
    ASSERT_TRUE(PgCredentialStore(*connection).Revoke(crm_id_).ok());
  }
  const auto revoked_at = std::chrono::steady_clock::now();
  int n = 0;
  StatusOr<v1::SubmitReply> reply = Status::Unavailable("not sent");
  do {
    reply = client.Submit({EventOf("CRM", "Z-AFTER-" + std::to_string(++n))});
  } while (reply.ok() && std::chrono::steady_clock::now() < revoked_at + std::chrono::seconds(3));
  EXPECT_FALSE(reply.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::milliseconds(1000));
  EXPECT_FALSE(Stored("Z-AFTER-" + std::to_string(n)));
}

}  // namespace
}  // namespace synchub
