#include "common/codec/proto_codec.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

Event SampleEvent() {
  Event event;
  event.event_id = "evt-1";
  event.entity = "order";
  event.external_id = "ORD-1";
  event.source = "ERP";
  event.version = 7;
  event.op = Op::kUpsert;
  event.fields = {{"clientId", "CUST-001"},
                  {"total", ExactNumber("12.50")},
                  {"huge", ExactNumber("123456789012345678901234567890.000001")},
                  {"big", std::int64_t{1} << 53},
                  {"nested", Json{{"a", Json::array({1, 2})}}}};
  return event;
}

TEST(ProtoCodec, AnEventSurvivesTheRoundTripExactly) {
  Event event = SampleEvent();
  auto decoded = EventFromProto(EventToProto(event), Catalog::Demo());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, event);
}

TEST(ProtoCodec, ADeleteKeepsItsOp) {
  Event event = SampleEvent();
  event.op = Op::kDelete;
  auto decoded = EventFromProto(EventToProto(event), Catalog::Demo());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->op, Op::kDelete);
}

TEST(ProtoCodec, DefaultsEntityOpAndFields) {
  v1::Event wire;
  wire.set_external_id("CUST-9");
  wire.set_source("CRM");
  wire.set_version(1);
  auto decoded = EventFromProto(wire, Catalog::Demo());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->entity, "client");
  EXPECT_EQ(decoded->op, Op::kUpsert);
  EXPECT_TRUE(decoded->fields.empty());
}

struct BadWire {
  const char* name;
  void (*mutate)(v1::Event*);
  const char* key;
  const char* reason;
};

class ProtoCodecRejects : public ::testing::TestWithParam<BadWire> {};

TEST_P(ProtoCodecRejects, NamingTheKey) {
  v1::Event wire = EventToProto(SampleEvent());
  GetParam().mutate(&wire);
  auto decoded = EventFromProto(wire, Catalog::Demo());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().key(), GetParam().key);
  EXPECT_EQ(decoded.status().reason(), GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Wire, ProtoCodecRejects,
    ::testing::Values(
        BadWire{"fields_not_json", [](v1::Event* e) { e->set_fields_json("{oops"); }, "fields",
                "invalid_json"},
        BadWire{"fields_not_object", [](v1::Event* e) { e->set_fields_json("[1]"); }, "fields",
                "wrong_type"},
        BadWire{"fields_duplicate", [](v1::Event* e) { e->set_fields_json(R"({"a":1,"a":2})"); },
                "a", "duplicate_key"},
        BadWire{"fields_nul", [](v1::Event* e) { e->set_fields_json(R"({"note":"x\u0000"})"); },
                "note", "value_not_storable"},
        BadWire{"fields_unstorable_number",
                [](v1::Event* e) { e->set_fields_json(R"({"amount":1e400})"); }, "amount",
                "number_not_storable"},
        BadWire{"unknown_source", [](v1::Event* e) { e->set_source("Nope"); }, "source",
                "unknown_source"},
        BadWire{"empty_external_id", [](v1::Event* e) { e->set_external_id(""); }, "externalId",
                "empty"},
        BadWire{"version_zero", [](v1::Event* e) { e->set_version(0); }, "version", "out_of_range"},
        BadWire{"unknown_entity", [](v1::Event* e) { e->set_entity("invoice"); }, "entity",
                "unknown_entity"},
        BadWire{"bad_op", [](v1::Event* e) { e->set_op(static_cast<v1::Op>(42)); }, "op",
                "invalid_op"},
        BadWire{"reserved_field", [](v1::Event* e) { e->set_fields_json(R"({"_x":1})"); }, "_x",
                "reserved_field"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ProtoCodec, StatusSurvivesTheRoundTrip) {
  Status status = Status::InvalidArgument("version", "not_integer", "version: must be an integer");
  Status back = StatusFromProto(StatusToProto(status));
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(back.key(), "version");
  EXPECT_EQ(back.reason(), "not_integer");
  EXPECT_EQ(back.message(), status.message());
  for (const Status& other : {Status::Unavailable("x"), Status::Aborted("x"), Status::Internal("x"),
                              Status::NotFound("x"), Status::Ok()}) {
    EXPECT_EQ(StatusFromProto(StatusToProto(other)).code(), other.code());
  }
  // The refusals that name a key keep it and their reason (HTTP 409 event_id_reused, 412
  // conflict_stale).
  for (const Status& named : {Status::AlreadyExists("eventId", "event_id_reused", "reused"),
                              Status::FailedPrecondition("email", "conflict_stale", "stale")}) {
    Status again = StatusFromProto(StatusToProto(named));
    EXPECT_EQ(again.code(), named.code());
    EXPECT_EQ(again.key(), named.key());
    EXPECT_EQ(again.reason(), named.reason());
    EXPECT_EQ(again.message(), named.message());
  }
}

}  // namespace
}  // namespace synchub
