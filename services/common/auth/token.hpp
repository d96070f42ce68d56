// Bearer tokens (docs/security.md, RFC 6750).
//
// A token is "synchub_<credential id>_<secret>", the secret 43 characters of base64url (256
// random bits). The hub keeps only SHA-256 of the secret (credential.token_sha256); the token
// is shown once, when the credential is made. The id in front lets the hub find the one
// stored hash to compare with, in constant time (sodium_memcmp), so that no comparison leaks
// how much of a secret matched.
//
// Thread safety: functions only; NewTokenSecret uses libsodium's thread-safe CSPRNG.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synchub {

struct ParsedToken {
  std::int64_t credential_id = 0;
  std::string secret;  // the 43 base64url characters
};

// 256 random bits from libsodium's CSPRNG (randombytes_buf), as 43 base64url characters.
// REQUIRES: sodium_init() succeeded (InitCrypto()).
std::string NewTokenSecret();

// "synchub_<id>_<secret>".
std::string FormatToken(std::int64_t credential_id, const std::string& secret);

// Parses a token. nullopt when it is not of the form above (id 1 to 18 digits, secret 43
// base64url characters): such a token is refused without any database or cache lookup.
std::optional<ParsedToken> ParseToken(std::string_view text);

// The token of an "Authorization: Bearer <token>" header value (scheme case-insensitive,
// RFC 9110 section 11.1); nullopt for another scheme or a malformed value.
std::optional<std::string> BearerToken(std::string_view authorization);

// SHA-256 of the secret: 32 raw bytes.
std::string SecretSha256(const std::string& secret);

// True when SecretSha256(secret) equals `stored_sha256` (32 bytes), compared in constant time.
bool SecretMatches(const std::string& stored_sha256, const std::string& secret);

// sodium_init(); false when libsodium cannot initialize (no entropy source). Idempotent.
bool InitCrypto();

}  // namespace synchub
