// SyncctlClient: the HTTP client `syncctl` uses to talk to synchub-ingest (cpp-httplib).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace synchub {

// Where synchub-ingest listens, taken from a URL such as "http://127.0.0.1:8080".
struct ServerAddress {
  std::string host;       // a name or an address; IPv6 without the brackets
  int port = 80;          // 1..65535
  std::string base_path;  // prefix for every request path; empty or "/x" without a trailing '/'
};

// Parses "http://HOST[:PORT][/PREFIX]" (the scheme may be left out; the port defaults to 80).
// Returns std::nullopt when the text is not of that form: another scheme (https is not
// supported), an empty host, a port that is not a number in 1..65535, a query or fragment.
std::optional<ServerAddress> ParseServerUrl(std::string_view url);

// Percent-encodes `segment` for use as one path segment: everything but the RFC 3986
// unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX, so '/' and ' ' cannot change the
// route. EncodePathSegment("CUST 1/a") == "CUST%201%2Fa". The dot segments "." and ".." are
// escaped whole ("%2E%2E"), so no client library or proxy removes them (RFC 3986 section
// 5.2.4); the gateway decodes each segment after splitting, so both forms name the id "..".
std::string EncodePathSegment(std::string_view segment);

// Sends one request per Call and returns the answer as it came; it never retries (a retried
// POST could apply an operator's action twice) and never throws.
// Thread safety: Call may be used from several threads at once (each call opens its own
// connection).
class SyncctlClient {
 public:
  struct Response {
    int status = 0;     // the HTTP status; 0 when no answer arrived
    std::string body;   // the response body as received (JSON for every synchub route)
    std::string error;  // why no answer arrived; empty whenever status != 0
  };

  // `url` as ParseServerUrl takes it. An invalid URL is not an error here: every Call then
  // returns status 0 with `error` saying so (callers that want a usage error check
  // ParseServerUrl first).
  // `token`: the bearer token sent with every request (docs/security.md); "" sends none.
  explicit SyncctlClient(const std::string& url, std::string token = "");

  // Sends `method` ("GET", "POST", "PUT", "PATCH" or "DELETE") to `path` (starting with '/',
  // already percent-encoded, query included), with `body` as application/json for the
  // methods that carry one. Returns the status and body of whatever the server answered,
  // errors included (4xx/5xx are answers, not failures). Returns status 0 and a message in
  // `error` when the server could not be reached, did not answer within the timeouts (5 s
  // to connect, 60 s to answer), or the method or URL is not supported.
  Response Call(const std::string& method, const std::string& path, const std::string& body = "");

 private:
  std::string url_;
  std::string token_;
  std::optional<ServerAddress> address_;
};

}  // namespace synchub
