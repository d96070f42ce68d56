#include "common/pg/pg_array.hpp"

namespace synchub {

void PgArrayText::Separate() {
  if (size_++ > 0) body_.push_back(',');
}

void PgArrayText::Add(std::string_view value) {
  Separate();
  body_.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') body_.push_back('\\');
    body_.push_back(c);
  }
  body_.push_back('"');
}

void PgArrayText::Add(std::int64_t value) {
  Separate();
  body_.append(std::to_string(value));
}

void PgArrayText::AddBool(bool value) {
  Separate();
  body_.append(value ? "t" : "f");
}

void PgArrayText::AddNull() {
  Separate();
  body_.append("NULL");
}

}  // namespace synchub
