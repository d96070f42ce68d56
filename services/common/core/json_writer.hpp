// JsonWriter: builds JSON text by appending to one string, for hot paths where building a
// Json value first (a tree of maps) would cost more than the output itself.
// The caller keeps the structure well-formed; values of type Json are written with AppendJsonText
// (exact numbers as their digits).
//
// Thread safety: none; a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/json.hpp"

namespace synchub {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The key of the next member of the current object.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Value(const Json& value);
  // Already-serialized JSON, inserted as is. REQUIRES: `json` is one valid JSON value.
  JsonWriter& Raw(std::string_view json);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void Separate();

  std::string text_;
  bool need_comma_ = false;
};

// Appends `value` to `out` as a JSON string literal (quotes, escapes for '"', '\\' and
// control characters; other bytes as they are, so valid UTF-8 stays valid).
void AppendJsonString(std::string_view value, std::string* out);

}  // namespace synchub
