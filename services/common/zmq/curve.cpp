#include "common/zmq/curve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

// Stable in libzmq 4.3 (options.cpp accepts it in every build) but declared in zmq.h only
// under ZMQ_BUILD_DRAFT_API, which Debian's libzmq3-dev does not define.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

namespace synchub {
namespace {

constexpr std::size_t kKeyTextSize = 40;
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
// A key file holds one line; anything longer is not a key file.
constexpr std::size_t kMaxKeyFileSize = 256;

Status IoError(const std::string& path, std::string_view what, int error) {
  return Status::InvalidArgument(
      "path", "io_error", path + ": cannot " + std::string(what) + ": " + std::strerror(error));
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now; returns 0 or -1 with errno set.
  int Close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

// Writes all of `text` to `fd`; returns 0 or an errno value.
int WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

// Fills an open, empty file with `line` + "\n" at `mode` and closes it; returns 0 or an errno.
int FillAndClose(FileDescriptor& file, std::string_view line, mode_t mode) {
  // fchmod, not the open mode alone: the umask must not change the modes the contract names.
  if (::fchmod(file.get(), mode) != 0) return errno;
  std::string text(line);
  text += '\n';
  if (int error = WriteAll(file.get(), text); error != 0) return error;
  if (::fsync(file.get()) != 0) return errno;
  if (file.Close() != 0) return errno;
  return 0;
}

// Creates `path`, which must not exist, holding `line`. The file is created with `mode` &
// 0600 at most, so it is never more readable than the final mode even while written.
Status CreateKeyFile(const std::string& path, std::string_view line, mode_t mode) {
  FileDescriptor file(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (file.get() < 0) {
    if (errno == EEXIST) {
      return Status::AlreadyExists("path", "exists",
                                   path + ": already exists (refusing to overwrite it)");
    }
    return IoError(path, "create", errno);
  }
  if (int error = FillAndClose(file, line, mode); error != 0) {
    ::unlink(path.c_str());
    return IoError(path, "write", error);
  }
  return Status::Ok();
}

// Replaces `path` (or creates it) with a file holding `line`: written to a temporary file in
// the same directory (mkstemp: mode 0600), then renamed over `path`.
Status ReplaceKeyFile(const std::string& path, std::string_view line, mode_t mode) {
  std::string temporary = path + ".tmp-XXXXXX";
  FileDescriptor file(::mkostemp(temporary.data(), O_CLOEXEC));
  if (file.get() < 0) return IoError(temporary, "create", errno);
  if (int error = FillAndClose(file, line, mode); error != 0) {
    ::unlink(temporary.c_str());
    return IoError(temporary, "write", error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return IoError(path, "replace", error);
  }
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

// Reads a key file: one line of key text. With `secret`, refuses a file that group or others
// may read or write.
StatusOr<std::string> ReadKeyFile(const std::string& path, bool secret) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (file.get() < 0) return IoError(path, "open", errno);
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return IoError(path, "stat", errno);
  if (!S_ISREG(info.st_mode)) {
    return Status::InvalidArgument("path", "not_a_file", path + ": not a regular file");
  }
  if (secret && (info.st_mode & 077) != 0) {
    return Status::InvalidArgument(
        "path", "insecure_mode",
        path + ": secret key file is accessible by group or others (chmod 600 " + path + ")");
  }
  std::string text;
  std::array<char, 512> buffer{};
  while (text.size() <= kMaxKeyFileSize) {
    ssize_t count = ::read(file.get(), buffer.data(), buffer.size());
    if (count < 0) {
      if (errno == EINTR) continue;
      return IoError(path, "read", errno);
    }
    if (count == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(count));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.pop_back();
  }
  if (!IsValidCurveKeyText(text)) {
    return Status::InvalidArgument(
        "path", "malformed", path + ": does not hold a CURVE key (one line of 40 Z85 characters)");
  }
  return text;
}

// The public key of `secret_z85`, or "" when it is not valid key text.
std::string PublicKeyOf(const std::string& secret_z85) {
  if (!IsValidCurveKeyText(secret_z85)) return "";
  std::array<char, kKeyTextSize + 1> public_z85{};
  if (zmq_curve_public(public_z85.data(), secret_z85.c_str()) != 0) return "";
  return std::string(public_z85.data(), kKeyTextSize);
}

}  // namespace

CurveKeyPair GenerateCurveKeyPair() {
  std::array<char, kKeyTextSize + 1> public_z85{};
  std::array<char, kKeyTextSize + 1> secret_z85{};
  if (zmq_curve_keypair(public_z85.data(), secret_z85.data()) != 0) throw zmq::error_t();
  return {std::string(public_z85.data(), kKeyTextSize),
          std::string(secret_z85.data(), kKeyTextSize)};
}

bool IsValidCurveKeyText(std::string_view text) {
  if (text.size() != kKeyTextSize) return false;
  for (char c : text) {
    if (kZ85Alphabet.find(c) == std::string_view::npos) return false;
  }
  // The alphabet is right; decoding also refuses groups of five whose value exceeds 2^32 - 1.
  std::string terminated(text);
  std::array<std::uint8_t, 32> decoded{};
  return zmq_z85_decode(decoded.data(), terminated.c_str()) != nullptr;
}

Status WriteCurveKeyPair(const std::string& base_path, const CurveKeyPair& pair,
                         bool replace_existing) {
  if (!IsValidCurveKeyText(pair.public_z85) || !IsValidCurveKeyText(pair.secret_z85)) {
    return Status::InvalidArgument("key_pair", "malformed",
                                   "a CURVE key must be 40 characters of Z85 text");
  }
  if (PublicKeyOf(pair.secret_z85) != pair.public_z85) {
    return Status::InvalidArgument("key_pair", "mismatch",
                                   "the public key is not the one of the secret key");
  }
  const std::string secret_path = base_path + ".key";
  const std::string public_path = base_path + ".pub";
  if (replace_existing) {
    if (Status status = ReplaceKeyFile(secret_path, pair.secret_z85, 0600); !status.ok()) {
      return status;
    }
    return ReplaceKeyFile(public_path, pair.public_z85, 0644);
  }
  // Refuse before writing anything when the public file is there already.
  if (FileExists(public_path)) {
    return Status::AlreadyExists("path", "exists",
                                 public_path + ": already exists (refusing to overwrite it)");
  }
  if (Status status = CreateKeyFile(secret_path, pair.secret_z85, 0600); !status.ok()) {
    return status;
  }
  if (Status status = CreateKeyFile(public_path, pair.public_z85, 0644); !status.ok()) {
    ::unlink(secret_path.c_str());  // ours: created just now
    return status;
  }
  return Status::Ok();
}

StatusOr<CurveKeyPair> LoadCurveKeyPair(const std::string& secret_path) {
  StatusOr<std::string> secret = ReadKeyFile(secret_path, /*secret=*/true);
  if (!secret.ok()) return secret.status();
  std::string public_z85 = PublicKeyOf(*secret);
  if (public_z85.empty()) {
    return Status::InvalidArgument("path", "malformed",
                                   secret_path + ": cannot derive a public key from it");
  }
  return CurveKeyPair{std::move(public_z85), std::move(secret).value()};
}

StatusOr<std::string> LoadCurvePublicKey(const std::string& path) {
  return ReadKeyFile(path, /*secret=*/false);
}

void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& server, const std::string& domain) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_z85);
  socket.set(zmq::sockopt::zap_domain, domain);
  int enforce = 1;
  if (zmq_setsockopt(socket.handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &enforce, sizeof enforce) != 0) {
    throw zmq::error_t();
  }
}

void MakeCurveClient(zmq::socket_t& socket, const CurveKeyPair& client,
                     const std::string& server_public_z85) {
  socket.set(zmq::sockopt::curve_serverkey, server_public_z85);
  socket.set(zmq::sockopt::curve_publickey, client.public_z85);
  socket.set(zmq::sockopt::curve_secretkey, client.secret_z85);
}

std::string PeerUserId(const zmq::message_t& message) {
  const char* user_id = zmq_msg_gets(message.handle(), "User-Id");
  return user_id == nullptr ? std::string() : std::string(user_id);
}

void LimitMessageSize(zmq::socket_t& socket, std::int64_t max_bytes) {
  socket.set(zmq::sockopt::maxmsgsize, max_bytes);
}

StatusOr<std::optional<CurveClientKeys>> LoadCurveClientKeys(
    const std::string& secret_key_file, const std::string& server_public_file) {
  if (secret_key_file.empty() && server_public_file.empty()) {
    return std::optional<CurveClientKeys>();
  }
  if (secret_key_file.empty() || server_public_file.empty()) {
    return Status::InvalidArgument(
        secret_key_file.empty() ? "curve_secret_key" : "curve_server_key", "missing",
        "CURVE needs both the client's secret key file and the server's public key file");
  }
  auto client = LoadCurveKeyPair(secret_key_file);
  if (!client.ok()) return client.status();
  auto server = LoadCurvePublicKey(server_public_file);
  if (!server.ok()) return server.status();
  return std::optional<CurveClientKeys>(CurveClientKeys{*client, *server});
}

std::optional<CurveClientKeys> CurveClientKeysOrPlain(const std::string& secret_key_file,
                                                      const std::string& server_public_file) {
  auto keys = LoadCurveClientKeys(secret_key_file, server_public_file);
  return keys.ok() ? *keys : std::nullopt;
}

void SecureClientSocket(zmq::socket_t& socket, const std::optional<CurveClientKeys>& keys) {
  LimitMessageSize(socket, kMaxZmqMessageBytes);
  if (keys) MakeCurveClient(socket, keys->client, keys->server_public_z85);
}

}  // namespace synchub
