// What one client's streams may cost the manager, and how long connecting
// may take when the other end misbehaves: every connect() returns or throws
// within its connect_timeout. How a blocking call waits for its reply.

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cafman/errors.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/lean_channel.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/system_config.hpp"
#include "cafman/proxies/dict.hpp"
#include "support.hpp"
#include "watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::time_of;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

cafman::connection_options quick_connect() {
  cafman::connection_options options;
  options.connect_timeout = 500ms;
  return options;
}

/// A listening socket on 127.0.0.1 that a test serves by hand.
struct fake_server {
  cafman::net::listener socket = cafman::net::listen_tcp("127.0.0.1", 0);
  ~fake_server() { ::close(socket.fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(socket.port); }

  /// The next connection, or an empty fd after 5 s.
  cafman::net::unique_fd accept() const {
    pollfd pfd{socket.fd, POLLIN, 0};
    if (::poll(&pfd, 1, 5000) != 1)
      return {};
    return cafman::net::unique_fd{::accept(socket.fd, nullptr, nullptr)};
  }
};

/// Passes the first connection through to a real manager, and treats every
/// later one as `later` says: a manager whose second stream fails.
class relay {
public:
  relay(const std::string& target, std::function<void(cafman::net::unique_fd)> later)
      : thread_{[this, target, later] { run(target, later); }} {}

  ~relay() {
    done_ = true;
    thread_.join();
  }

  std::string address() const { return front_.address(); }

private:
  void run(const std::string& target, const std::function<void(cafman::net::unique_fd)>& later) {
    auto client = front_.accept();
    auto where = cafman::net::parse_address(target);
    cafman::net::unique_fd server{cafman::net::connect_to(where, 2s)};
    std::thread others{[&] {
      while (!done_)
        if (auto next = accept_for(100ms))
          later(std::move(next));
    }};
    char buf[4096];
    pollfd fds[2] = {{client.get(), POLLIN, 0}, {server.get(), POLLIN, 0}};
    while (!done_ && ::poll(fds, 2, 100) >= 0) {
      for (int i = 0; i < 2; ++i) {
        if (!fds[i].revents)
          continue;
        auto n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0)
          done_ = true;
        else
          ::send(fds[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
    }
    others.join();
  }

  cafman::net::unique_fd accept_for(std::chrono::milliseconds limit) {
    pollfd pfd{front_.socket.fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(limit.count())) != 1)
      return {};
    return cafman::net::unique_fd{::accept(front_.socket.fd, nullptr, nullptr)};
  }

  fake_server front_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

/// A client session spoken frame by frame, which reads only when told to.
struct raw_stream {
  explicit raw_stream(const cafman::manager& m) {
    cafman::net::configure(cfg, 1);
    sys_ptr = std::make_unique<caf::actor_system>(cfg);
    auto where = cafman::net::parse_address(m.address());
    fd.reset(cafman::net::connect_to(where, 2s));
    REQUIRE(cafman::net::client_handshake(fd.get(), m.authkey(), 2s));
    std::vector<char> choice{'L'};
    cafman::net::lean::put_u64(choice, cafman::net::lean::new_session);
    send_for(choice, 2s);
    auto welcome = read_reply();
    REQUIRE(welcome.match_elements<std::uint64_t, std::uint64_t, std::uint64_t>());
    registry = welcome.get_as<std::uint64_t>(2);
  }

  template <class... Ts>
  caf::message call(std::uint64_t target, Ts&&... xs) {
    std::vector<char> out;
    REQUIRE(!cafman::net::lean::append_frame(sys(), out, {next_request++, target},
                                             caf::make_message(std::forward<Ts>(xs)...)));
    send_for(out, 5s);
    return read_reply();
  }

  /// Sends as much of `bytes` as the manager takes within `limit`.
  void send_for(const std::vector<char>& bytes, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::size_t sent = 0;
    while (sent < bytes.size() && std::chrono::steady_clock::now() < deadline) {
      auto n = ::send(fd.get(), bytes.data() + sent, bytes.size() - sent,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        sent += static_cast<std::size_t>(n);
      else
        cafman::net::poll_until(fd.get(), POLLOUT, deadline);
    }
  }

  caf::message read_reply() {
    auto length = read_exactly(cafman::net::lean::length_size);
    auto body = read_exactly(cafman::net::lean::get_u32(length.data()));
    caf::message reply;
    REQUIRE(!cafman::net::lean::read_message(sys(), body.data(), body.size(),
                                             cafman::net::lean::reply_header_size, reply));
    return reply;
  }

  std::vector<char> read_exactly(std::size_t size) {
    std::vector<char> bytes(size);
    std::size_t have = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (have < size) {
      REQUIRE(cafman::net::poll_until(fd.get(), POLLIN, deadline) == 0);
      auto n = ::recv(fd.get(), bytes.data() + have, size - have, 0);
      REQUIRE(n > 0);
      have += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  /// Creates a dict of `entries` values of 64 KiB each; returns its id.
  std::uint64_t make_big_dict(int entries) {
    cafman::dict_value contents;
    for (int i = 0; i < entries; ++i)
      contents.insert_or_assign(i, std::string(64 * 1024, 'x'));
    auto made = call(registry, cafman::create_atom_v, cafman::caller{}, std::string{"dict"},
                     value{cafman::list_value{value{std::move(contents)}}});
    REQUIRE(made.match_elements<std::uint64_t>());
    return made.get_as<std::uint64_t>(0);
  }

  caf::actor_system& sys() { return *sys_ptr; }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys_ptr;
  cafman::net::unique_fd fd;
  std::uint64_t registry = 0;
  std::uint64_t next_request = 1;
};

/// Resident memory of a process, in KiB.
long rss_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  long value = 0;
  while (status >> key)
    if (key == "VmRSS:" && status >> value)
      return value;
  return -1;
}

} // namespace

TEST_CASE("connect returns or throws within connect_timeout when the peer refuses, resets or "
          "stays silent",
          "[streams]") {
  watchdog dog{30s};
  auto key = cafman::authkey::from_string("a test key");
  auto closed_port = [] {
    fake_server gone;
    return gone.address();
  }();
  auto refused = time_of([&] {
    CHECK_THROWS_AS(cafman::connect(closed_port, key, quick_connect()), cafman::connection_error);
  });
  CHECK(refused < 500ms);
  fake_server resetting;
  // Accepted and closed at once, as a manager at its limit of pending
  // handshakes does: the client tries again until its connect_timeout.
  std::thread closer{[&] { resetting.accept(); }};
  auto reset = time_of([&] {
    CHECK_THROWS_WITH(cafman::connect(resetting.address(), key, quick_connect()),
                      Catch::Contains("turned away"));
  });
  closer.join();
  CHECK(reset < 900ms);
  fake_server silent; // the kernel accepts; nobody ever answers
  auto waited = time_of([&] {
    CHECK_THROWS_AS(cafman::connect(silent.address(), key, quick_connect()), cafman::error);
  });
  CHECK(waited >= 450ms);
  CHECK(waited < 1500ms);
}

TEST_CASE("connect is bounded when the first stream works and the next one fails or hangs",
          "[streams]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    for (bool hang : {false, true}) {
      relay faulty{m.address(), [hang](cafman::net::unique_fd fd) {
                     if (hang) // keep it open and silent for longer than the client waits
                       ::poll(nullptr, 0, 2000);
                   }};
      auto took = time_of([&] {
        CHECK_THROWS_AS(cafman::connect(faulty.address(), m.authkey(), quick_connect()),
                        cafman::error);
      });
      CHECK(took < 1500ms);
    }
    CHECK(m.dict({{"still", 1}}).get("still") == value{1});
  });
}

TEST_CASE("a request over the frame size limit is refused, and dropped as it arrives",
          "[streams]") {
  watchdog dog{30s};
  cafman::sync_manager_options options;
  options.lean.max_frame_bytes = 1024;
  with_manager(
      [](cafman::sync_manager& m) {
        auto d = m.dict();
        d.set("small", std::string(100, 'x'));
        CHECK_THROWS_WITH(d.set("large", std::string(4096, 'x')),
                          Catch::Contains("max_frame_bytes 1024"));
        CHECK_THROWS_AS(d.set("large", std::string(1u << 20, 'x')), cafman::limit_error);
        // The stream goes on: the next call on it is answered.
        CHECK(d.get("small") == value{std::string(100, 'x')});
        CHECK_FALSE(d.contains("large"));
      },
      options);
}

namespace {

// Sends `flood` for up to 3 s: the manager grows by less than 64 MiB for it
// and still serves another client.
void check_flood_bounded(cafman::sync_manager& m, raw_stream& flooder,
                         const std::vector<char>& flood, long rss_before) {
  flooder.send_for(flood, 3s);
  auto grown = rss_kib(m.pid()) - rss_before;
  INFO("manager RSS grew by " << grown << " KiB");
  CHECK(grown < 64 * 1024);
  CHECK(m.dict({{"others", "served"}}).get("others") == value{"served"});
}

} // namespace

TEST_CASE("a client that never reads its replies costs the manager a bounded amount of memory",
          "[streams]") {
  watchdog dog{60s};
  cafman::sync_manager_options options;
  options.lean.max_unread_reply_bytes = 4u << 20;
  options.lean.max_in_flight = 8;
  with_manager(
      [](cafman::sync_manager& m) {
        raw_stream flooder{m};
        auto big = flooder.make_big_dict(16);
        auto before = rss_kib(m.pid());
        // 1,000 requests for a 1 MiB copy, sent as fast as the socket takes
        // them and never read: without the bound, 1 GiB of replies.
        std::vector<char> out;
        for (std::uint64_t i = 100; i < 1100; ++i)
          REQUIRE(!cafman::net::lean::append_frame(flooder.sys(), out, {i, big},
                                                   caf::make_message(cafman::copy_atom_v)));
        check_flood_bounded(m, flooder, out, before);
      },
      options);
}

TEST_CASE("replies keep their order and stay whole when the socket fills and CAF takes over",
          "[streams]") {
  // The manager writes replies to the socket itself and hands what the
  // socket does not take to CAF; until CAF has written that, later
  // replies must queue behind it. A sync is answered as it is read, in
  // the middle of the objects' large replies: no reply may cut into
  // another, and an object's replies keep the order of their calls.
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    raw_stream client{m};
    auto d = client.make_big_dict(8);
    // 40 frames in one write, none read until all are answered: 10 MiB
    // of copies, a len after every third, syncs between them.
    std::vector<char> out;
    constexpr std::uint64_t first = 1000;
    constexpr std::uint64_t frames = 40;
    auto is_sync = [](std::uint64_t i) { return i % 4 == 1; };
    auto is_len = [](std::uint64_t i) { return i % 4 == 3; };
    for (std::uint64_t i = 0; i < frames; ++i) {
      auto target = is_sync(i) ? cafman::net::lean::sync_target : d;
      auto msg = is_sync(i)  ? caf::message{}
                 : is_len(i) ? caf::make_message(cafman::len_atom_v)
                             : caf::make_message(cafman::copy_atom_v);
      REQUIRE(!cafman::net::lean::append_frame(client.sys(), out, {first + i, target}, msg));
    }
    client.send_for(out, 5s);
    std::set<std::uint64_t> answered;
    std::uint64_t last_object_call = 0;
    for (std::uint64_t n = 0; n < frames; ++n) {
      auto length = client.read_exactly(cafman::net::lean::length_size);
      auto body = client.read_exactly(cafman::net::lean::get_u32(length.data()));
      auto id = cafman::net::lean::get_u64(body.data());
      REQUIRE(id >= first);
      REQUIRE(id < first + frames);
      REQUIRE(answered.insert(id).second);
      auto i = id - first;
      caf::message reply;
      REQUIRE(!cafman::net::lean::read_reply(client.sys(), body.data(), body.size(), reply));
      if (is_sync(i)) {
        CHECK(reply.empty());
        continue;
      }
      CHECK(id > last_object_call);
      last_object_call = id;
      if (is_len(i)) {
        REQUIRE(reply.match_elements<std::int64_t>());
        CHECK(reply.get_as<std::int64_t>(0) == 8);
      } else {
        REQUIRE(reply.match_elements<value>());
        CHECK(reply.get_as<value>(0).get<cafman::dict_value>().size() == 8);
      }
    }
    // The manager writes the next replies itself again.
    for (int i = 0; i < 3; ++i)
      CHECK(client.call(d, cafman::len_atom_v).get_as<std::int64_t>(0) == 8);
  });
}

TEST_CASE("a stream whose calls all wait is read no further than a bounded amount",
          "[streams]") {
  // With max_in_flight calls waiting, the manager keeps reading a stream
  // (a reply lets the next call go at once) only up to a bound: then it
  // stops reading, so a client cannot make it buffer its flood of calls.
  watchdog dog{60s};
  cafman::sync_manager_options options;
  options.lean.max_in_flight = 8;
  // A stream not read cannot see its client close: this one's session ends
  // by its silence (it sends no heartbeat) once its flood is over.
  options.lean.session_timeout = 2s;
  with_manager(
      [](cafman::sync_manager& m) {
        raw_stream flooder{m};
        auto made = flooder.call(flooder.registry, cafman::create_atom_v, cafman::caller{},
                                 std::string{"queue"}, value{cafman::list_value{}});
        REQUIRE(made.match_elements<std::uint64_t>());
        auto q = made.get_as<std::uint64_t>(0);
        auto before = rss_kib(m.pid());
        std::vector<char> out;
        for (std::uint64_t i = 100; i < 108; ++i) // each waits for an item that never comes
          REQUIRE(!cafman::net::lean::append_frame(
              flooder.sys(), out, {i, q},
              caf::make_message(cafman::get_atom_v, cafman::caller{}, cafman::detail::forever)));
        auto len = caf::make_message(cafman::qsize_atom_v);
        bool encoded = true;
        for (std::uint64_t i = 108; encoded && out.size() < (256u << 20); ++i)
          encoded = !cafman::net::lean::append_frame(flooder.sys(), out, {i, q}, len);
        REQUIRE(encoded);
        check_flood_bounded(m, flooder, out, before);
      },
      options);
}

TEST_CASE("a session holds at most max_objects_per_session objects", "[streams]") {
  watchdog dog{30s};
  cafman::sync_manager_options options;
  options.limits.max_objects_per_session = 3;
  with_manager(
      [](cafman::sync_manager& m) {
        auto a = m.dict();
        auto b = m.list();
        auto c = m.queue();
        CHECK_THROWS_WITH(m.lock(), Catch::Contains("max_objects_per_session"));
        CHECK_THROWS_AS(m.lock(), cafman::limit_error);
        { auto gone = std::move(c); }
        CHECK(cafman::testing::eventually([&] { return m.number_of_objects() == 2; }));
        auto d = m.lock(); // room again
        CHECK(m.number_of_objects() == 3);
      },
      options);
}

namespace {

// A manager's side of one lean stream that answers every request with 7,
// `delay` after it came: a manager slower than the client's spin.
void answer_late(caf::actor_system& sys, int fd, std::chrono::milliseconds delay) {
  namespace lean = cafman::net::lean;
  auto read_all = [fd](char* at, std::size_t n) {
    while (n > 0) {
      auto got = ::recv(fd, at, n, 0);
      if (got <= 0)
        return false;
      at += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  };
  for (;;) {
    char length[lean::length_size];
    if (!read_all(length, sizeof(length)))
      return;
    std::vector<char> body(lean::get_u32(length));
    if (!read_all(body.data(), body.size()))
      return;
    std::this_thread::sleep_for(delay);
    std::vector<char> out;
    lean::append_frame(sys, out, {lean::get_u64(body.data())}, caf::make_message(value{7}));
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
      return;
  }
}

} // namespace

TEST_CASE("a reply read without waiting is taken only whole, and a malformed one is refused",
          "[streams]") {
  watchdog dog{60s};
  caf::actor_system_config cfg;
  cafman::net::configure(cfg, 1);
  caf::actor_system sys{cfg};
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  cafman::detail::lean_channel channel{cafman::net::unique_fd{fds[0]}};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::vector<char> frame;
  cafman::net::lean::append_frame(sys, frame, {5}, caf::make_message(value{7}));
  auto half = static_cast<ssize_t>(frame.size() / 2);
  REQUIRE(::send(fds[1], frame.data(), half, 0) == half);
  CHECK_FALSE(channel.reply_ready());
  REQUIRE(::send(fds[1], frame.data() + half, frame.size() - half, 0)
          == static_cast<ssize_t>(frame.size()) - half);
  CHECK(channel.reply_ready());
  auto [id, reply] = channel.next_reply(sys, deadline, "the fake manager");
  CHECK(id == 5);
  CHECK(reply.match_elements<value>());
  // A length past any reply's bound, then more bytes than a read takes:
  // refused as soon as the length is in, not read on and on.
  std::vector<char> bogus(4 + 256 * 1024, 'x');
  bogus[0] = bogus[1] = bogus[2] = bogus[3] = '\xff';
  REQUIRE(::send(fds[1], bogus.data(), 4, 0) == 4);
  CHECK(channel.reply_ready());
  CHECK_THROWS_AS(channel.next_reply(sys, deadline, "the fake manager"),
                  cafman::connection_error);
  ::close(fds[1]);
}

TEST_CASE("a blocking call spins for its reply only while replies come within the spin time",
          "[streams]") {
  watchdog dog{60s};
  caf::actor_system_config cfg;
  cafman::net::configure(cfg, 1);
  caf::actor_system sys{cfg};
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  auto spin = GENERATE(0ms, 20ms);
  cafman::detail::lean_channel channel{cafman::net::unique_fd{fds[0]}, spin};
  std::thread manager{[&] { answer_late(sys, fds[1], 200ms); }};
  auto call = [&] {
    auto reply = channel.call(sys, 1, caf::make_message(cafman::get_atom_v),
                              std::chrono::steady_clock::now() + 10s, "the fake manager");
    CHECK(reply.match_elements<value>());
  };
  call(); // a miss: its reply came after the spin
  CHECK(channel.waits_spun() == (spin > 0ms ? 1 : 0));
  for (int i = 0; i < 8; ++i) // the first miss makes the next 8 waits sleep at once
    call();
  CHECK(channel.waits_spun() == (spin > 0ms ? 1 : 0));
  call(); // then it tries again
  CHECK(channel.waits_spun() == (spin > 0ms ? 2 : 0));
  ::shutdown(fds[1], SHUT_RDWR);
  manager.join();
  ::close(fds[1]);
}
