// PgArrayText: builds the text form of a PostgreSQL array ('{"a","b",NULL}') to pass a
// column of a batch as one parameter ($1::text[], $2::json[], ...) and expand it with
// unnest(): cheaper for the server than one jsonb document holding every row.
//
// Thread safety: none; a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace synchub {

class PgArrayText {
 public:
  // Appends one element, quoted and escaped (any text, including JSON text).
  void Add(std::string_view value);
  void Add(std::int64_t value);
  void AddBool(bool value);
  void AddNull();

  std::size_t size() const { return size_; }
  // The array literal, e.g. {"a","b\"c",NULL}.
  std::string Text() const { return "{" + body_ + "}"; }

 private:
  void Separate();

  std::string body_;
  std::size_t size_ = 0;
};

}  // namespace synchub
