#include "ingest/syncctl/syncctl_client.hpp"

#include <httplib.h>

#include <cstddef>
#include <ctime>

namespace synchub {
namespace {

constexpr time_t kConnectTimeoutSeconds = 5;
constexpr time_t kReadTimeoutSeconds = 60;  // a resolution waits for the resolver's commit
constexpr time_t kWriteTimeoutSeconds = 10;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Parses a decimal port in 1..65535; std::nullopt otherwise.
std::optional<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsSupportedMethod(const std::string& method) {
  return method == "GET" || method == "POST" || method == "PUT" || method == "PATCH" ||
         method == "DELETE";
}

// REQUIRES: IsSupportedMethod(method).
httplib::Result Send(httplib::Client& client, const std::string& method, const std::string& target,
                     const std::string& body) {
  static const std::string kJson = "application/json";
  if (method == "GET") return client.Get(target);
  if (method == "POST") return client.Post(target, body, kJson);
  if (method == "PUT") return client.Put(target, body, kJson);
  if (method == "PATCH") return client.Patch(target, body, kJson);
  return client.Delete(target);
}

}  // namespace

std::optional<ServerAddress> ParseServerUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    if (!EqualsIgnoreCase(url.substr(0, scheme_end), "http")) return std::nullopt;
    url.remove_prefix(scheme_end + 3);
  }
  if (url.find_first_of("?#@") != std::string_view::npos) return std::nullopt;

  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  ServerAddress address;
  std::string_view host = authority;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ') return std::nullopt;
  }
  if (has_port) {
    std::optional<int> port = ParsePort(port_text);
    if (!port) return std::nullopt;
    address.port = *port;
  }
  address.host = std::string(host);
  address.base_path = std::string(path);
  return address;
}

std::string EncodePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool dot_segment = segment == "." || segment == "..";
  std::string out;
  out.reserve(segment.size());
  for (char c : segment) {
    if (IsUnreserved(c) && !dot_segment) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
  }
  return out;
}

SyncctlClient::SyncctlClient(const std::string& url, std::string token)
    : url_(url), token_(std::move(token)), address_(ParseServerUrl(url)) {}

SyncctlClient::Response SyncctlClient::Call(const std::string& method, const std::string& path,
                                            const std::string& body) {
  Response response;
  if (!address_) {
    response.error = "invalid server URL '" + url_ + "' (expected http://HOST[:PORT])";
    return response;
  }
  if (!IsSupportedMethod(method)) {
    response.error = "unsupported HTTP method '" + method + "'";
    return response;
  }
  httplib::Client client(address_->host, address_->port);
  client.set_connection_timeout(kConnectTimeoutSeconds);
  client.set_read_timeout(kReadTimeoutSeconds);
  client.set_write_timeout(kWriteTimeoutSeconds);
  if (!token_.empty()) client.set_bearer_token_auth(token_);
  httplib::Result result = Send(client, method, address_->base_path + path, body);
  if (!result) {
    response.error = httplib::to_string(result.error());
    return response;
  }
  response.status = result->status;
  response.body = result->body;
  return response;
}

}  // namespace synchub
