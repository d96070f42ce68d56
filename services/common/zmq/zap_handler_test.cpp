#include "common/zmq/zap_handler.hpp"

#include <gtest/gtest.h>
#include <zmq.h>

#include <array>
#include <atomic>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <vector>
#include <zmq_addon.hpp>

#include "common/zmq/curve.hpp"
#include "common/zmq/poll.hpp"

namespace synchub {
namespace {

using std::chrono::milliseconds;

// Long enough for any handshake on loopback; the tests return as soon as the condition holds.
constexpr milliseconds kWait{5000};
// How long "nothing arrives" is watched for once the handshake has failed.
constexpr milliseconds kQuiet{500};

// Events of a socket, read from its monitor (zmq_socket_monitor).
class Monitor {
 public:
  struct Event {
    std::uint16_t event = 0;
    std::uint32_t value = 0;
  };

  Monitor(zmq::context_t& context, zmq::socket_t& socket, const std::string& name)
      : pair_(context, zmq::socket_type::pair) {
    const std::string endpoint = "inproc://monitor-" + name;
    if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), ZMQ_EVENT_ALL) != 0) {
      throw zmq::error_t();
    }
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(endpoint);
  }

  // The first event in `mask` within `timeout`; other events are skipped.
  std::optional<Event> WaitFor(int mask, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    zmq::pollitem_t items[] = {{pair_.handle(), 0, ZMQ_POLLIN, 0}};
    while (true) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      if (PollFor(items, left) == 0) continue;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(pair_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        continue;
      }
      if (frames.empty() || frames[0].size() != 6) continue;
      Event event;
      std::memcpy(&event.event, frames[0].data(), 2);
      std::memcpy(&event.value, frames[0].data<char>() + 2, 4);
      if ((event.event & mask) != 0) return event;
    }
  }

 private:
  zmq::socket_t pair_;
};

constexpr int kHandshakeEvents =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// Whether `socket` receives a message within `timeout`.
bool Receives(zmq::socket_t& socket, milliseconds timeout) {
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  return PollFor(items, timeout) > 0;
}

// A CURVE ROUTER bound on loopback, watched by a monitor.
struct CurveServer {
  CurveServer(zmq::context_t& context, const CurveKeyPair& keys, const std::string& name)
      : socket(context, zmq::socket_type::router) {
    socket.set(zmq::sockopt::linger, 0);
    MakeCurveServer(socket, keys);
    monitor.emplace(context, socket, name);
    socket.bind("tcp://127.0.0.1:*");
    endpoint = socket.get(zmq::sockopt::last_endpoint);
  }

  zmq::socket_t socket;
  std::optional<Monitor> monitor;
  std::string endpoint;
};

zmq::socket_t Dealer(zmq::context_t& context) {
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  return dealer;
}

// The server's keys, one registered client (identity "17") and a handler that knows it.
class CurveZapTest : public ::testing::Test {
 protected:
  CurveZapTest()
      : server_keys_(GenerateCurveKeyPair()),
        client_keys_(GenerateCurveKeyPair()),
        handler_(context_,
                 [this](const std::string&, const std::string& key) -> std::optional<std::string> {
                   if (key == client_keys_.public_z85) return "17";
                   return std::nullopt;
                 }) {}

  zmq::context_t context_{1};
  CurveKeyPair server_keys_;
  CurveKeyPair client_keys_;
  ZapHandler handler_;
};

TEST_F(CurveZapTest, RegisteredClientGetsThroughWithItsIdentity) {
  ASSERT_TRUE(handler_.Start().ok());
  CurveServer server(context_, server_keys_, "registered");
  zmq::socket_t client = Dealer(context_);
  MakeCurveClient(client, client_keys_, server_keys_.public_z85);
  client.connect(server.endpoint);
  ASSERT_TRUE(client.send(zmq::str_buffer("hello"), zmq::send_flags::none));

  ASSERT_TRUE(Receives(server.socket, kWait));
  zmq::message_t routing_id;
  zmq::message_t payload;
  ASSERT_TRUE(server.socket.recv(routing_id, zmq::recv_flags::dontwait));
  ASSERT_TRUE(routing_id.more());
  ASSERT_TRUE(server.socket.recv(payload, zmq::recv_flags::dontwait));
  EXPECT_EQ(payload.to_string(), "hello");
  // Not PeerUserId(routing_id): libzmq 4.3.4 drops the metadata of a ROUTER's routing-id frame
  // when the socket was polled first (fixed in 4.3.5).
  EXPECT_EQ(PeerUserId(payload), "17");
  EXPECT_EQ(handler_.accepted(), 1u);
  EXPECT_EQ(handler_.refused(), 0u);

  // The way back is encrypted with the same session.
  std::array<zmq::const_buffer, 2> reply = {zmq::buffer(routing_id.to_string_view()),
                                            zmq::str_buffer("welcome")};
  ASSERT_TRUE(zmq::send_multipart(server.socket, reply));
  ASSERT_TRUE(Receives(client, kWait));
  zmq::message_t answer;
  ASSERT_TRUE(client.recv(answer, zmq::recv_flags::dontwait));
  EXPECT_EQ(answer.to_string(), "welcome");
}

TEST_F(CurveZapTest, UnregisteredClientGetsNothingThrough) {
  ASSERT_TRUE(handler_.Start().ok());
  CurveServer server(context_, server_keys_, "unregistered");
  zmq::socket_t client = Dealer(context_);
  MakeCurveClient(client, GenerateCurveKeyPair(), server_keys_.public_z85);
  client.connect(server.endpoint);
  ASSERT_TRUE(client.send(zmq::str_buffer("let me in"), zmq::send_flags::none));

  auto event = server.monitor->WaitFor(kHandshakeEvents, kWait);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  EXPECT_EQ(event->value, 400u);  // the ZAP status code
  EXPECT_GE(handler_.refused(), 1u);
  EXPECT_EQ(handler_.accepted(), 0u);
  EXPECT_FALSE(Receives(server.socket, kQuiet));
}

TEST_F(CurveZapTest, ClientWithoutCurveGetsNothingThrough) {
  ASSERT_TRUE(handler_.Start().ok());
  CurveServer server(context_, server_keys_, "plain");
  zmq::socket_t client = Dealer(context_);
  client.connect(server.endpoint);
  ASSERT_TRUE(client.send(zmq::str_buffer("plain text"), zmq::send_flags::none));

  auto event = server.monitor->WaitFor(kHandshakeEvents, kWait);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
  EXPECT_EQ(event->value, static_cast<std::uint32_t>(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH));
  EXPECT_FALSE(Receives(server.socket, kQuiet));
  EXPECT_EQ(handler_.accepted(), 0u);
}

TEST_F(CurveZapTest, ClientTrustingAnotherServerKeyGetsNothingThrough) {
  ASSERT_TRUE(handler_.Start().ok());
  CurveServer server(context_, server_keys_, "wrong-server-key");
  zmq::socket_t client = Dealer(context_);
  MakeCurveClient(client, client_keys_, GenerateCurveKeyPair().public_z85);
  client.connect(server.endpoint);
  ASSERT_TRUE(client.send(zmq::str_buffer("hello"), zmq::send_flags::none));

  auto event = server.monitor->WaitFor(kHandshakeEvents, kWait);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
  EXPECT_EQ(event->value, static_cast<std::uint32_t>(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC));
  EXPECT_FALSE(Receives(server.socket, kQuiet));
  EXPECT_EQ(handler_.accepted(), 0u);  // the handshake never got as far as ZAP
  EXPECT_EQ(handler_.refused(), 0u);
}

TEST_F(CurveZapTest, WithoutAHandlerEveryClientIsRefused) {
  // No handler_.Start(): nothing is bound on inproc://zeromq.zap.01.
  Status required = RequireZapHandler(context_, milliseconds(200));
  EXPECT_EQ(required.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(required.key(), "zap");
  EXPECT_EQ(required.reason(), "no_zap_handler");

  CurveServer server(context_, server_keys_, "no-handler");
  zmq::socket_t client = Dealer(context_);
  MakeCurveClient(client, client_keys_, server_keys_.public_z85);
  client.connect(server.endpoint);
  ASSERT_TRUE(client.send(zmq::str_buffer("hello"), zmq::send_flags::none));

  auto event = server.monitor->WaitFor(kHandshakeEvents, kWait);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  EXPECT_EQ(event->value, static_cast<std::uint32_t>(EFAULT));  // ZAP enforced, none bound
  EXPECT_FALSE(Receives(server.socket, kQuiet));
}

// Why MakeCurveServer sets ZMQ_ZAP_ENFORCE_DOMAIN: without it libzmq 4.3 accepts any client key
// when no ZAP handler is bound, even with a ZAP domain set.
TEST_F(CurveZapTest, LibzmqAcceptsAnyKeyWithoutAHandlerUnlessTheDomainIsEnforced) {
  zmq::socket_t server(context_, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  server.set(zmq::sockopt::curve_server, true);
  server.set(zmq::sockopt::curve_secretkey, server_keys_.secret_z85);
  server.set(zmq::sockopt::zap_domain, "synchub");
  server.bind("tcp://127.0.0.1:*");
  zmq::socket_t client = Dealer(context_);
  MakeCurveClient(client, GenerateCurveKeyPair(), server_keys_.public_z85);
  client.connect(server.get(zmq::sockopt::last_endpoint));
  ASSERT_TRUE(client.send(zmq::str_buffer("anyone"), zmq::send_flags::none));
  ASSERT_TRUE(Receives(server, kWait));
}

TEST_F(CurveZapTest, RequireZapHandlerPassesWhileAHandlerRuns) {
  ASSERT_TRUE(handler_.Start().ok());
  EXPECT_TRUE(RequireZapHandler(context_, kWait).ok());
  EXPECT_EQ(handler_.refused(), 1u);  // the probe's throwaway key

  handler_.Stop();
  EXPECT_EQ(RequireZapHandler(context_, milliseconds(200)).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(handler_.Start().ok());  // restartable
  EXPECT_TRUE(RequireZapHandler(context_, kWait).ok());
}

TEST_F(CurveZapTest, OneHandlerPerContext) {
  ASSERT_TRUE(handler_.Start().ok());
  Status again = handler_.Start();
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.reason(), "already_started");

  ZapHandler second(context_, [](const std::string&, const std::string&) {
    return std::optional<std::string>();
  });
  Status status = second.Start();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.key(), "zap");
  EXPECT_EQ(status.reason(), "zap_endpoint_in_use");

  zmq::context_t other_context(1);
  ZapHandler in_other_context(other_context, [](const std::string&, const std::string&) {
    return std::optional<std::string>();
  });
  EXPECT_TRUE(in_other_context.Start().ok());
}

// ZAP requests sent to the handler directly, as libzmq sends them (RFC 27).
class ZapRequestTest : public ::testing::Test {
 protected:
  ZapRequestTest()
      : known_key_(GenerateCurveKeyPair()),
        failing_key_(GenerateCurveKeyPair()),
        handler_(context_,
                 [this](const std::string&, const std::string& key) -> std::optional<std::string> {
                   if (key == known_key_.public_z85) return "42";
                   if (key == failing_key_.public_z85) throw std::runtime_error("store down");
                   return std::nullopt;
                 }),
        requester_(Dealer(context_)) {
    Status started = handler_.Start();
    if (!started.ok()) throw std::runtime_error(started.ToString());
    requester_.connect(kZapEndpoint);
  }

  static std::string Binary(const std::string& z85) {
    std::string key(32, '\0');
    zmq_z85_decode(reinterpret_cast<std::uint8_t*>(key.data()), z85.c_str());
    return key;
  }

  // Sends [delimiter, frames...] and returns the reply without its delimiter.
  std::vector<std::string> Ask(const std::vector<std::string>& frames) {
    std::vector<zmq::const_buffer> request = {zmq::const_buffer()};
    for (const auto& frame : frames) request.push_back(zmq::buffer(frame));
    EXPECT_TRUE(zmq::send_multipart(requester_, request));
    std::vector<std::string> reply;
    if (!Receives(requester_, kWait)) return reply;
    std::vector<zmq::message_t> messages;
    EXPECT_TRUE(zmq::recv_multipart(requester_, std::back_inserter(messages)));
    for (std::size_t i = 1; i < messages.size(); ++i) reply.push_back(messages[i].to_string());
    return reply;
  }

  std::vector<std::string> AskCurve(const std::string& domain, const std::string& key_z85) {
    return Ask({"1.0", "7", domain, "10.0.0.1", "", "CURVE", Binary(key_z85)});
  }

  zmq::context_t context_{1};
  CurveKeyPair known_key_;
  CurveKeyPair failing_key_;
  ZapHandler handler_;
  zmq::socket_t requester_;
};

TEST_F(ZapRequestTest, AcceptsAKnownCurveKeyWithItsIdentity) {
  auto reply = AskCurve("synchub", known_key_.public_z85);
  EXPECT_EQ(reply, (std::vector<std::string>{"1.0", "7", "200", "OK", "42", ""}));
  EXPECT_EQ(handler_.accepted(), 1u);
}

TEST_F(ZapRequestTest, RefusesUnknownKeysOtherDomainsAndOtherMechanisms) {
  auto status_of = [](const std::vector<std::string>& reply) {
    return reply.size() == 6 ? reply[2] : "no reply";
  };
  EXPECT_EQ(status_of(AskCurve("synchub", GenerateCurveKeyPair().public_z85)), "400");
  EXPECT_EQ(status_of(AskCurve("elsewhere", known_key_.public_z85)), "400");
  EXPECT_EQ(status_of(Ask({"1.0", "8", "synchub", "10.0.0.1", "", "NULL"})), "400");
  EXPECT_EQ(status_of(Ask({"1.0", "9", "synchub", "10.0.0.1", "", "PLAIN", "admin", "secret"})),
            "400");
  EXPECT_EQ(status_of(Ask({"1.0", "10", "synchub", "10.0.0.1", "", "CURVE", "short"})), "400");
  EXPECT_EQ(status_of(Ask(
                {"2.0", "11", "synchub", "10.0.0.1", "", "CURVE", Binary(known_key_.public_z85)})),
            "400");
  EXPECT_EQ(status_of(Ask({"1.0", "12"})), "400");
  EXPECT_EQ(handler_.accepted(), 0u);
  EXPECT_EQ(handler_.refused(), 7u);
}

TEST_F(ZapRequestTest, AnswersFiveHundredWhenLookupThrows) {
  auto reply = AskCurve("synchub", failing_key_.public_z85);
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(reply[1], "7");
  EXPECT_EQ(reply[2], "500");
  EXPECT_EQ(reply[4], "");
  EXPECT_EQ(handler_.refused(), 1u);
  // The handler goes on answering.
  EXPECT_EQ(AskCurve("synchub", known_key_.public_z85).at(2), "200");
}

}  // namespace
}  // namespace synchub
