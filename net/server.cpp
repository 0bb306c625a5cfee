#include "cafman/net/server.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cafman/errors.hpp"
#include "cafman/net/gate.hpp"
#include "cafman/net/cluster.hpp"
#include "cafman/net/durable.hpp"
#include "cafman/net/lean_broker.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/memory_keeper.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/system_config.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/options.hpp"

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

} // namespace

struct server::impl {
  server_options options;
  // Bound first: a server that cannot bind starts nothing. Its descriptor
  // belongs to the gate from the start; only its port is used here.
  net::listener listener;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<access_table> access = std::make_shared<access_table>();
  std::shared_ptr<net::durable_objects> durable;
  registry_actor registry;
  caf::actor basp;
  caf::actor lean_broker;
  int wake_pipe[2] = {-1, -1};
  std::unique_ptr<net::gate> gate;
  std::thread gate_thread;
  std::unique_ptr<net::cluster_watch> cluster; // probes the peers of a cluster map
  std::atomic<bool> closing{false};
  bool unix_bound = false; // the socket file at options.unix_path is ours to remove
  net::memory_keeper memory; // freed objects' memory goes back to the system

  explicit impl(server_options opts)
    : options(std::move(opts)), listener(net::listen_tcp(options.host, options.port)) {
    std::vector<net::unique_fd> listening;
    listening.emplace_back(listener.fd);
    if (!options.unix_path.empty()) {
      listening.emplace_back(net::listen_unix(options.unix_path).fd);
      unix_bound = true;
    }
    net::configure(cfg, options.threads);
    sys = std::make_unique<caf::actor_system>(cfg);
    // From the first spawn on, an exception must stop what was spawned, or
    // ~actor_system waits for it forever (CAF-0.17-NOTES trap 13).
    try {
      registry = spawn_registry(*sys, options.types, access, options.limits);
      // Created once, before any other thread can ask for it: the middleman's
      // table of named brokers is not thread-safe.
      basp = sys->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
      durable = std::make_shared<net::durable_objects>(*sys, options.durability, options.log);
      lean_broker =
        net::spawn_lean_broker(*sys, registry, access, durable, options.lean, options.log);
      caf::anon_send(registry, stats_atom_v, lean_broker); // for `cafman info`
      if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        throw error(std::string{"cannot create the server's wake-up pipe: "}
                    + std::strerror(errno));
      // Restored before the gate admits anyone: no client sees an object
      // half replayed.
      durable->restore([this](const std::string& name, const std::string& type_id,
                              const value& args) {
        return object(publish(name, type_id, args));
      });
      for (auto& p : options.publish)
        if (p.durable)
          publish_durable(p.name, p.type_id, value{p.args});
        else
          publish(p.name, p.type_id, value{p.args});
      cluster = std::make_unique<net::cluster_watch>(
        [this] {
          value map;
          ask([&](value& kept) { map = std::move(kept); }, cluster_atom_v);
          return map;
        },
        [this](const value& map) { ask([] {}, cluster_atom_v, map); }, options.authkey,
        options.tls);
      start_gate(std::move(listening));
    } catch (...) {
      cluster.reset();
      stop_actors();
      close_wake_pipe();
      remove_unix_socket();
      throw;
    }
  }

  ~impl() {
    cluster.reset();
    closing = true;
    wake();
    if (gate_thread.joinable())
      gate_thread.join();
    gate.reset(); // closes the listeners and every pending connection
    stop_actors();
    close_wake_pipe();
    remove_unix_socket();
  }

  void remove_unix_socket() {
    if (std::exchange(unix_bound, false))
      ::unlink(options.unix_path.c_str());
  }

  void start_gate(std::vector<net::unique_fd> listening) {
    net::gate_options gate_opts;
    gate_opts.handshake_timeout = options.handshake_timeout;
    gate_opts.max_pending = options.max_pending_handshakes;
    gate_opts.max_pending_per_address = options.max_pending_per_address;
    gate_opts.log = options.log;
    if (options.tls.enabled())
      gate_opts.tls = std::make_shared<net::tls_context>(options.tls, net::tls_context::side::server);
    gate = std::make_unique<net::gate>(
      std::move(listening), options.authkey, std::move(gate_opts),
      [this](net::unique_fd fd, const net::stream_choice& choice, const std::string& peer) {
        hand_over(std::move(fd), choice, peer);
      });
    gate->watch(wake_pipe[0], [this] {
      char drain[64];
      while (::read(wake_pipe[0], drain, sizeof(drain)) > 0) {
      }
      if (!closing)
        request_shutdown();
    });
    if (options.owner_fd >= 0)
      gate->watch(options.owner_fd, [this] {
        request_shutdown(); // the owner died or closed its end
        gate->unwatch(options.owner_fd);
      });
    gate_thread = std::thread{[this] { gate->run(closing); }};
  }

  // What follows a passed handshake, in one place: the socket goes to the
  // stream the client chose, and CAF owns the descriptor from here on.
  void hand_over(net::unique_fd fd, const net::stream_choice& choice, const std::string& peer) {
    if (choice.kind == net::lean::stream_kind::lean) {
      caf::anon_send(lean_broker, adopt_atom_v, fd.release(), choice.token, peer);
      return;
    }
    if (net::is_unix_socket(fd.get())) {
      // CAF 0.17's BASP asks its scribe for the peer's port, which a Unix
      // socket has not: it would abort the server.
      if (options.log)
        options.log(log_level::info, "closed a BASP stream on the Unix-domain socket: actor "
                                     "handles are served over TCP only");
      return; // fd closes here
    }
    if (!options.allow_basp) {
      if (options.log)
        options.log(log_level::info, "closed a BASP stream: this server serves actor handles "
                                     "only with allow_basp (--allow-basp)");
      return; // fd closes here
    }
    auto scribe = sys->middleman().backend().new_scribe(fd.release());
    caf::anon_send(basp, caf::publish_atom_v, std::move(scribe), gated_publish_key,
                   caf::actor_cast<caf::strong_actor_ptr>(registry), std::set<std::string>{});
  }

  void stop_actors() {
    if (registry)
      caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    if (lean_broker)
      caf::anon_send_exit(lean_broker, caf::exit_reason::user_shutdown);
  }

  void close_wake_pipe() {
    if (signal_wake_fd == wake_pipe[1])
      signal_wake_fd = -1;
    for (auto& fd : wake_pipe)
      if (fd >= 0)
        ::close(std::exchange(fd, -1));
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

  std::uint64_t publish(const std::string& name, const std::string& type_id, value args) {
    std::uint64_t id = 0;
    ask([&](std::uint64_t created) { id = created; }, publish_atom_v, name, type_id,
        std::move(args));
    return id;
  }

  std::uint64_t publish_durable(const std::string& name, const std::string& type_id,
                                const value& args) {
    net::durable_objects::check_kind(type_id);
    if (!durable->enabled())
      throw value_error("cannot make '" + name + "' durable: the server has no journal "
                        "directory (server_options::durability.dir, cafman-server --journal-dir)");
    // Restored from its journal already: a server's --publish at every
    // start finds the object it made before.
    if (auto restored = durable->durable_as(name, type_id))
      return *restored;
    auto id = publish(name, type_id, args);
    try {
      durable->track(object(id), name, type_id, args);
    } catch (...) {
      ask([] {}, unpublish_atom_v, name);
      throw;
    }
    return id;
  }

  caf::actor object(std::uint64_t id) const {
    return access->object(id);
  }

  void request_shutdown() {
    caf::anon_send(registry, shutdown_atom_v);
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

const std::string& server::unix_path() const {
  return impl_->options.unix_path;
}

void server::serve_forever() {
  auto& log = impl_->options.log;
  if (log)
    log(log_level::info, "serving on " + host() + ":" + std::to_string(port()) +
                             (unix_path().empty() ? "" : " and unix:" + unix_path()));
  caf::scoped_actor self{*impl_->sys, true};
  self->monitor(impl_->registry);
  self->receive([](const caf::down_msg&) {});
  if (log)
    log(log_level::info, "shutting down: every object has exited");
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
  return impl_->publish(name, type_id, value{std::move(args)});
}

std::uint64_t server::publish(const std::string& name, const std::string& type_id,
                              list_value args, durable_t) {
  return impl_->publish_durable(name, type_id, value{std::move(args)});
}

void server::unpublish(const std::string& name) {
  impl_->ask([] {}, unpublish_atom_v, name);
  impl_->durable->forget(name);
}

} // namespace cafman
