#include "net/server.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <list>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cafman/errors.hpp"
#include "net/handshake.hpp"
#include "net/lean_broker.hpp"
#include "net/lean_protocol.hpp"
#include "net/socket.hpp"
#include "net/system_config.hpp"
#include "proxies/failures.hpp"
#include "proxies/options.hpp"

namespace cafman {

namespace {

// BASP's table of published actors is keyed by port; a gated connection is
// handed over under this key, which no real `publish` ever uses.
constexpr std::uint16_t gated_publish_key = 1;

std::atomic<int> signal_wake_fd{-1};

extern "C" void on_stop_signal(int) {
  if (auto fd = signal_wake_fd.load(); fd >= 0) {
    char byte = 1;
    [[maybe_unused]] auto ignored = ::write(fd, &byte, 1);
  }
}

std::string peer_name(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return "unknown peer";
  char host[64] = "?";
  std::uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto in = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return std::string{host} + ":" + std::to_string(port);
}

/// A connection in its handshake, on a thread of its own so that one slow
/// peer never delays another (each is bounded by handshake_timeout).
struct pending_handshake {
  std::thread worker;
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
};

} // namespace

struct server::impl {
  server_options options;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<access_table> access = std::make_shared<access_table>();
  registry_actor registry;
  caf::actor basp;
  caf::actor lean_broker;
  net::listener listener;
  int wake_pipe[2] = {-1, -1};
  std::thread gate;
  std::atomic<bool> closing{false};
  std::list<pending_handshake> pending;

  explicit impl(server_options opts) : options(std::move(opts)) {
    net::configure(cfg, options.threads);
    sys = std::make_unique<caf::actor_system>(cfg);
    registry = spawn_registry(*sys, options.types, access, options.limits);
    // Clients call it on the lean path too, which finds actors by id here.
    sys->registry().put(registry->id(), caf::actor_cast<caf::strong_actor_ptr>(registry));
    // Created once, before any other thread can ask for it: the middleman's
    // table of named brokers is not thread-safe.
    basp = sys->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
    lean_broker = net::spawn_lean_broker(*sys, registry, access, options.lean);
    listener = net::listen_tcp(options.host, options.port);
    if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      throw error("cannot create the server's wake-up pipe");
    gate = std::thread{[this] { run_gate(); }};
  }

  ~impl() {
    closing = true;
    wake();
    if (gate.joinable())
      gate.join();
    for (auto& p : pending)
      p.worker.join();
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(lean_broker, caf::exit_reason::user_shutdown);
    ::close(listener.fd);
    ::close(wake_pipe[0]);
    ::close(wake_pipe[1]);
    if (signal_wake_fd == wake_pipe[1])
      signal_wake_fd = -1;
  }

  void wake() noexcept {
    char byte = 1;
    [[maybe_unused]] auto ignored = ::write(wake_pipe[1], &byte, 1);
  }

  // A request to the registry from any thread but its own; throws what a
  // client would get for the same failure. The registry never blocks, so
  // the deadline only bounds a server that is shutting down or overloaded.
  template <class OnReply, class... Ts>
  void ask(OnReply on_reply, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    caf::error failure;
    self->request(registry, connection_options{}.timeout, std::forward<Ts>(xs)...)
      .receive(on_reply, [&](caf::error& e) { failure = std::move(e); });
    if (failure)
      detail::throw_error(failure, "the server at " + options.host + ":"
                                     + std::to_string(listener.port));
  }

  void request_shutdown() {
    caf::anon_send(registry, shutdown_atom_v);
  }

  // Accepts connections and watches for shutdown requests until closing.
  void run_gate() {
    pollfd fds[3] = {{listener.fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0},
                     {options.owner_fd, POLLIN, 0}};
    nfds_t count = options.owner_fd >= 0 ? 3 : 2;
    while (!closing) {
      if (::poll(fds, count, -1) < 0)
        continue; // EINTR
      if (fds[1].revents) {
        char drain[64];
        while (::read(wake_pipe[0], drain, sizeof(drain)) > 0) {
        }
        request_shutdown();
      }
      if (count == 3 && fds[2].revents) {
        request_shutdown(); // the owner died or closed its end
        count = 2;
      }
      if (fds[0].revents & POLLIN)
        admit();
    }
  }

  void admit() {
    int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      return;
    pending.remove_if([](pending_handshake& p) {
      if (!*p.done)
        return false;
      p.worker.join();
      return true;
    });
    if (pending.size() >= options.max_pending_handshakes) {
      std::cerr << "cafman-server: refused " << peer_name(fd) << ": too many connections "
                << "in their handshake\n";
      ::close(fd);
      return;
    }
    auto& entry = pending.emplace_back();
    entry.worker = std::thread{[this, fd, done = entry.done] {
      authenticate(fd);
      *done = true;
    }};
  }

  // One byte after the handshake chooses BASP or the lean stream; read
  // alone, so that no byte of the chosen protocol is consumed here.
  std::optional<net::lean::stream_kind> read_stream_kind(int fd) {
    auto deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
    std::uint8_t byte = 0;
    if (net::poll_until(fd, POLLIN, deadline) != 0 || ::recv(fd, &byte, 1, 0) != 1)
      return std::nullopt;
    return static_cast<net::lean::stream_kind>(byte);
  }

  // A lean stream names the client session it belongs to (8 bytes).
  std::optional<std::uint64_t> read_session(int fd) {
    auto deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
    char bytes[8];
    std::size_t have = 0;
    while (have < sizeof(bytes)) {
      if (net::poll_until(fd, POLLIN, deadline) != 0)
        return std::nullopt;
      auto n = ::recv(fd, bytes + have, sizeof(bytes) - have, 0);
      if (n <= 0)
        return std::nullopt;
      have += static_cast<std::size_t>(n);
    }
    return net::lean::get_u64(bytes);
  }

  void authenticate(int fd) {
    net::set_nodelay(fd);
    auto result = net::server_handshake(fd, options.authkey, options.handshake_timeout);
    if (!result) {
      std::cerr << "cafman-server: rejected " << peer_name(fd) << ": " << result.detail << "\n";
      ::close(fd);
      return;
    }
    auto kind = read_stream_kind(fd);
    if (kind == net::lean::stream_kind::lean) {
      auto session = read_session(fd);
      if (!session) {
        std::cerr << "cafman-server: closed " << peer_name(fd) << ": no session announced\n";
        ::close(fd);
        return;
      }
      caf::anon_send(lean_broker, adopt_atom_v, fd, *session);
      return;
    }
    if (kind != net::lean::stream_kind::basp || !options.allow_basp) {
      std::cerr << "cafman-server: closed " << peer_name(fd) << ": no stream chosen\n";
      ::close(fd);
      return;
    }
    // From here on CAF owns the socket and speaks BASP on it.
    auto scribe = sys->middleman().backend().new_scribe(fd);
    caf::anon_send(basp, caf::publish_atom_v, std::move(scribe), gated_publish_key,
                   caf::actor_cast<caf::strong_actor_ptr>(registry),
                   std::set<std::string>{});
  }
};

server::server(server_options options) : impl_(std::make_unique<impl>(std::move(options))) {
}

server::~server() = default;

const std::string& server::host() const {
  return impl_->options.host;
}

std::uint16_t server::port() const {
  return impl_->listener.port;
}

void server::serve_forever() {
  caf::scoped_actor self{*impl_->sys, true};
  self->monitor(impl_->registry);
  self->receive([](const caf::down_msg&) {});
}

void server::stop() noexcept {
  impl_->wake();
}

void server::stop_on_signals() {
  signal_wake_fd = impl_->wake_pipe[1];
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

std::uint64_t server::publish(const std::string& name, const std::string& type_id,
                             list_value args) {
  std::uint64_t id = 0;
  impl_->ask([&](std::uint64_t created) { id = created; }, publish_atom_v, name, type_id,
             value{std::move(args)});
  return id;
}

void server::unpublish(const std::string& name) {
  impl_->ask([] {}, unpublish_atom_v, name);
}

} // namespace cafman
