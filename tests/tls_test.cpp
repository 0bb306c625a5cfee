// TLS on every stream (opt-in): mutual certificate verification, the
// authkey handshake, lean streams and BASP inside TLS, and clear errors for
// every certificate that does not fit. Certificates are made per test run
// with the openssl command-line tool.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <csignal>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <caf/scoped_actor.hpp>

#include "cafman/cafman.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/tls.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::log_lines;
using cafman::testing::no_children_left;
using cafman::testing::run_program;
using cafman::testing::server_process;
using cafman::testing::temp_dir;
using cafman::testing::watchdog;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "tls-test-secret";

/// A CA, a manager certificate for `server_ips`, a client certificate, and
/// a second CA with a client certificate of its own (a stranger's), in a
/// fresh directory removed at the end.
class test_pki {
public:
  explicit test_pki(const std::vector<std::string>& server_ips = {"127.0.0.1"}) {
    make_ca("ca");
    make_ca("other-ca");
    std::string san = "subjectAltName=DNS:localhost";
    for (auto& ip : server_ips)
      san += ",IP:" + ip;
    make_cert("server", "ca", san);
    make_cert("client", "ca", "");
    make_cert("stranger", "other-ca", "");
  }

  std::string path(const std::string& name) const { return dir_.path(name); }

  cafman::tls_options options(const std::string& who, const std::string& ca = "ca") const {
    return {path(who + ".pem"), path(who + ".key"), path(ca + ".pem"), {}};
  }

  /// The same as program options.
  std::string args(const std::string& who, const std::string& ca = "ca") const {
    return "--tls-cert " + path(who + ".pem") + " --tls-key " + path(who + ".key")
           + " --tls-ca " + path(ca + ".pem");
  }

private:
  void openssl(const std::string& args) {
    auto [code, out] = run_program("openssl", args);
    INFO(out);
    REQUIRE(code == 0);
  }

  void make_ca(const std::string& name) {
    openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN="
            + name + " -keyout " + path(name + ".key") + " -out " + path(name + ".pem"));
  }

  void make_cert(const std::string& name, const std::string& ca, const std::string& san) {
    openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name
            + " -keyout " + path(name + ".key") + " -out " + path(name + ".csr"));
    std::string extensions;
    if (!san.empty()) {
      std::ofstream{path(name + ".ext")} << san << "\n";
      extensions = " -extfile " + path(name + ".ext");
    }
    openssl("x509 -req -days 2 -in " + path(name + ".csr") + " -CA " + path(ca + ".pem")
            + " -CAkey " + path(ca + ".key") + " -CAcreateserial -out " + path(name + ".pem")
            + extensions);
  }

  temp_dir dir_{"tls-test"};
};

cafman::server_options tls_server_options(const test_pki& pki) {
  cafman::server_options opts;
  opts.authkey = cafman::authkey::from_string(secret);
  opts.tls = pki.options("server");
  return opts;
}

cafman::connection_options tls_client(const test_pki& pki, const std::string& who = "client",
                                      const std::string& ca = "ca") {
  cafman::connection_options opts;
  opts.connect_timeout = 3s;
  opts.tls = pki.options(who, ca);
  return opts;
}

/// A TCP forwarder in front of a server that keeps a copy of every byte
/// either way: what someone on the path between client and manager sees.
class wiretap {
public:
  explicit wiretap(std::uint16_t target) : target_(target) {
    auto l = cafman::net::listen_tcp("127.0.0.1", 0);
    listener_.reset(l.fd);
    port_ = l.port;
    acceptor_ = std::thread{[this] { accept_loop(); }};
  }

  ~wiretap() {
    ::shutdown(listener_.get(), SHUT_RDWR);
    acceptor_.join();
    for (auto& t : pumps_)
      t.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  std::string seen() {
    std::lock_guard<std::mutex> guard{mtx_};
    return seen_;
  }

private:
  void accept_loop() {
    for (;;) {
      int client = ::accept(listener_.get(), nullptr, nullptr);
      if (client < 0)
        return;
      int server = cafman::net::connect_tcp("127.0.0.1", target_, 5s);
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  // Until either side closes.
  void pump(int a, int b) {
    cafman::net::unique_fd one{a}, other{b};
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buffer[16384];
    for (;;) {
      if (::poll(fds, 2, 30000) <= 0)
        return;
      for (int i = 0; i < 2; ++i) {
        if (!fds[i].revents)
          continue;
        auto n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0 || ::send(fds[1 - i].fd, buffer, n, MSG_NOSIGNAL) != n)
          return;
        std::lock_guard<std::mutex> guard{mtx_};
        seen_.append(buffer, n);
      }
    }
  }

  std::uint16_t target_;
  cafman::net::unique_fd listener_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> pumps_; // the acceptor's until it ends
  std::mutex mtx_;
  std::string seen_;
};

/// What a dict holds after a client stored a recognisable value through
/// the wiretap, and everything the wiretap saw.
std::string traffic_of_a_session(std::uint16_t server_port, cafman::connection_options opts) {
  wiretap tap{server_port};
  {
    auto m = cafman::connect(tap.address(), cafman::authkey::from_string(secret), opts);
    auto d = m.dict();
    d.set("plaintext-marker", value{"the-secret-value-42"});
    CHECK(d.at("plaintext-marker") == value{"the-secret-value-42"});
  }
  return tap.seen();
}

/// A TLS client that presents no certificate at all, made with OpenSSL
/// directly (cafman's own options refuse to leave it out): what the server
/// does with it, in the words of OpenSSL on the client's side.
std::string connect_without_certificate(std::uint16_t port, const std::string& ca) {
  auto ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  cafman::net::unique_fd fd{cafman::net::connect_tcp("127.0.0.1", port, 5s)};
  auto ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd.get());
  std::string outcome = "connected";
  char byte;
  if (SSL_connect(ssl) != 1 || SSL_read(ssl, &byte, 1) != 1)
    outcome = ERR_reason_error_string(ERR_peek_last_error())
                ? ERR_reason_error_string(ERR_peek_last_error())
                : "closed";
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return outcome;
}

/// Two hosts: two network namespaces joined by a veth pair, the manager's
/// at 10.231.N.1 and the client's at 10.231.N.2; both gone at the end.
class two_hosts {
public:
  two_hosts() {
    INFO("network namespaces (ip netns) need root");
    REQUIRE(::geteuid() == 0);
    auto tag = std::to_string(::getpid() % 100000);
    auto subnet = "10.231." + std::to_string(::getpid() % 250 + 1) + ".";
    server_ns_ = "cafman-srv-" + tag;
    client_ns_ = "cafman-cli-" + tag;
    server_ip_ = subnet + "1";
    client_ip_ = subnet + "2";
    ip("netns add " + server_ns_);
    ip("netns add " + client_ns_);
    ip("link add cms" + tag + " type veth peer name cmc" + tag);
    join(server_ns_, "cms" + tag, server_ip_);
    join(client_ns_, "cmc" + tag, client_ip_);
  }

  ~two_hosts() {
    // Deleting a namespace deletes its end of the veth pair, and so both.
    run_program("ip", "netns del " + server_ns_);
    run_program("ip", "netns del " + client_ns_);
  }

  const std::string& server_ip() const { return server_ip_; }
  std::vector<std::string> on_server() const { return {"ip", "netns", "exec", server_ns_}; }
  /// Runs the cafman client on the client's host.
  std::pair<int, std::string> cafman_on_client(const std::string& args) const {
    return run_program("ip", "netns exec " + client_ns_ + " " + CAFMAN_CLI_BIN + " " + args);
  }

private:
  static void ip(const std::string& args) {
    auto [code, out] = run_program("ip", args);
    INFO("ip " << args << ": " << out);
    REQUIRE(code == 0);
  }

  static void join(const std::string& ns, const std::string& dev, const std::string& address) {
    ip("link set " + dev + " netns " + ns);
    ip("-n " + ns + " addr add " + address + "/24 dev " + dev);
    ip("-n " + ns + " link set " + dev + " up");
    ip("-n " + ns + " link set lo up");
  }

  std::string server_ns_, client_ns_, server_ip_, client_ip_;
};

} // namespace

TEST_CASE("TLS: a client on another host (network namespace) works with TLS and the key, and "
          "fails clearly with a wrong CA or without TLS",
          "[tls][netns]") {
  watchdog dog{60s};
  {
    two_hosts hosts;
    test_pki pki{{hosts.server_ip()}};
    server_process server{secret,
                          {"--host", hosts.server_ip(), "--handshake-timeout", "300",
                           "--publish", "jobs=queue", "--tls-cert", pki.path("server.pem"),
                           "--tls-key", pki.path("server.key"), "--tls-ca", pki.path("ca.pem")},
                          hosts.on_server()};
    REQUIRE_THAT(server.address(), Contains(hosts.server_ip() + ":"));
    auto base = "--address " + server.address() + " --authkey-file " + server.key_file() + " ";
    auto [code, out] = hosts.cafman_on_client(base + pki.args("client") + " names");
    INFO(out);
    CHECK(code == 0);
    CHECK_THAT(out, Contains("jobs"));
    auto [wrong_ca, wrong_ca_out] = hosts.cafman_on_client(base + pki.args("client", "other-ca")
                                                           + " names");
    CHECK(wrong_ca == 1);
    CHECK_THAT(wrong_ca_out, Contains("failed verification") && Contains(hosts.server_ip()));
    auto [stranger, stranger_out] = hosts.cafman_on_client(base + pki.args("stranger") + " names");
    CHECK(stranger == 1);
    CHECK_THAT(stranger_out, Contains("refused this client's TLS certificate"));
    auto [plain, plain_out] = hosts.cafman_on_client(base + "names");
    CHECK(plain == 1);
    CHECK_THAT(plain_out, Contains("requires TLS"));
    // The manager is not reachable from this host's own loopback.
    auto [local, local_out] = run_program(CAFMAN_CLI_BIN, "--address 127.0.0.1:"
                                          + server.address().substr(server.address().find(':') + 1)
                                          + " --authkey-file " + server.key_file() + " "
                                          + pki.args("client") + " names");
    CHECK(local == 1);
    CHECK(server.stop(SIGTERM).has_value());
  }
  CHECK(no_children_left());
}

TEST_CASE("TLS: a client with a certificate of the manager's CA works, and no byte of a call "
          "is readable on the wire",
          "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  cafman::server srv{tls_server_options(pki)};
  auto seen = traffic_of_a_session(srv.port(), tls_client(pki));
  CHECK_FALSE(seen.empty());
  CHECK(seen.find("the-secret-value-42") == std::string::npos);
  CHECK(seen.find("plaintext-marker") == std::string::npos);
  CHECK(seen.find("{sha256}") == std::string::npos); // the authkey challenge's tag
  // The wiretap does see a plain server's traffic: the check above means something.
  cafman::server_options plain;
  plain.authkey = cafman::authkey::from_string(secret);
  cafman::server plain_srv{plain};
  auto clear = traffic_of_a_session(plain_srv.port(), {});
  CHECK(clear.find("the-secret-value-42") != std::string::npos);
  auto m = cafman::connect("127.0.0.1:" + std::to_string(srv.port()),
                           cafman::authkey::from_string(secret), tls_client(pki));
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
}

TEST_CASE("TLS: actor handles (BASP) travel inside TLS too", "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  auto opts = tls_server_options(pki);
  opts.allow_basp = true;
  cafman::server srv{opts};
  auto m = cafman::connect("127.0.0.1:" + std::to_string(srv.port()),
                           cafman::authkey::from_string(secret), tls_client(pki));
  {
    auto d = m.dict();
    d.set("k", value{7});
    auto handle = d.actor();
    caf::scoped_actor self{handle.home_system()};
    bool answered = false;
    self->request(handle, 5s, cafman::get_atom_v, value{"k"})
      .receive([&](const value& v) { answered = v == value{7}; },
               [](caf::error& e) { FAIL(caf::to_string(e)); });
    CHECK(answered);
  }
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
}

TEST_CASE("TLS: a wrong CA, a stranger's certificate, no certificate and plain clients are "
          "refused with errors that say so",
          "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  log_lines log;
  auto opts = tls_server_options(pki);
  opts.handshake_timeout = 300ms;
  opts.log = log.sink();
  cafman::server srv{opts};
  auto address = "127.0.0.1:" + std::to_string(srv.port());
  auto key = cafman::authkey::from_string(secret);
  // The client does not trust the manager's CA.
  CHECK_THROWS_MATCHES(cafman::connect(address, key, tls_client(pki, "client", "other-ca")),
                       cafman::auth_error,
                       Catch::Matchers::Predicate<cafman::auth_error>([](auto& e) {
                         std::string what = e.what();
                         return what.find("TLS certificate of the manager at " ) != what.npos
                                && what.find("failed verification") != what.npos
                                && what.find("--tls-ca") != what.npos;
                       }));
  // The manager does not trust the client's CA.
  CHECK_THROWS_WITH(cafman::connect(address, key, tls_client(pki, "stranger")),
                    Contains("refused this client's TLS certificate")
                      && Contains("unknown ca"));
  // A certificate for another name than the host connected to.
  auto elsewhere = tls_client(pki);
  elsewhere.tls.server_name = "manager.example";
  CHECK_THROWS_WITH(cafman::connect(address, key, elsewhere),
                    Contains("hostname mismatch") && Contains("manager.example"));
  // TLS without any certificate: the manager ends it.
  CHECK_THAT(connect_without_certificate(srv.port(), pki.path("ca.pem")),
             Contains("certificate required"));
  // No TLS at all.
  cafman::connection_options plain;
  plain.connect_timeout = 1s;
  CHECK_THROWS_WITH(cafman::connect(address, key, plain), Contains("requires TLS"));
  // The right certificate with the wrong key still fails: the authkey stays.
  CHECK_THROWS_AS(cafman::connect(address, cafman::authkey::from_string("wrong"),
                                  tls_client(pki)),
                  cafman::auth_error);
  CHECK(log.logged("TLS failed: certificate verify failed"));
  CHECK(log.logged("TLS failed: peer did not return a certificate"));
  CHECK(log.logged("authkey rejected"));
  // A client with TLS facing a manager without it.
  cafman::server_options bare;
  bare.authkey = key;
  cafman::server plain_srv{bare};
  CHECK_THROWS_WITH(cafman::connect("127.0.0.1:" + std::to_string(plain_srv.port()), key,
                                    tls_client(pki)),
                    Contains("is it serving TLS"));
}

TEST_CASE("TLS: missing, unreadable or mismatched certificate files are refused at start",
          "[tls]") {
  test_pki pki;
  auto opts = tls_server_options(pki);
  opts.tls.ca.clear();
  CHECK_THROWS_WITH(cafman::server{opts}, Contains("TLS needs the TLS CA certificate"));
  opts = tls_server_options(pki);
  opts.tls.cert = pki.path("missing.pem");
  CHECK_THROWS_AS(cafman::server{opts}, cafman::value_error);
  CHECK_THROWS_WITH(cafman::server{opts}, Contains("cannot read the TLS certificate")
                                            && Contains("missing.pem"));
  opts = tls_server_options(pki);
  opts.tls.key = pki.path("client.key");
  CHECK_THROWS_WITH(cafman::server{opts}, Contains("does not belong to the certificate"));
  opts = tls_server_options(pki);
  opts.tls.cert = pki.path("server.csr");
  CHECK_THROWS_WITH(cafman::server{opts}, Contains("as the TLS certificate"));
  auto client = tls_client(pki);
  client.tls.key.clear();
  CHECK_THROWS_WITH(cafman::connect("127.0.0.1:1", cafman::authkey::from_string(secret), client),
                    Contains("TLS needs the TLS key"));
}

TEST_CASE("TLS: a sync_manager serves TLS, and its children reach it through TLS too", "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  cafman::sync_manager_options opts;
  opts.unix_socket = false;
  opts.tls = pki.options("server");
  opts.connection.tls = pki.options("client");
  cafman::testing::with_manager([](cafman::sync_manager& m) {
    auto d = m.dict();
    cafman::process child{[](cafman::dict_proxy shared) { shared["child"] = 1; }, d};
    REQUIRE(child.join(10s));
    CHECK(child.exitcode() == 0);
    CHECK(d.get("child") == value{1});
  }, std::move(opts));
}

TEST_CASE("TLS: clients that vanish while the manager writes to them do not take it down",
          "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  {
    server_process server{secret, {"--tls-cert", pki.path("server.pem"), "--tls-key",
                                   pki.path("server.key"), "--tls-ca", pki.path("ca.pem")}};
    auto m = cafman::connect(server.address(), cafman::authkey::from_string(secret),
                             tls_client(pki));
    auto d = m.dict();
    d.set("big", value{std::string(8u << 20, 'x')});
    for (int round = 0; round < 3; ++round) {
      // The reply may be on its way when the client's sockets close.
      cafman::process child{[](cafman::dict_proxy shared) {
        auto pending = shared.async(cafman::get_atom_v, value{"big"});
        std::_Exit(0);
      }, d};
      REQUIRE(child.join(10s));
    }
    CHECK(d.get("big").as_string().size() == (8u << 20));
    CHECK(::kill(server.pid(), 0) == 0);
  }
  CHECK(no_children_left());
}

TEST_CASE("TLS: the relay outlives a peer that resets the connection while it writes to it",
          "[tls]") {
  watchdog dog{60s};
  test_pki pki;
  namespace net = cafman::net;
  net::tls_context server_side{pki.options("server"), net::tls_context::side::server};
  net::tls_context client_side{pki.options("client"), net::tls_context::side::client};
  auto [outer, peer] = net::local_pair(true);
  auto session = std::make_unique<net::tls_session>(server_side, outer.get());
  net::tls_session client{client_side, peer.get()};
  client.expect_name("127.0.0.1");
  // Both ends are non-blocking: take turns until both are through.
  for (int turn = 0; turn < 100000 && !(session->established() && client.established()); ++turn) {
    session->handshake();
    client.handshake();
  }
  REQUIRE(session->established());
  REQUIRE(client.established());
  auto [inner, relay_end] = net::local_pair(false);
  {
    net::tls_relay relay;
    relay.add(std::move(outer), std::move(session), std::move(relay_end), "the peer");
    // Until the relay stops taking bytes: the peer reads none, so what the
    // relay writes piles up in front of it.
    std::vector<char> chunk(64u << 10, 'x');
    for (;;) {
      auto sent = ::send(inner.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (sent > 0)
        continue;
      REQUIRE((errno == EAGAIN || errno == EWOULDBLOCK));
      pollfd writable{inner.get(), POLLOUT, 0};
      if (::poll(&writable, 1, 300) == 0)
        break;
    }
    // A reset under the relay's pending writes: OpenSSL's own socket writes
    // would raise SIGPIPE here and end this process.
    linger reset{1, 0};
    ::setsockopt(peer.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    peer.reset();
    // The relay closes its side: the plain end sees it.
    pollfd closed{inner.get(), POLLIN, 0};
    REQUIRE(::poll(&closed, 1, 10000) == 1);
    char byte;
    CHECK(::recv(inner.get(), &byte, 1, MSG_DONTWAIT) <= 0);
  }
}

TEST_CASE("TLS: a cluster of TLS nodes places objects over them, and its nodes talk TLS to "
          "each other",
          "[tls][cluster]") {
  watchdog dog{60s};
  test_pki pki;
  {
    std::vector<std::string> tls_args{"--tls-cert", pki.path("server.pem"), "--tls-key",
                                      pki.path("server.key"), "--tls-ca", pki.path("ca.pem")};
    auto first = std::make_unique<server_process>(secret, tls_args);
    auto second = std::make_unique<server_process>(secret, tls_args);
    std::vector<std::string> addresses{first->address(), second->address()};
    auto key = cafman::authkey::from_string(secret);
    cafman::create_cluster(addresses, key, tls_client(pki));
    auto m = cafman::connect(addresses[0], key, tls_client(pki));
    std::vector<cafman::dict_proxy> dicts;
    for (int i = 0; i < 4; ++i)
      dicts.push_back(m.dict());
    for (auto& address : addresses)
      CHECK(cafman::connect(address, key, tls_client(pki)).info().as_dict().at("objects")
            == value{2});
    // A node restarted on its address gets the map back from its peer, over TLS.
    auto port = addresses[1].substr(addresses[1].rfind(':') + 1);
    second.reset();
    tls_args.insert(tls_args.end(), {"--port", port});
    second = std::make_unique<server_process>(secret, tls_args);
    REQUIRE(second->address() == addresses[1]);
    CHECK(eventually([&] {
      return !cafman::connect(addresses[1], key, tls_client(pki)).cluster_map().is_none();
    }, 10s));
  }
  CHECK(no_children_left());
}
