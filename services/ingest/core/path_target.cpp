#include "ingest/core/path_target.hpp"

#include <cstddef>
#include <utility>

namespace synchub {
namespace {

// The value of one hex digit; -1 for any other byte.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool IsUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned char low = 0x80;  // the range of the second byte, narrowed for some leads
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? low : 0x80;
      const unsigned char max = k == 1 ? high : 0xBF;
      if (byte < min || byte > max) return false;
    }
    i += length;
  }
  return true;
}

// The parameter name of a template segment "{name}"; nullopt for a literal segment.
std::optional<std::string_view> ParameterName(std::string_view segment) {
  if (segment.size() < 2 || segment.front() != '{' || segment.back() != '}') return std::nullopt;
  return segment.substr(1, segment.size() - 2);
}

}  // namespace

std::optional<std::vector<std::string_view>> SplitRawPath(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  const std::string_view path = target.substr(1, target.find('?') - 1);
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return segments;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::optional<std::string> DecodePathSegment(std::string_view segment) {
  std::string decoded;
  decoded.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      decoded += segment[i];
      continue;
    }
    if (segment.size() - i < 3) return std::nullopt;
    const int high = HexValue(segment[i + 1]);
    const int low = HexValue(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (decoded.find('\0') != std::string::npos || !IsUtf8(decoded)) return std::nullopt;
  return decoded;
}

std::optional<StatusOr<std::vector<std::string>>> MatchPathTemplate(
    std::string_view path_template, const std::vector<std::string_view>& raw_segments) {
  const auto pattern = SplitRawPath(path_template);
  if (!pattern || pattern->size() != raw_segments.size()) return std::nullopt;
  // The shape first: a malformed parameter is reported only for a target of this route.
  for (std::size_t i = 0; i < pattern->size(); ++i) {
    const std::string_view raw = raw_segments[i];
    if (ParameterName((*pattern)[i])) {
      if (raw.empty()) return std::nullopt;
      continue;
    }
    const auto decoded = DecodePathSegment(raw);
    if (!decoded || *decoded != (*pattern)[i]) return std::nullopt;
  }
  std::vector<std::string> parameters;
  for (std::size_t i = 0; i < pattern->size(); ++i) {
    const auto name = ParameterName((*pattern)[i]);
    if (!name) continue;
    auto decoded = DecodePathSegment(raw_segments[i]);
    if (!decoded) {
      const std::string key(*name);
      return StatusOr<std::vector<std::string>>(Status::InvalidArgument(
          key, "invalid_path_parameter",
          key + " is one path segment, percent-encoded (RFC 3986): every % followed by two hex "
                "digits, UTF-8 without U+0000 once decoded"));
    }
    parameters.push_back(std::move(*decoded));
  }
  return StatusOr<std::vector<std::string>>(std::move(parameters));
}

}  // namespace synchub
