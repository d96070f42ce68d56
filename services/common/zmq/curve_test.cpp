#include "common/zmq/curve.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>
#include <zmq_addon.hpp>

#include "common/zmq/poll.hpp"

namespace synchub {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kWait{5000};

// A fresh directory, removed with everything in it at the end of the test.
class KeyFilesTest : public ::testing::Test {
 protected:
  KeyFilesTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "curve-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    directory_ = pattern;
  }
  ~KeyFilesTest() override { std::filesystem::remove_all(directory_); }

  std::string PathOf(const std::string& name) const { return (directory_ / name).string(); }

  static mode_t ModeOf(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return info.st_mode & 07777;
  }

  static std::string Contents(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static void WriteText(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }

  std::filesystem::path directory_;
};

TEST(CurveKeyText, GeneratedKeysAreValidAndDistinct) {
  CurveKeyPair first = GenerateCurveKeyPair();
  CurveKeyPair second = GenerateCurveKeyPair();
  EXPECT_TRUE(IsValidCurveKeyText(first.public_z85));
  EXPECT_TRUE(IsValidCurveKeyText(first.secret_z85));
  EXPECT_NE(first.public_z85, first.secret_z85);
  EXPECT_NE(first.secret_z85, second.secret_z85);
}

TEST(CurveKeyText, RefusesWrongLengthsForeignCharactersAndOverflow) {
  const std::string key = GenerateCurveKeyPair().public_z85;
  EXPECT_FALSE(IsValidCurveKeyText(""));
  EXPECT_FALSE(IsValidCurveKeyText(key.substr(0, 39)));
  EXPECT_FALSE(IsValidCurveKeyText(key + "0"));
  EXPECT_FALSE(IsValidCurveKeyText(key.substr(0, 39) + " "));
  EXPECT_FALSE(IsValidCurveKeyText(key.substr(0, 39) + "\""));
  EXPECT_FALSE(IsValidCurveKeyText(key.substr(0, 39) + std::string(1, '\0')));
  // "#####" is 85^5 - 1, more than 32 bits hold: valid characters, no key.
  EXPECT_FALSE(IsValidCurveKeyText(std::string(40, '#')));
  EXPECT_TRUE(IsValidCurveKeyText(std::string(40, '0')));
}

TEST_F(KeyFilesTest, RoundTripWithModes) {
  CurveKeyPair pair = GenerateCurveKeyPair();
  const std::string base = PathOf("server");
  ASSERT_TRUE(WriteCurveKeyPair(base, pair).ok());

  EXPECT_EQ(ModeOf(base + ".key"), 0600u);
  EXPECT_EQ(ModeOf(base + ".pub"), 0644u);
  EXPECT_EQ(Contents(base + ".key"), pair.secret_z85 + "\n");
  EXPECT_EQ(Contents(base + ".pub"), pair.public_z85 + "\n");

  auto loaded = LoadCurveKeyPair(base + ".key");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->secret_z85, pair.secret_z85);
  EXPECT_EQ(loaded->public_z85, pair.public_z85);  // derived from the secret key
  auto public_key = LoadCurvePublicKey(base + ".pub");
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  EXPECT_EQ(*public_key, pair.public_z85);
}

TEST_F(KeyFilesTest, ModesHoldWhateverTheUmask) {
  mode_t previous = ::umask(0);
  Status status = WriteCurveKeyPair(PathOf("open"), GenerateCurveKeyPair());
  ::umask(077);
  Status strict = WriteCurveKeyPair(PathOf("strict"), GenerateCurveKeyPair());
  ::umask(previous);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(strict.ok()) << strict.ToString();
  EXPECT_EQ(ModeOf(PathOf("open.key")), 0600u);
  EXPECT_EQ(ModeOf(PathOf("strict.pub")), 0644u);
}

TEST_F(KeyFilesTest, RefusesToOverwriteUnlessAskedTo) {
  const std::string base = PathOf("node");
  CurveKeyPair first = GenerateCurveKeyPair();
  ASSERT_TRUE(WriteCurveKeyPair(base, first).ok());

  Status again = WriteCurveKeyPair(base, GenerateCurveKeyPair());
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.key(), "path");
  EXPECT_EQ(LoadCurveKeyPair(base + ".key")->secret_z85, first.secret_z85);

  // Only the .pub left over: still refused, and no .key is written.
  std::filesystem::remove(base + ".key");
  EXPECT_EQ(WriteCurveKeyPair(base, GenerateCurveKeyPair()).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(std::filesystem::exists(base + ".key"));

  // Replacing: a world-readable old .key is replaced by one of mode 0600.
  ::chmod(std::string(base + ".pub").c_str(), 0666);
  WriteText(base + ".key", first.secret_z85, 0644);
  CurveKeyPair second = GenerateCurveKeyPair();
  ASSERT_TRUE(WriteCurveKeyPair(base, second, /*replace_existing=*/true).ok());
  EXPECT_EQ(ModeOf(base + ".key"), 0600u);
  EXPECT_EQ(ModeOf(base + ".pub"), 0644u);
  EXPECT_EQ(LoadCurveKeyPair(base + ".key")->secret_z85, second.secret_z85);
  EXPECT_EQ(*LoadCurvePublicKey(base + ".pub"), second.public_z85);
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 2);
}

TEST_F(KeyFilesTest, RefusesMalformedOrMismatchedPairs) {
  CurveKeyPair pair = GenerateCurveKeyPair();
  CurveKeyPair other = GenerateCurveKeyPair();
  Status mismatch = WriteCurveKeyPair(PathOf("a"), {other.public_z85, pair.secret_z85});
  EXPECT_EQ(mismatch.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mismatch.reason(), "mismatch");
  Status malformed = WriteCurveKeyPair(PathOf("b"), {"short", pair.secret_z85});
  EXPECT_EQ(malformed.reason(), "malformed");
  EXPECT_FALSE(std::filesystem::exists(PathOf("a.key")));
  EXPECT_FALSE(std::filesystem::exists(PathOf("b.key")));
}

TEST_F(KeyFilesTest, ReportsAnUnwritableDirectory) {
  Status status = WriteCurveKeyPair(PathOf("missing-dir/server"), GenerateCurveKeyPair());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.key(), "path");
  EXPECT_EQ(status.reason(), "io_error");
  EXPECT_NE(status.message().find("missing-dir/server.key"), std::string::npos);
  EXPECT_NE(status.message().find("No such file or directory"), std::string::npos);
}

TEST_F(KeyFilesTest, RefusesASecretKeyOthersCanRead) {
  const std::string base = PathOf("leaky");
  ASSERT_TRUE(WriteCurveKeyPair(base, GenerateCurveKeyPair()).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ::chmod(std::string(base + ".key").c_str(), mode);
    auto loaded = LoadCurveKeyPair(base + ".key");
    ASSERT_FALSE(loaded.ok()) << std::oct << mode;
    EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(loaded.status().key(), "path");
    EXPECT_EQ(loaded.status().reason(), "insecure_mode");
    EXPECT_NE(loaded.status().message().find("chmod 600 " + base + ".key"), std::string::npos);
  }
  ::chmod(std::string(base + ".key").c_str(), 0400);
  EXPECT_TRUE(LoadCurveKeyPair(base + ".key").ok());
}

TEST_F(KeyFilesTest, RefusesMissingMalformedAndNonRegularFiles) {
  auto missing = LoadCurveKeyPair(PathOf("none.key"));
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().reason(), "io_error");
  EXPECT_NE(missing.status().message().find(PathOf("none.key")), std::string::npos);
  EXPECT_EQ(LoadCurvePublicKey(PathOf("none.pub")).status().reason(), "io_error");

  const std::string key = GenerateCurveKeyPair().secret_z85;
  WriteText(PathOf("short.key"), key.substr(0, 30) + "\n", 0600);
  EXPECT_EQ(LoadCurveKeyPair(PathOf("short.key")).status().reason(), "malformed");
  WriteText(PathOf("two.key"), key + "\n" + key + "\n", 0600);
  EXPECT_EQ(LoadCurveKeyPair(PathOf("two.key")).status().reason(), "malformed");
  WriteText(PathOf("empty.pub"), "", 0644);
  EXPECT_EQ(LoadCurvePublicKey(PathOf("empty.pub")).status().reason(), "malformed");
  WriteText(PathOf("big.pub"), std::string(100000, 'a'), 0644);
  EXPECT_EQ(LoadCurvePublicKey(PathOf("big.pub")).status().reason(), "malformed");
  // The key text itself is not a file name.
  EXPECT_EQ(LoadCurvePublicKey(GenerateCurveKeyPair().public_z85).status().reason(), "io_error");

  EXPECT_EQ(LoadCurveKeyPair(directory_.string()).status().reason(), "not_a_file");

  // Without a trailing newline, or with CRLF, a key still reads.
  WriteText(PathOf("bare.key"), key, 0600);
  EXPECT_TRUE(LoadCurveKeyPair(PathOf("bare.key")).ok());
  WriteText(PathOf("crlf.key"), key + "\r\n", 0600);
  EXPECT_TRUE(LoadCurveKeyPair(PathOf("crlf.key")).ok());
}

TEST(PeerUserId, EmptyWithoutZap) {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("inproc://user-id-test");
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.connect("inproc://user-id-test");
  ASSERT_TRUE(dealer.send(zmq::str_buffer("hi"), zmq::send_flags::none));
  zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0}};
  ASSERT_EQ(PollFor(items, kWait), 1);
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmq::recv_multipart(router, std::back_inserter(frames)));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(PeerUserId(frames[0]), "");
  EXPECT_EQ(PeerUserId(frames[1]), "");
  EXPECT_EQ(PeerUserId(zmq::message_t(std::string("local"))), "");
}

TEST(LimitMessageSize, DisconnectsAPeerSendingTooMuch) {
  zmq::context_t context(1);
  zmq::socket_t server(context, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  LimitMessageSize(server, 1024);
  ASSERT_EQ(zmq_socket_monitor(server.handle(), "inproc://limit-monitor", ZMQ_EVENT_DISCONNECTED),
            0);
  zmq::socket_t monitor(context, zmq::socket_type::pair);
  monitor.set(zmq::sockopt::linger, 0);
  monitor.connect("inproc://limit-monitor");
  server.bind("tcp://127.0.0.1:*");
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);

  zmq::socket_t big_sender(context, zmq::socket_type::dealer);
  big_sender.set(zmq::sockopt::linger, 0);
  big_sender.connect(endpoint);
  ASSERT_TRUE(big_sender.send(zmq::buffer(std::string(4096, 'x')), zmq::send_flags::none));

  // The server drops the connection as soon as it reads the frame header.
  zmq::pollitem_t monitor_items[] = {{monitor.handle(), 0, ZMQ_POLLIN, 0}};
  ASSERT_EQ(PollFor(monitor_items, kWait), 1);
  zmq::pollitem_t server_items[] = {{server.handle(), 0, ZMQ_POLLIN, 0}};
  EXPECT_EQ(PollFor(server_items, milliseconds(0)), 0);

  zmq::socket_t small_sender(context, zmq::socket_type::dealer);
  small_sender.set(zmq::sockopt::linger, 0);
  small_sender.connect(endpoint);
  ASSERT_TRUE(small_sender.send(zmq::buffer(std::string(1024, 'y')), zmq::send_flags::none));
  ASSERT_EQ(PollFor(server_items, kWait), 1);
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmq::recv_multipart(server, std::back_inserter(frames)));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].size(), 1024u);  // the limit itself is allowed
  EXPECT_EQ(PollFor(server_items, milliseconds(200)), 0);
}

}  // namespace
}  // namespace synchub
