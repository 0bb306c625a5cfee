// The authkey gate in front of BASP: key factories, socket helpers, and the
// mutual HMAC handshake against real peers and against scripted ones that
// misbehave on purpose.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <future>
#include <ios>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cafman/errors.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/socket.hpp"
#include "watchdog.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using cafman::authkey;
using cafman::net::handshake_result;
using cafman::net::handshake_status;
using cafman::net::unique_fd;
using cafman::testing::watchdog;
namespace net = cafman::net;
namespace wire = cafman::net::handshake_wire;
using bytes = std::vector<std::uint8_t>;
using steady = std::chrono::steady_clock;

namespace {

enum class transport { unix_pair, tcp };

const char* name(transport kind) {
  return kind == transport::tcp ? "TCP loopback" : "AF_UNIX socketpair";
}

struct connection {
  unique_fd server;
  unique_fd client;
};

connection open_connection(transport kind) {
  if (kind == transport::unix_pair) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    return {unique_fd{fds[0]}, unique_fd{fds[1]}};
  }
  auto bound = net::listen_tcp("127.0.0.1", 0);
  unique_fd listener{bound.fd};
  unique_fd client{net::connect_tcp("127.0.0.1", bound.port, 1000ms)};
  unique_fd server{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  REQUIRE(server);
  return {std::move(server), std::move(client)};
}

bytes text(std::string_view s) { return {s.begin(), s.end()}; }

template <class... Parts>
bytes concat(const Parts&... parts) {
  bytes out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

bytes header(wire::frame_type type, std::size_t length) {
  return {wire::marker, wire::version, static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length & 0xFF)};
}

bytes frame(wire::frame_type type, const bytes& payload) {
  return concat(header(type, payload.size()), payload);
}

// Computed here with OpenSSL directly, from the formula documented in
// handshake.hpp, so the tests pin the wire format.
bytes hmac(const authkey& key, const bytes& message) {
  bytes mac(EVP_MAX_MD_SIZE);
  unsigned size = 0;
  HMAC(EVP_sha256(), key.bytes().data(), static_cast<int>(key.bytes().size()),
       message.data(), message.size(), mac.data(), &size);
  mac.resize(size);
  return mac;
}

// Safe on any thread (no Catch assertions inside): true if all was sent.
bool send_all(int fd, const bytes& data) {
  auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  return n == static_cast<ssize_t>(data.size());
}

// Up to `size` bytes, waiting at most 2 s; fewer if the peer closed.
bytes receive(int fd, std::size_t size) {
  bytes data(size);
  std::size_t got = 0;
  auto deadline = steady::now() + 2s;
  while (got < size && net::poll_until(fd, POLLIN, deadline) == 0) {
    auto n = ::recv(fd, data.data() + got, size - got, 0);
    if (n <= 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

struct both_sides {
  handshake_result server;
  handshake_result client;
};

both_sides handshake(connection& conn, const authkey& server_key,
                     const authkey& client_key) {
  auto server = std::async(std::launch::async, [&] {
    return net::server_handshake(conn.server.get(), server_key, 2000ms);
  });
  auto client = net::client_handshake(conn.client.get(), client_key, 2000ms);
  return {server.get(), client};
}

// Sends `data` one byte every 50 ms until stopped: a peer that is alive but
// never finishes a frame.
class dripper {
public:
  dripper(int fd, bytes data)
    : thread_([this, fd, data = std::move(data)] {
        for (auto byte : data) {
          if (stop_ || !send_all(fd, bytes{byte}))
            return;
          std::this_thread::sleep_for(50ms);
        }
      }) {}
  ~dripper() {
    stop_ = true;
    thread_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

template <class Exception, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  FAIL("no exception thrown");
  return {};
}

struct temp_file {
  std::string path = "/tmp/cafman_authkey_XXXXXX";
  explicit temp_file(const std::string& contents) {
    int fd = ::mkstemp(path.data());
    REQUIRE(fd >= 0);
    unique_fd owner{fd};
    REQUIRE(::write(fd, contents.data(), contents.size())
            == static_cast<ssize_t>(contents.size()));
  }
  ~temp_file() { ::unlink(path.c_str()); }
};

const std::size_t challenge_frame_size =
  wire::header_size + wire::digest_tag.size() + wire::challenge_size;
const std::size_t answer_frame_size =
  wire::header_size + wire::mac_size + wire::challenge_size;
const std::size_t welcome_frame_size = wire::header_size + wire::mac_size;

bool is_cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

} // namespace

// ---------------------------------------------------------------- authkey

TEST_CASE("random authkeys have the asked size and differ", "[net]") {
  watchdog guard{10s};
  auto a = authkey::random();
  auto b = authkey::random();
  CHECK(a.bytes().size() == 32);
  CHECK(a.bytes() != b.bytes());
  CHECK(authkey::random(16).bytes().size() == 16);
  CHECK_FALSE(a.empty());
}

TEST_CASE("every authkey factory refuses an empty key", "[net]") {
  watchdog guard{10s};
  CHECK_THAT(message_of<cafman::value_error>([] { authkey::random(0); }),
             Contains("empty"));
  CHECK_THAT(message_of<cafman::value_error>([] { authkey::from_string(""); }),
             Contains("empty"));
  CHECK_THAT(message_of<cafman::value_error>([] { authkey::from_hex(""); }),
             Contains("empty"));
  temp_file empty{""};
  CHECK_THAT(message_of<cafman::error>([&] { authkey::from_file(empty.path); }),
             Contains(empty.path) && Contains("empty"));
  temp_file only_newline{"\n"};
  CHECK_THAT(message_of<cafman::error>(
               [&] { authkey::from_file(only_newline.path); }),
             Contains("empty"));
  ::setenv("CAFMAN_TEST_EMPTY_KEY", "", 1);
  CHECK_THAT(message_of<cafman::value_error>(
               [] { authkey::from_env("CAFMAN_TEST_EMPTY_KEY"); }),
             Contains("CAFMAN_TEST_EMPTY_KEY") && Contains("empty"));
  ::unsetenv("CAFMAN_TEST_EMPTY_KEY");
}

TEST_CASE("authkey from a string, a file and the environment", "[net]") {
  watchdog guard{10s};
  CHECK(authkey::from_string("abc").bytes() == text("abc"));

  temp_file with_newline{"s3cret\n"};
  CHECK(authkey::from_file(with_newline.path).bytes() == text("s3cret"));
  temp_file crlf{"s3cret\r\n"};
  CHECK(authkey::from_file(crlf.path).bytes() == text("s3cret"));
  temp_file two_newlines{"s3cret\n\n"};
  CHECK(authkey::from_file(two_newlines.path).bytes() == text("s3cret\n"));

  ::setenv("CAFMAN_TEST_KEY", "from-env", 1);
  auto from_env = authkey::from_env("CAFMAN_TEST_KEY");
  REQUIRE(from_env);
  CHECK(from_env->bytes() == text("from-env"));
  ::unsetenv("CAFMAN_TEST_KEY");
  CHECK_FALSE(authkey::from_env("CAFMAN_TEST_KEY"));
}

TEST_CASE("authkey::from_file names the file and the reason", "[net]") {
  watchdog guard{10s};
  std::string missing = "/tmp/cafman_no_such_authkey_file";
  CHECK_THAT(message_of<cafman::error>([&] { authkey::from_file(missing); }),
             Contains(missing) && Contains("No such file"));
  CHECK_THAT(message_of<cafman::error>([] { authkey::from_file("/tmp"); }),
             Contains("/tmp") && Contains("Is a directory"));
}

TEST_CASE("authkey::from_file refuses a key file that group or others may access", "[net]") {
  watchdog guard{10s};
  temp_file key{"s3cret\n"}; // mkstemp makes it 0600
  CHECK(authkey::from_file(key.path).bytes() == text("s3cret"));
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    INFO("mode " << std::oct << mode);
    REQUIRE(::chmod(key.path.c_str(), mode) == 0);
    CHECK_THAT(message_of<cafman::error>([&] { authkey::from_file(key.path); }),
               Contains("'" + key.path + "' is accessible by group or others")
                 && Contains("chmod 600 " + key.path));
  }
  REQUIRE(::chmod(key.path.c_str(), 0400) == 0);
  CHECK(authkey::from_file(key.path).bytes() == text("s3cret"));
}

TEST_CASE("authkey hex round trip and bad hex", "[net]") {
  watchdog guard{10s};
  auto key = authkey::random();
  CHECK(key.to_hex().size() == 64);
  CHECK(authkey::from_hex(key.to_hex()).bytes() == key.bytes());
  CHECK(authkey::from_string("\x01\xab").to_hex() == "01ab");
  CHECK(authkey::from_hex("01AB").bytes() == bytes{0x01, 0xAB});

  CHECK_THAT(message_of<cafman::value_error>([] { authkey::from_hex("abc"); }),
             Contains("odd"));
  auto bad = message_of<cafman::value_error>([] { authkey::from_hex("00zz"); });
  CHECK_THAT(bad, Contains("position 2"));
  // The message must not echo the (secret) text.
  CHECK_THAT(bad, !Contains("zz"));
}

// ---------------------------------------------------------------- sockets

TEST_CASE("parse_address accepts host:port and [ipv6]:port", "[net]") {
  watchdog guard{10s};
  auto v4 = net::parse_address("127.0.0.1:5000");
  CHECK(v4.host == "127.0.0.1");
  CHECK(v4.port == 5000);
  auto v6 = net::parse_address("[::1]:8080");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 8080);
  CHECK(net::parse_address("localhost:0").port == 0);
  CHECK(net::parse_address("example.org:65535").port == 65535);
  CHECK(net::to_string(v6) == "[::1]:8080");
  CHECK(net::to_string(v4) == "127.0.0.1:5000");
}

TEST_CASE("parse_address rejects malformed input, quoting it", "[net]") {
  watchdog guard{10s};
  auto input = GENERATE(as<std::string>{}, "localhost", "::1:5000",
                        "[::1]5000", "[::1", ":5000", "host:", "host:65536",
                        "host:12x", "host:-1", "");
  INFO("input: " << input);
  CHECK_THAT(message_of<cafman::value_error>(
               [&] { net::parse_address(input); }),
             Contains("\"" + input + "\""));
}

TEST_CASE("listen_tcp and connect_tcp set up sockets as documented",
          "[net]") {
  watchdog guard{10s};
  auto bound = net::listen_tcp("127.0.0.1", 0);
  unique_fd listener{bound.fd};
  CHECK(bound.port != 0);
  CHECK(is_cloexec(listener.get()));

  unique_fd client{net::connect_tcp("127.0.0.1", bound.port, 1000ms)};
  CHECK(is_cloexec(client.get()));
  CHECK((::fcntl(client.get(), F_GETFL) & O_NONBLOCK) == 0);
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  REQUIRE(::getsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &size)
          == 0);
  CHECK(nodelay != 0);

  auto taken = "127.0.0.1:" + std::to_string(bound.port);
  CHECK_THAT(message_of<cafman::connection_error>(
               [&] { net::listen_tcp("127.0.0.1", bound.port); }),
             Contains(taken) && Contains("in use"));
}

TEST_CASE("connect_tcp to a closed port names the address", "[net]") {
  watchdog guard{10s};
  auto bound = net::listen_tcp("127.0.0.1", 0);
  ::close(bound.fd);
  auto where = "127.0.0.1:" + std::to_string(bound.port);
  CHECK_THAT(message_of<cafman::connection_error>([&] {
               net::connect_tcp("127.0.0.1", bound.port, 1000ms);
             }),
             Contains("cannot connect to " + where)
               && Contains("Connection refused")
               && Contains("is the manager running?"));
}

TEST_CASE("unique_fd closes once and moves ownership", "[net]") {
  watchdog guard{10s};
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  unique_fd keep{fds[1]};
  {
    unique_fd first{fds[0]};
    unique_fd second{std::move(first)};
    CHECK_FALSE(first);
    CHECK(second.get() == fds[0]);
  }
  CHECK(::fcntl(fds[0], F_GETFD) == -1);
  int raw = keep.release();
  CHECK_FALSE(keep);
  CHECK(::fcntl(raw, F_GETFD) != -1);
  ::close(raw);
}

// ---------------------------------------------------------------- handshake

TEST_CASE("the handshake succeeds when both sides know the key", "[net]") {
  watchdog guard{10s};
  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  INFO(name(kind));
  auto conn = open_connection(kind);
  auto key = authkey::random();
  auto result = handshake(conn, key, key);
  CHECK(result.server.status == handshake_status::ok);
  CHECK(result.client.status == handshake_status::ok);
  CHECK(static_cast<bool>(result.server));
}

TEST_CASE("different keys are rejected on both sides", "[net]") {
  watchdog guard{10s};
  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  INFO(name(kind));
  auto conn = open_connection(kind);
  auto result = handshake(conn, authkey::from_string("server key"),
                          authkey::from_string("client key"));
  CHECK(result.server.status == handshake_status::rejected);
  CHECK_THAT(result.server.detail, Contains("authkey rejected"));
  CHECK(result.client.status == handshake_status::rejected);
  CHECK_THAT(result.client.detail, Contains("authkey rejected"));
  CHECK_FALSE(result.client);
}

namespace {

// Plays a server that never checks the client and proves itself with
// `proof_key`; sends `trailer` in the same write as its welcome frame.
handshake_result client_against_scripted_server(const authkey& client_key,
                                                const authkey& proof_key,
                                                const bytes& trailer,
                                                connection& conn) {
  auto client = std::async(std::launch::async, [&] {
    return net::client_handshake(conn.client.get(), client_key, 2000ms);
  });
  bytes server_challenge(wire::challenge_size, 0xC3);
  REQUIRE(send_all(conn.server.get(),
                   frame(wire::frame_type::challenge,
                         concat(wire::digest_tag, server_challenge))));
  auto answer = receive(conn.server.get(), answer_frame_size);
  REQUIRE(answer.size() == answer_frame_size);
  auto mac_begin = answer.begin() + wire::header_size;
  auto mac_end = mac_begin + wire::mac_size;
  CHECK(bytes(mac_begin, mac_end)
        == hmac(client_key, concat(wire::client_label, server_challenge)));
  bytes client_challenge(mac_end, answer.end());
  auto proof = hmac(proof_key, concat(wire::server_label, client_challenge,
                                      server_challenge));
  REQUIRE(send_all(conn.server.get(),
                   concat(frame(wire::frame_type::welcome, proof), trailer)));
  return client.get();
}

} // namespace

TEST_CASE("a server that does not know the key is rejected by the client",
          "[net]") {
  watchdog guard{10s};
  auto conn = open_connection(transport::unix_pair);
  auto result = client_against_scripted_server(
    authkey::from_string("real key"), authkey::from_string("guessed key"), {},
    conn);
  CHECK(result.status == handshake_status::rejected);
  CHECK_THAT(result.detail, Contains("server does not know the key"));
}

TEST_CASE("client_handshake leaves the bytes after the welcome unread",
          "[net]") {
  watchdog guard{10s};
  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  INFO(name(kind));
  auto conn = open_connection(kind);
  auto key = authkey::random();
  auto early_basp = text("BASP bytes the server sent right away");
  auto result = client_against_scripted_server(key, key, early_basp, conn);
  REQUIRE(result.status == handshake_status::ok);
  CHECK(receive(conn.client.get(), early_basp.size()) == early_basp);
}

TEST_CASE("server_handshake leaves the bytes after the answer unread",
          "[net]") {
  watchdog guard{10s};
  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  INFO(name(kind));
  auto conn = open_connection(kind);
  auto key = authkey::random();
  auto server = std::async(std::launch::async, [&] {
    return net::server_handshake(conn.server.get(), key, 2000ms);
  });
  auto challenge = receive(conn.client.get(), challenge_frame_size);
  REQUIRE(challenge.size() == challenge_frame_size);
  bytes server_challenge(challenge.end() - wire::challenge_size,
                         challenge.end());
  bytes client_challenge(wire::challenge_size, 0x5A);
  auto early_basp = text("BASP bytes the client sent with its answer");
  auto answer = frame(
    wire::frame_type::answer,
    concat(hmac(key, concat(wire::client_label, server_challenge)),
           client_challenge));
  REQUIRE(send_all(conn.client.get(), concat(answer, early_basp)));
  auto result = server.get();
  REQUIRE(result.status == handshake_status::ok);
  CHECK(receive(conn.server.get(), early_basp.size()) == early_basp);

  // The welcome carries the server's proof, exactly as documented.
  auto welcome = receive(conn.client.get(), welcome_frame_size);
  CHECK(welcome
        == frame(wire::frame_type::welcome,
                 hmac(key, concat(wire::server_label, client_challenge,
                                  server_challenge))));
}

TEST_CASE("bytes a client writes after its handshake reach the server intact",
          "[net]") {
  watchdog guard{10s};
  auto conn = open_connection(transport::tcp);
  auto key = authkey::random();
  auto payload = text("first BASP frame");
  auto client = std::async(std::launch::async, [&] {
    auto result = net::client_handshake(conn.client.get(), key, 2000ms);
    return result && send_all(conn.client.get(), payload);
  });
  auto result = net::server_handshake(conn.server.get(), key, 2000ms);
  REQUIRE(result.status == handshake_status::ok);
  REQUIRE(client.get());
  CHECK(receive(conn.server.get(), payload.size()) == payload);
}

TEST_CASE("a silent peer times out at the limit", "[net]") {
  watchdog guard{10s};
  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  auto side = GENERATE(as<std::string>{}, "server", "client");
  INFO(name(kind) << ", " << side << " side");
  auto conn = open_connection(kind);
  auto key = authkey::random();
  auto start = steady::now();
  auto result = side == "server"
                  ? net::server_handshake(conn.server.get(), key, 300ms)
                  : net::client_handshake(conn.client.get(), key, 300ms);
  auto elapsed = steady::now() - start;
  CHECK(result.status == handshake_status::timed_out);
  CHECK_THAT(result.detail, Contains("no handshake within 300 ms"));
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 500ms);
}

TEST_CASE("a slow-drip peer times out at the limit", "[net]") {
  watchdog guard{10s};
  auto conn = open_connection(transport::tcp);
  auto key = authkey::random();
  auto side = GENERATE(as<std::string>{}, "server", "client");
  INFO(side << " side");
  auto start = steady::now();
  handshake_result result{};
  if (side == "server") {
    dripper drip{conn.client.get(),
                 frame(wire::frame_type::answer, bytes(64, 0x11))};
    result = net::server_handshake(conn.server.get(), key, 300ms);
  } else {
    dripper drip{conn.server.get(),
                 frame(wire::frame_type::challenge,
                       concat(wire::digest_tag, bytes(32, 0x11)))};
    result = net::client_handshake(conn.client.get(), key, 300ms);
  }
  auto elapsed = steady::now() - start;
  CHECK(result.status == handshake_status::timed_out);
  CHECK(elapsed < 500ms);
}

namespace {

// Feeds `bytes` to the side under test and returns its result and how long
// it took; the limit is long, so a quick answer shows it did not wait.
std::pair<handshake_result, steady::duration>
react_to(const std::string& side, const bytes& data) {
  auto conn = open_connection(transport::unix_pair);
  auto key = authkey::random();
  auto& peer = side == "server" ? conn.client : conn.server;
  REQUIRE(send_all(peer.get(), data));
  auto start = steady::now();
  auto result = side == "server"
                  ? net::server_handshake(conn.server.get(), key, 2000ms)
                  : net::client_handshake(conn.client.get(), key, 2000ms);
  return {result, steady::now() - start};
}

} // namespace

TEST_CASE("a peer speaking BASP is a protocol error at once", "[net]") {
  watchdog guard{10s};
  auto side = GENERATE(as<std::string>{}, "server", "client");
  INFO(side << " side");
  // Shaped like a BASP header: operation byte 0, padding, flags, then a
  // 4-byte payload length of about 1 GB.
  bytes basp_header{0x00, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0xFF, 0xFF, 0xFF};
  auto [result, elapsed] = react_to(side, basp_header);
  CHECK(result.status == handshake_status::protocol_error);
  CHECK_THAT(result.detail, Contains("first byte 0x00"));
  CHECK(elapsed < 200ms);
}

TEST_CASE("an oversized frame length is a protocol error at once", "[net]") {
  watchdog guard{10s};
  auto side = GENERATE(as<std::string>{}, "server", "client");
  auto length = GENERATE(257, 65535);
  INFO(side << " side, length " << length);
  auto type = side == "server" ? wire::frame_type::answer
                               : wire::frame_type::challenge;
  auto [result, elapsed] = react_to(side, header(type, length));
  CHECK(result.status == handshake_status::protocol_error);
  CHECK_THAT(result.detail,
             Contains("frame too large (" + std::to_string(length)
                      + " bytes"));
  CHECK(elapsed < 200ms);
}

TEST_CASE("other versions and malformed frames are protocol errors", "[net]") {
  watchdog guard{10s};
  SECTION("another version") {
    bytes future{wire::marker, 2, 1, 0, 0};
    auto [result, elapsed] = react_to("client", future);
    CHECK(result.status == handshake_status::protocol_error);
    CHECK_THAT(result.detail, Contains("version 2"));
    CHECK(elapsed < 200ms);
  }
  SECTION("an answer of the wrong size") {
    auto [result, elapsed] =
      react_to("server", frame(wire::frame_type::answer, bytes(10, 0)));
    CHECK(result.status == handshake_status::protocol_error);
    CHECK_THAT(result.detail, Contains("malformed answer frame"));
  }
  SECTION("a frame of the wrong type") {
    auto [result, elapsed] =
      react_to("server", frame(wire::frame_type::welcome, bytes(32, 0)));
    CHECK(result.status == handshake_status::protocol_error);
    CHECK_THAT(result.detail,
               Contains("(welcome) where the answer frame belongs"));
  }
  SECTION("another digest") {
    auto [result, elapsed] = react_to(
      "client", frame(wire::frame_type::challenge,
                      concat(text("{sha3_256}"), bytes(32, 0))));
    CHECK(result.status == handshake_status::protocol_error);
    CHECK_THAT(result.detail, Contains("{sha256}"));
  }
}

TEST_CASE("a peer closing mid-handshake is an I/O error, never SIGPIPE",
          "[net]") {
  watchdog guard{10s};
  // SIGPIPE must still kill the process, or this test proves nothing.
  struct sigaction pipe_action {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &pipe_action) == 0);
  REQUIRE(pipe_action.sa_handler == SIG_DFL);

  auto kind = GENERATE(transport::unix_pair, transport::tcp);
  INFO(name(kind));
  auto conn = open_connection(kind);
  auto key = authkey::random();

  SECTION("client gone before the server starts") {
    conn.client.reset();
    auto result = net::server_handshake(conn.server.get(), key, 2000ms);
    CHECK(result.status == handshake_status::io_error);
    CHECK_THAT(result.detail, Contains("peer closed the connection"));
  }
  SECTION("client leaves after reading the challenge") {
    auto server = std::async(std::launch::async, [&] {
      return net::server_handshake(conn.server.get(), key, 2000ms);
    });
    CHECK(receive(conn.client.get(), challenge_frame_size).size()
          == challenge_frame_size);
    conn.client.reset();
    auto result = server.get();
    CHECK(result.status == handshake_status::io_error);
    CHECK_THAT(result.detail, Contains("peer closed the connection"));
  }
  SECTION("server leaves after sending the challenge") {
    REQUIRE(send_all(conn.server.get(),
                     frame(wire::frame_type::challenge,
                           concat(wire::digest_tag, bytes(32, 0x22)))));
    conn.server.reset();
    auto result = net::client_handshake(conn.client.get(), key, 2000ms);
    CHECK(result.status == handshake_status::io_error);
    CHECK_THAT(result.detail, Contains("peer closed the connection"));
  }
}
