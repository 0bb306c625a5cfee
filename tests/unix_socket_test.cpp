// The same-host transport: Unix-domain sockets, the default of sync_manager
// and an option of cafman-server (--unix PATH), behind the same authkey
// handshake as TCP.

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafman/cafman.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/socket.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::no_children_left;
using cafman::testing::server_process;
using cafman::testing::watchdog;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "unix-socket-test-secret";

bool exists(const std::string& path) {
  struct stat info{};
  return ::lstat(path.c_str(), &info) == 0;
}

bool is_socket(const std::string& path) {
  struct stat info{};
  return ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

std::string fresh_socket_path() {
  static int n = 0;
  return "/tmp/cafman-unix-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

void add_one(cafman::dict_proxy d) {
  d.fetch_add("n", 1);
}

} // namespace

TEST_CASE("parse_address takes unix:PATH and refuses an empty, too long or NUL path", "[net]") {
  namespace net = cafman::net;
  auto where = net::parse_address("unix:/run/cafman/jobs");
  CHECK(where.is_unix());
  CHECK(where.path == "/run/cafman/jobs");
  CHECK(net::to_string(where) == "unix:/run/cafman/jobs");
  CHECK_FALSE(net::parse_address("127.0.0.1:5000").is_unix());
  CHECK_THROWS_WITH(net::parse_address("unix:"), Contains("missing the socket's path"));
  CHECK_THROWS_WITH(net::parse_address("unix:/" + std::string(107, 'x')),
                    Contains("at most 107 bytes"));
  CHECK_THROWS_WITH(net::parse_address(std::string{"unix:/a\0b", 9}), Contains("NUL"));
  CHECK_THROWS_WITH(cafman::connect("unix:/nonexistent/cafman", cafman::authkey::random(),
                                    [] {
                                      cafman::connection_options o;
                                      o.connect_timeout = 500ms;
                                      return o;
                                    }()),
                    Contains("cannot connect to unix:/nonexistent/cafman"));
}

TEST_CASE("sync_manager serves over a Unix-domain socket in a private directory, removed at "
          "shutdown",
          "[unix]") {
  watchdog dog{30s};
  std::string path;
  {
    cafman::sync_manager m;
    auto address = m.address();
    REQUIRE(address.rfind("unix:/tmp/cafman-", 0) == 0);
    path = address.substr(5);
    CHECK(is_socket(path));
    auto dir = path.substr(0, path.rfind('/'));
    struct stat info{};
    REQUIRE(::stat(dir.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700); // only this user may reach the socket
    {
      auto d = m.dict();
      cafman::process child{add_one, d}; // reconnects through the socket
      REQUIRE(child.join(10s));
      CHECK(child.exitcode() == 0);
      CHECK(d.get("n") == value{1});
    }
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
    m.shutdown();
    CHECK_FALSE(exists(path));
    CHECK_FALSE(exists(dir));
  }
  cafman::sync_manager_options tcp;
  tcp.unix_socket = false;
  cafman::sync_manager m{tcp};
  CHECK(m.address().rfind("127.0.0.1:", 0) == 0);
  CHECK(m.dict({{"k", 1}}).get("k") == value{1});
  m.shutdown();
  // A manager for other hosts names the address they dial.
  cafman::sync_manager_options for_others;
  for_others.host = "0.0.0.0";
  cafman::sync_manager open{for_others};
  CHECK(open.address().rfind("0.0.0.0:", 0) == 0);
  open.shutdown();
  CHECK(no_children_left());
}

TEST_CASE("a sync_manager whose owner dies leaves no socket or directory behind", "[unix]") {
  watchdog dog{30s};
  int report[2];
  REQUIRE(::pipe(report) == 0);
  auto owner = ::fork();
  if (owner == 0) {
    ::close(report[0]);
    cafman::sync_manager m;
    auto address = m.address();
    [[maybe_unused]] auto n = ::write(report[1], address.data(), address.size());
    ::close(report[1]);
    ::pause(); // until killed
  }
  ::close(report[1]);
  std::string address(256, '\0');
  auto n = ::read(report[0], address.data(), address.size());
  ::close(report[0]);
  REQUIRE(n > 5);
  address.resize(static_cast<std::size_t>(n));
  auto path = address.substr(5);
  auto dir = path.substr(0, path.rfind('/'));
  REQUIRE(is_socket(path));
  ::kill(owner, SIGKILL);
  ::waitpid(owner, nullptr, 0);
  // The manager process sees its owner gone, stops, and cleans up.
  CHECK(eventually([&] { return !exists(path) && !exists(dir); }, 10s));
}

TEST_CASE("cafman-server --unix serves this host's clients behind the key and removes the socket "
          "when it stops",
          "[unix][programs]") {
  watchdog dog{30s};
  auto path = fresh_socket_path();
  server_process srv{secret, {"--unix", path}};
  REQUIRE(srv.unix_address() == "unix:" + path);
  auto key = cafman::authkey::from_string(secret);
  {
    auto m = cafman::connect(srv.unix_address(), key);
    auto over_tcp = cafman::connect(srv.address(), key);
    auto d = m.dict({{"k", 1}});
    m.publish("shared", d); // one manager, whichever way its clients come
    CHECK(over_tcp.get<cafman::dict_proxy>("shared").get("k") == value{1});
    over_tcp.unpublish("shared");
    // Actor handles need BASP, which is TCP only: a clear error, not a hang.
    CHECK_THROWS_WITH(d.actor(), Contains("TCP only"));
    CHECK_THROWS_AS(cafman::connect(srv.unix_address(), cafman::authkey::from_string("wrong")),
                    cafman::auth_error);
    // A key holder who asks for BASP on the Unix socket is turned away
    // without harm to the server (CAF's BASP would abort on such a socket).
    auto where = cafman::net::parse_address(srv.unix_address());
    cafman::net::unique_fd fd{cafman::net::connect_to(where, 2s)};
    REQUIRE(cafman::net::client_handshake(fd.get(), key, 2s));
    const char basp = 'B';
    REQUIRE(::send(fd.get(), &basp, 1, MSG_NOSIGNAL) == 1);
    char byte;
    CHECK(::recv(fd.get(), &byte, 1, 0) <= 0);
    CHECK(d.get("k") == value{1});
    { auto gone = std::move(d); }
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  }
  auto status = srv.stop(SIGTERM);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK_FALSE(exists(path));
  CHECK(no_children_left());
}

TEST_CASE("cafman-server --unix takes over the socket file of a dead server, never a live one's",
          "[unix][programs]") {
  watchdog dog{30s};
  auto path = fresh_socket_path();
  auto key = cafman::authkey::from_string(secret);
  {
    server_process live{secret, {"--unix", path}};
    REQUIRE(is_socket(path));
    // A second server on the same path fails, saying why; the first serves on.
    ::setenv("CAFMAN_AUTHKEY", secret.c_str(), 1);
    auto [code, output] = cafman::testing::run_server("--port 0 --unix " + path);
    ::unsetenv("CAFMAN_AUTHKEY");
    CHECK(code != 0);
    CHECK_THAT(output, Contains("a manager serves there already"));
    CHECK(is_socket(path));
    CHECK(cafman::connect("unix:" + path, key).dict({{"k", 1}}).get("k") == value{1});
    REQUIRE(live.stop(SIGKILL)); // leaves its socket file behind
  }
  REQUIRE(is_socket(path));
  server_process next{secret, {"--unix", path}};
  REQUIRE(next.unix_address() == "unix:" + path);
  CHECK(cafman::connect(next.unix_address(), key).dict({{"k", 2}}).get("k") == value{2});
  REQUIRE(next.stop(SIGTERM));
  CHECK_FALSE(exists(path));
  CHECK(no_children_left());
}
