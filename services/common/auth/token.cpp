#include "common/auth/token.hpp"

#include <sodium.h>

#include <array>
#include <cctype>

namespace synchub {
namespace {

constexpr std::string_view kPrefix = "synchub_";
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes, no padding

bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool InitCrypto() { return sodium_init() >= 0; }

std::string NewTokenSecret() {
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 64> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes.data(), bytes.size());
  return std::string(text.data());
}

std::string FormatToken(std::int64_t credential_id, const std::string& secret) {
  return std::string(kPrefix) + std::to_string(credential_id) + "_" + secret;
}

std::optional<ParsedToken> ParseToken(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const std::size_t underscore = text.find('_');
  if (underscore == 0 || underscore == std::string_view::npos || underscore > 18) {
    return std::nullopt;
  }
  ParsedToken token;
  if (text.front() == '0') return std::nullopt;  // one spelling per id: no leading zeros
  for (char c : text.substr(0, underscore)) {
    if (c < '0' || c > '9') return std::nullopt;
    token.credential_id = token.credential_id * 10 + (c - '0');
  }
  const std::string_view secret = text.substr(underscore + 1);
  if (token.credential_id <= 0 || secret.size() != kSecretChars) return std::nullopt;
  for (char c : secret) {
    if (!IsBase64Url(c)) return std::nullopt;
  }
  token.secret = std::string(secret);
  return token;
}

std::optional<std::string> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::string SecretSha256(const std::string& secret) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool SecretMatches(const std::string& stored_sha256, const std::string& secret) {
  const std::string digest = SecretSha256(secret);
  if (stored_sha256.size() != digest.size()) return false;
  return sodium_memcmp(stored_sha256.data(), digest.data(), digest.size()) == 0;
}

}  // namespace synchub
