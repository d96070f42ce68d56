#include "common/core/json.hpp"

#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/core/exact_number.hpp"
#include "common/core/json_writer.hpp"

namespace synchub {
namespace {

// Builds a Json value from nlohmann's SAX events, keeping every number exactly and applying
// the strict rules (depth, duplicate keys, U+0000). On the first violation it records a
// Status and stops the parser.
class ExactJsonBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  ExactJsonBuilder(int max_depth, std::size_t max_expansion)
      : max_depth_(max_depth), max_expansion_(max_expansion) {}

  bool null() { return Put(Json(nullptr)); }
  bool boolean(bool value) { return Put(Json(value)); }
  bool number_integer(number_integer_t value) { return Put(Json(value)); }
  bool number_unsigned(number_unsigned_t value) { return Put(Json(value)); }
  bool number_float(number_float_t /*rounded*/, const string_t& text) {
    auto normal = NormalizeNumberText(text);
    if (!normal.ok()) return Fail(normal.status().reason(), normal.status().message());
    if (normal->size() > text.size()) {
      expansion_ += normal->size() - text.size();
      if (expansion_ > max_expansion_) {
        return Fail("value_too_large", "numbers written out in full exceed the size limit");
      }
    }
    return Put(ExactNumber(*normal));
  }
  bool string(string_t& value) {
    if (value.find('\0') != string_t::npos) {
      return Fail("value_not_storable", "holds U+0000, which cannot be stored");
    }
    return Put(Json(std::move(value)));
  }
  bool binary(binary_t& /*value*/) { return Fail("invalid_json", "binary values are not JSON"); }

  bool start_object(std::size_t /*size*/) { return OpenContainer(Json::object()); }
  bool key(string_t& key) {
    if (key.find('\0') != string_t::npos) {
      return Fail("value_not_storable", "a key holds U+0000, which cannot be stored");
    }
    if (stack_.size() == 1) top_key_ = key;
    if (stack_.size() == 2) second_key_ = key;
    if (!seen_keys_.back().insert(key).second) {
      status_ =
          Status::InvalidArgument(key, "duplicate_key", key + ": appears twice in one object");
      return false;
    }
    pending_key_ = std::move(key);
    return true;
  }
  bool end_object() { return CloseContainer(); }
  bool start_array(std::size_t /*size*/) { return OpenContainer(Json::array()); }
  bool end_array() { return CloseContainer(); }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Json::exception& error) {
    if (!status_.ok()) return false;
    if (error.id == 406) {  // out_of_range: a number beyond what a double can hold
      return Fail("number_not_storable",
                  "is a number of magnitude 1.8e308 or more, beyond what synchub reads");
    }
    // nlohmann's message names the byte offset and what was expected.
    status_ = Status::InvalidArgument("", "invalid_json", error.what());
    return false;
  }

  const Status& status() const { return status_; }
  Json Take() { return std::move(root_); }

 private:
  // Stores `value` at the current position; returns where it went.
  Json* Put(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    Json& slot = parent[pending_key_];
    slot = std::move(value);
    return &slot;
  }
  bool OpenContainer(Json empty) {
    if (!Open()) return false;
    stack_.push_back(Put(std::move(empty)));
    seen_keys_.emplace_back();
    return true;
  }
  bool CloseContainer() {
    stack_.pop_back();
    seen_keys_.pop_back();
    Close();
    return true;
  }
  bool Open() {
    // This container is one deeper than the containers around it.
    if (static_cast<int>(stack_.size()) + 1 > max_depth_) {
      status_ = Status::InvalidArgument(top_key_, "too_deep",
                                        (top_key_.empty() ? "" : top_key_ + ": ") +
                                            "JSON nested deeper than " +
                                            std::to_string(max_depth_) + " levels");
      return false;
    }
    return true;
  }
  void Close() {
    if (stack_.size() <= 1) second_key_.clear();
    if (stack_.empty()) top_key_.clear();
  }
  // The field a value error is about: the top-level key, or the key inside "fields".
  std::string FieldKey() const {
    if (top_key_ == "fields" && !second_key_.empty()) return second_key_;
    return top_key_;
  }
  bool Fail(const std::string& reason, const std::string& message) {
    const std::string key = FieldKey();
    status_ = Status::InvalidArgument(key, reason, (key.empty() ? "value" : key) + ": " + message);
    return false;
  }

  const int max_depth_;
  const std::size_t max_expansion_;
  std::size_t expansion_ = 0;
  Json root_;
  std::vector<Json*> stack_;
  std::vector<std::set<std::string, std::less<>>> seen_keys_;
  std::string pending_key_;
  std::string top_key_;
  std::string second_key_;
  Status status_ = Status::Ok();
};

StatusOr<Json> ParseExact(std::string_view text, int max_depth, std::size_t max_expansion) {
  ExactJsonBuilder builder(max_depth, max_expansion);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const Json::exception& error) {
    return Status::InvalidArgument("", "invalid_json", error.what());
  }
  if (!builder.status().ok()) return builder.status();
  if (!ok) return Status::InvalidArgument("", "invalid_json", "not valid JSON");
  return builder.Take();
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if ((length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
        (length == 4 && (code < 0x10000 || code > 0x10ffff)) ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

void AppendString(const std::string& value, std::string* out) {
  if (IsValidUtf8(value)) {
    AppendJsonString(value, out);
    return;
  }
  // Rare (the parsers never produce it): let nlohmann replace the bad bytes.
  out->append(Json(value).dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

Json ExactNumber(std::string_view normal) {
  if (IsMachineInteger(normal)) {
    if (!normal.empty() && normal[0] == '-') return Json(std::stoll(std::string(normal)));
    return Json(static_cast<std::uint64_t>(std::stoull(std::string(normal))));
  }
  return Json::binary(Json::binary_t::container_type(normal.begin(), normal.end()),
                      kExactNumberSubtype);
}

bool IsExactNumber(const Json& value) {
  return value.is_binary() && value.get_binary().has_subtype() &&
         value.get_binary().subtype() == kExactNumberSubtype;
}

bool IsJsonNumber(const Json& value) { return value.is_number() || IsExactNumber(value); }

std::string NumberText(const Json& value) {
  if (IsExactNumber(value)) {
    const auto& bytes = value.get_binary();
    return std::string(bytes.begin(), bytes.end());
  }
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  // A double built in code: its shortest round-trip text, in normal form.
  auto normal = NormalizeNumberText(value.dump());
  return normal.ok() ? *normal : value.dump();
}

bool JsonEqual(const Json& a, const Json& b) {
  const bool a_number = IsJsonNumber(a);
  const bool b_number = IsJsonNumber(b);
  if (a_number || b_number) {
    if (!(a_number && b_number)) return false;
    if (a.is_number_integer() && b.is_number_integer()) return a == b;  // fast path
    return CompareNumberTexts(NumberText(a), NumberText(b)) == 0;
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JsonEqual(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

void AppendJsonText(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(it.key(), out);
        out->push_back(':');
        AppendJsonText(*it, out);
      }
      out->push_back('}');
      return;
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonText(element, out);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::string:
      AppendString(value.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::binary:
      if (IsExactNumber(value)) {
        const auto& bytes = value.get_binary();
        out->append(bytes.begin(), bytes.end());
        return;
      }
      out->append("null");  // never produced: binary values exist only as exact numbers
      return;
    case Json::value_t::number_float:
      out->append(NumberText(value));
      return;
    default:  // null, boolean, integers
      out->append(value.dump());
      return;
  }
}

std::string JsonText(const Json& value) {
  std::string out;
  AppendJsonText(value, &out);
  return out;
}

StatusOr<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_body_bytes) {
    return Status::InvalidArgument("", "body_too_large",
                                   "body is " + std::to_string(text.size()) +
                                       " bytes; the limit is " +
                                       std::to_string(limits.max_body_bytes));
  }
  return ParseExact(text, limits.max_depth, limits.max_body_bytes);
}

Json ParseStoredJson(std::string_view text) {
  auto parsed = ParseExact(text, /*max_depth=*/100000, /*max_expansion=*/SIZE_MAX);
  if (!parsed.ok()) throw std::invalid_argument("stored JSON: " + parsed.status().message());
  return std::move(parsed).value();
}

Json TryParseStoredJson(std::string_view text) {
  auto parsed = ParseExact(text, /*max_depth=*/100000, /*max_expansion=*/SIZE_MAX);
  if (!parsed.ok()) return Json(Json::value_t::discarded);
  return std::move(parsed).value();
}

}  // namespace synchub
