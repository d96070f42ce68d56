// libFuzzer target for the two paths untrusted bytes take into synchub: an HTTP body through
// the strict JSON event parser (ParseEvent), and a ZeroMQ frame through Protobuf decoding and
// event validation (ResolverRequest -> EventFromProto). Built with clang,
// -fsanitize=fuzzer,address,undefined by tools/fuzz/CMakeLists.txt; run briefly by ctest and
// for longer by hand:  build/tools/fuzz/event_fuzzer -max_total_time=600 tools/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/codec/proto_codec.hpp"
#include "common/core/event_parse.hpp"
#include "synchub/v1/resolver.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const synchub::Catalog catalog = synchub::Catalog::Demo();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto event = synchub::ParseEvent(bytes, catalog);
  if (event.ok()) {
    // A valid event must survive the wire round trip unchanged.
    auto back = synchub::EventFromProto(synchub::EventToProto(*event), catalog);
    if (!back.ok() || !(*back == *event)) __builtin_trap();
    (void)synchub::EventJsonText(*event);
  }

  synchub::v1::ResolverRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size)) && request.has_submit()) {
    for (const auto& wire : request.submit().events()) {
      (void)synchub::EventFromProto(wire, catalog);
    }
  }
  return 0;
}
