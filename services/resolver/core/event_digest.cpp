#include "resolver/core/event_digest.hpp"

#include <sodium.h>

#include <array>

#include "common/core/exact_number.hpp"

namespace synchub {
namespace {

// A number by value: the normal form's integer when it is one, else without trailing zeros.
std::string ValueNumberText(const Json& value) {
  const std::string normal = NumberText(value);
  if (auto integer = IntegerText(normal)) return *integer;
  std::string text = normal;
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text;  // not an integer: a non-zero digit remains after the point
}

void AppendNormal(const Json& value, std::string* out) {
  if (IsJsonNumber(value)) {
    out->append(ValueNumberText(value));
    return;
  }
  if (value.is_object()) {  // nlohmann's object is a std::map: keys in byte order
    out->push_back('{');
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!first) out->push_back(',');
      first = false;
      AppendJsonText(Json(it.key()), out);
      out->push_back(':');
      AppendNormal(*it, out);
    }
    out->push_back('}');
    return;
  }
  if (value.is_array()) {
    out->push_back('[');
    bool first = true;
    for (const auto& element : value) {
      if (!first) out->push_back(',');
      first = false;
      AppendNormal(element, out);
    }
    out->push_back(']');
    return;
  }
  AppendJsonText(value, out);  // strings, booleans, null
}

}  // namespace

std::string EventNormalForm(const Event& event) {
  std::string out = "{\"entity\":";
  AppendJsonText(Json(event.entity), &out);
  out.append(",\"externalId\":");
  AppendJsonText(Json(event.external_id), &out);
  out.append(",\"fields\":{");
  bool first = true;
  for (const auto& [name, value] : event.fields) {  // FieldMap: ordered by name
    if (!first) out.push_back(',');
    first = false;
    AppendJsonText(Json(name), &out);
    out.push_back(':');
    AppendNormal(value, &out);
  }
  out.append("},\"op\":");
  AppendJsonText(Json(std::string(OpName(event.op))), &out);
  out.append(",\"source\":");
  AppendJsonText(Json(event.source), &out);
  out.append(",\"version\":");
  out.append(std::to_string(event.version));
  out.push_back('}');
  return out;
}

std::string EventDigest(const Event& event) {
  const std::string normal = EventNormalForm(event);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(normal.data()),
                     normal.size());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string DigestHex(const std::string& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0x0f]);
  }
  return hex;
}

}  // namespace synchub
