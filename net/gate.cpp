#include "cafman/net/gate.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cafman/errors.hpp"
#include "cafman/net/rate_limited_log.hpp"
#include "cafman/net/handshake.hpp"

namespace cafman::net {

namespace {

using clock = std::chrono::steady_clock;
using machine_state = server_handshake_machine::state;

/// How long accepting pauses after accept() failed for lack of descriptors
/// (or for any reason that would fail again at once).
constexpr auto accept_pause = std::chrono::milliseconds(100);
/// Connections taken per wake-up, so that a burst cannot starve the
/// connections already pending.
constexpr std::size_t accepts_per_wake = 256;
constexpr int events_per_wait = 256;

std::string hex_byte(std::uint8_t byte) {
  char text[5];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}

/// A peer's address, compact enough to keep for every pending connection.
struct peer_address {
  sa_family_t family = AF_UNSPEC;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;

  /// `fd` is the accepted socket: a Unix-domain peer is known by its
  /// process and user (SO_PEERCRED), the user counting as its address.
  static peer_address of(const sockaddr_storage& addr, int fd) {
    peer_address peer;
    peer.family = addr.ss_family;
    if (addr.ss_family == AF_UNIX) {
      ucred cred{};
      socklen_t size = sizeof cred;
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) == 0) {
        std::memcpy(peer.ip.data(), &cred.uid, sizeof cred.uid);
        std::memcpy(peer.ip.data() + 4, &cred.pid, sizeof cred.pid);
      }
    } else if (addr.ss_family == AF_INET) {
      auto& in = reinterpret_cast<const sockaddr_in&>(addr);
      std::memcpy(peer.ip.data(), &in.sin_addr, 4);
      peer.port = ntohs(in.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
      std::memcpy(peer.ip.data(), &in6.sin6_addr, 16);
      peer.port = ntohs(in6.sin6_port);
    }
    return peer;
  }

  std::size_t ip_size() const { return family == AF_INET6 ? 16 : 4; }

  /// The key of the per-address count: the address bytes, not the port.
  std::string key() const {
    std::string key(1, static_cast<char>(family));
    key.append(reinterpret_cast<const char*>(ip.data()), ip_size());
    return key;
  }

  std::string host() const {
    char text[INET6_ADDRSTRLEN] = "?";
    if (family == AF_INET || family == AF_INET6)
      ::inet_ntop(family, ip.data(), text, sizeof text);
    return text;
  }

  std::string name() const {
    if (family == AF_UNIX) {
      std::uint32_t uid = 0;
      std::int32_t pid = 0;
      std::memcpy(&uid, ip.data(), sizeof uid);
      std::memcpy(&pid, ip.data() + 4, sizeof pid);
      return "local process " + std::to_string(pid) + " (uid " + std::to_string(uid) + ")";
    }
    auto port_text = std::to_string(port);
    return family == AF_INET6 ? "[" + host() + "]:" + port_text : host() + ":" + port_text;
  }
};

/// Reads the stream choice byte by byte as it arrives ('B', or 'L' and an
/// 8-byte session token), never asking for a byte beyond it: what follows
/// belongs to the chosen protocol.
class stream_choice_reader {
public:
  std::size_t wanted() const {
    if (have_ == 0)
      return 1;
    return kind() == lean::stream_kind::lean ? bytes_.size() - have_ : 0;
  }

  /// False when the first byte chooses no stream.
  bool feed(const std::uint8_t* data, std::size_t size) {
    auto taken = std::min(size, wanted());
    std::copy(data, data + taken, bytes_.begin() + have_);
    have_ += taken;
    return kind() == lean::stream_kind::basp || kind() == lean::stream_kind::lean;
  }

  stream_choice choice() const {
    stream_choice result{kind(), 0};
    if (result.kind == lean::stream_kind::lean)
      result.token = lean::get_u64(reinterpret_cast<const char*>(bytes_.data() + 1));
    return result;
  }

  std::uint8_t first_byte() const { return bytes_[0]; }

private:
  lean::stream_kind kind() const { return static_cast<lean::stream_kind>(bytes_[0]); }

  std::array<std::uint8_t, 9> bytes_{};
  std::size_t have_ = 0;
};

std::string descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return "unknown";
  return std::to_string(limit.rlim_cur);
}

bool lacks_descriptors(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Errors of one connection that left before accept() took it (Linux also
// passes pending network errors on): the next one may be fine.
bool is_connection_error(int err) {
  switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

} // namespace

struct gate::impl {
  // One connection between accept and hand-over. Kept in accept order, which
  // with one timeout for all is also deadline order: the front expires first.
  struct pending {
    pending(unique_fd socket, const peer_address& from, clock::time_point until,
            const authkey& key)
      : fd(std::move(socket)), peer(from), deadline(until), handshake(key) {}

    unique_fd fd;
    std::unique_ptr<tls_session> tls; // when the gate serves TLS
    peer_address peer;
    clock::time_point deadline;
    server_handshake_machine handshake;
    stream_choice_reader choice;
    std::uint32_t interest = 0; // the epoll events asked for
    std::list<pending>::iterator self;
  };

  struct watched {
    int fd;
    std::function<void()> on_readable;
  };

  // What one round of work on a connection came to.
  struct outcome {
    enum { waiting, rejected, authenticated } what = waiting;
    std::string reason;
  };

  std::vector<unique_fd> listeners;
  const authkey& key;
  gate_options options;
  admit_function admit;
  unique_fd epoll;
  rate_limited_log log;
  std::unique_ptr<tls_relay> relay; // when the gate serves TLS
  std::list<pending> connections;
  std::unordered_map<std::string, std::size_t> pending_per_address;
  std::list<watched> watches;
  std::optional<clock::time_point> accepting_paused_until;
  // epoll_event::data.ptr of a listener is its entry here; a watched
  // descriptor's points to its entry in `watches`, a connection's to its
  // entry in `connections`.
  std::vector<unique_fd>::const_iterator listener_of(const void* ptr) const {
    return std::find_if(listeners.begin(), listeners.end(),
                        [ptr](const unique_fd& fd) { return &fd == ptr; });
  }

  impl(std::vector<unique_fd> listening, const authkey& k, gate_options opts,
       admit_function on_admitted)
    : listeners(std::move(listening)),
      key(k),
      options(std::move(opts)),
      admit(std::move(on_admitted)),
      epoll(::epoll_create1(EPOLL_CLOEXEC)),
      log(options.log) {
    if (!epoll)
      throw error(std::string{"cannot create the gate's epoll instance: "} + std::strerror(errno));
    if (key.empty())
      throw value_error("cannot run the gate with an empty authkey");
    if (options.tls)
      relay = std::make_unique<tls_relay>(options.log);
    // accept() runs until it would block: it must not block.
    for (auto& listener : listeners) {
      int flags = ::fcntl(listener.get(), F_GETFL);
      if (flags < 0 || ::fcntl(listener.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        throw error(std::string{"cannot make the listening socket non-blocking: "}
                    + std::strerror(errno));
      add(listener.get(), EPOLLIN, &listener);
    }
  }

  ~impl() {
    while (!connections.empty())
      remove(connections.front());
  }

  void add(int fd, std::uint32_t events, void* ptr) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = ptr;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throw error(std::string{"cannot watch a socket in the gate: "} + std::strerror(errno));
  }

  void interest(pending& p, std::uint32_t events) {
    if (p.interest == events)
      return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &p;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, p.fd.get(), &ev);
    p.interest = events;
  }

  // Unregistered explicitly: a forked child may still hold a copy of the
  // socket, and epoll would then keep reporting the freed entry.
  void forget(pending& p) {
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, p.fd.get(), nullptr);
    auto count = pending_per_address.find(p.peer.key());
    if (count != pending_per_address.end() && --count->second == 0)
      pending_per_address.erase(count);
  }

  void remove(pending& p) {
    forget(p);
    connections.erase(p.self); // closes the socket
  }

  void run(const std::atomic<bool>& closing) {
    std::array<epoll_event, events_per_wait> events;
    while (!closing) {
      int n = ::epoll_wait(epoll.get(), events.data(), events_per_wait, wait_ms());
      if (n < 0 && errno != EINTR) {
        log.write(log_event::accept_failed, log_level::error,
                  [err = errno] { return std::string{"the gate stops: epoll_wait failed: "}
                                         + std::strerror(err); },
                  clock::now());
        return;
      }
      // Handling an event removes at most that event's own connection, so
      // the pointers of the events after it stay valid.
      for (int i = 0; i < n; ++i)
        dispatch(events[i]);
      auto now = clock::now();
      expire(now);
      resume_accepting(now);
      log.flush(now);
    }
  }

  void dispatch(const epoll_event& ev) {
    if (auto listener = listener_of(ev.data.ptr); listener != listeners.end()) {
      accept_some(listener->get());
      return;
    }
    for (auto& w : watches)
      if (&w == ev.data.ptr) {
        auto on_readable = w.on_readable; // it may unwatch, destroying w
        on_readable();
        return;
      }
    serve(*static_cast<pending*>(ev.data.ptr));
  }

  // Until the earliest of: a deadline, the end of an accept pause, a count
  // of held-back log lines to write.
  int wait_ms() const {
    std::optional<clock::time_point> next = log.next_flush();
    auto earlier = [&](clock::time_point t) {
      if (!next || t < *next)
        next = t;
    };
    if (!connections.empty())
      earlier(connections.front().deadline);
    if (accepting_paused_until)
      earlier(*accepting_paused_until);
    if (!next)
      return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
  }

  void expire(clock::time_point now) {
    while (!connections.empty() && connections.front().deadline <= now) {
      auto& p = connections.front();
      reject(p, "no handshake within " + std::to_string(options.handshake_timeout.count())
                  + " ms", now);
    }
  }

  void reject(pending& p, const std::string& reason, clock::time_point now) {
    log.write(log_event::rejected, log_level::info,
              [&] { return "rejected " + p.peer.name() + ": " + reason; }, now);
    remove(p);
  }

  void accept_some(int listener) {
    for (std::size_t i = 0; i < accepts_per_wake; ++i) {
      sockaddr_storage addr{};
      socklen_t size = sizeof addr;
      int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&addr), &size,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        take(unique_fd{fd}, peer_address::of(addr, fd));
        continue;
      }
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK)
        return;
      if (!is_connection_error(err)) {
        pause_accepting(err);
        return;
      }
    }
  }

  // Stops polling the listeners for a moment: accept() would fail again at
  // once, and a level-triggered listener would spin the loop meanwhile.
  void pause_accepting(int err) {
    auto now = clock::now();
    for (auto& listener : listeners)
      ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, listener.get(), nullptr);
    accepting_paused_until = now + accept_pause;
    log.write(log_event::accept_failed, log_level::warning, [&] {
      auto line = std::string{"cannot accept connections: "} + std::strerror(err);
      if (lacks_descriptors(err))
        line += " (descriptor limit " + descriptor_limit() + ", "
                + std::to_string(connections.size()) + " connections in their handshake)";
      return line + "; accepting again in " + std::to_string(accept_pause.count()) + " ms";
    }, now);
  }

  void resume_accepting(clock::time_point now) {
    if (!accepting_paused_until || now < *accepting_paused_until)
      return;
    accepting_paused_until.reset();
    for (auto& listener : listeners) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &listener;
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listener.get(), &ev) != 0) {
        pause_accepting(errno); // out of kernel memory, say: try again later
        return;
      }
    }
  }

  // A new connection: refused at once over a limit, else its handshake
  // starts with the challenge.
  void take(unique_fd fd, const peer_address& peer) {
    auto now = clock::now();
    if (connections.size() >= options.max_pending) {
      log.write(log_event::pending_limit, log_level::warning, [&] {
        return "refused " + peer.name() + ": " + std::to_string(connections.size())
               + " connections are in their handshake (the limit)";
      }, now);
      return;
    }
    auto address = peer.key();
    auto count = pending_per_address.find(address);
    if (count != pending_per_address.end() && count->second >= options.max_pending_per_address) {
      log.write(log_event::address_limit, log_level::warning, [&] {
        return "refused " + peer.name() + ": " + std::to_string(count->second)
               + " connections from " + peer.host()
               + " are in their handshake (the per-address limit)";
      }, now);
      return;
    }
    int on = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    try {
      auto tls = options.tls ? std::make_unique<tls_session>(*options.tls, fd.get()) : nullptr;
      connections.emplace_back(std::move(fd), peer, now + options.handshake_timeout, key);
      connections.back().tls = std::move(tls);
    } catch (const std::exception& e) {
      log.write(log_event::rejected, log_level::error, [&] {
        return "rejected " + peer.name() + ": cannot start the handshake: " + e.what();
      }, now);
      return;
    }
    auto& p = connections.back();
    p.self = std::prev(connections.end());
    ++pending_per_address[address];
    p.interest = EPOLLIN;
    epoll_event ev{};
    ev.events = p.interest;
    ev.data.ptr = &p;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, p.fd.get(), &ev) != 0) {
      reject(p, std::string{"cannot watch its socket: "} + std::strerror(errno), now);
      return;
    }
    serve(p);
  }

  void serve(pending& p) {
    outcome result;
    try {
      result = advance(p);
    } catch (const std::exception& e) { // out of memory, say: this peer goes, the gate stays
      result = {outcome::rejected, e.what()};
    }
    if (result.what == outcome::rejected)
      reject(p, result.reason, clock::now());
    else if (result.what == outcome::authenticated)
      hand_over(p);
  }

  // Sends what the handshake has to say and reads what the peer sent, as
  // far as the socket allows without waiting.
  outcome advance(pending& p) {
    std::uint8_t buffer[handshake_wire::max_payload];
    for (;;) {
      auto& out = p.handshake.output();
      if (p.handshake.current() == machine_state::failed) {
        send_some(p, out.data(), out.size()); // a refusal, if the socket takes it now
        return {outcome::rejected, p.handshake.result().detail};
      }
      if (!out.empty()) {
        auto step = send_some(p, out.data(), out.size());
        if (step.what != io_step::done)
          return stopped(p, step, "send");
        out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(step.bytes));
        continue;
      }
      bool shaking = p.handshake.current() == machine_state::reading;
      auto wanted = shaking ? p.handshake.wanted() : p.choice.wanted();
      if (wanted == 0)
        return {outcome::authenticated, {}};
      auto step = receive_some(p, buffer, wanted);
      if (step.what != io_step::done)
        return stopped(p, step, "receive");
      if (shaking)
        p.handshake.feed(buffer, step.bytes);
      else if (step.bytes > 0 && !p.choice.feed(buffer, step.bytes))
        return {outcome::rejected, "no stream chosen after the handshake (byte "
                                     + hex_byte(p.choice.first_byte()) + ")"};
    }
  }

  // Through TLS when the gate serves it: the TLS handshake runs within the
  // first of these.
  io_step send_some(pending& p, const std::uint8_t* data, std::size_t size) {
    if (p.tls)
      return p.tls->write(data, size);
    return step_of(::send(p.fd.get(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT),
                   io_step::want_write);
  }

  io_step receive_some(pending& p, std::uint8_t* data, std::size_t size) {
    if (p.tls)
      return p.tls->read(data, size);
    return step_of(::recv(p.fd.get(), data, size, MSG_DONTWAIT), io_step::want_read);
  }

  // A send or receive that did not go through: wait for the socket, or
  // give up on the peer.
  outcome stopped(pending& p, const io_step& step, const char* operation) {
    switch (step.what) {
      case io_step::want_read:
        interest(p, EPOLLIN);
        return {outcome::waiting, {}};
      case io_step::want_write:
        interest(p, EPOLLOUT);
        return {outcome::waiting, {}};
      case io_step::closed:
        return {outcome::rejected, "peer closed the connection during the handshake"};
      default:
        if (p.tls)
          return {outcome::rejected, "TLS failed: " + p.tls->failure()};
        return {outcome::rejected, std::string{"cannot "} + operation
                                     + " during the handshake: " + std::strerror(errno)};
    }
  }

  void hand_over(pending& p) {
    auto choice = p.choice.choice();
    forget(p);
    auto fd = std::move(p.fd);
    auto tls = std::move(p.tls);
    auto peer = p.peer.name();
    connections.erase(p.self);
    try {
      if (tls) {
        auto [inner, relay_end] = local_pair(choice.kind == lean::stream_kind::basp);
        relay->add(std::move(fd), std::move(tls), std::move(relay_end), peer);
        fd = std::move(inner);
      }
      admit(std::move(fd), choice, peer);
    } catch (const std::exception& e) {
      log.write(log_event::rejected, log_level::error,
                [&] { return std::string{"cannot hand over a connection: "} + e.what(); },
                clock::now());
    }
  }
};

gate::gate(std::vector<unique_fd> listeners, const authkey& key, gate_options options,
           admit_function admit)
  : impl_(std::make_unique<impl>(std::move(listeners), key, std::move(options),
                                 std::move(admit))) {
}

gate::~gate() = default;

void gate::watch(int fd, std::function<void()> on_readable) {
  auto& entry = impl_->watches.emplace_back(impl::watched{fd, std::move(on_readable)});
  impl_->add(fd, EPOLLIN, &entry);
}

void gate::unwatch(int fd) {
  auto& watches = impl_->watches;
  auto entry = std::find_if(watches.begin(), watches.end(),
                            [fd](const impl::watched& w) { return w.fd == fd; });
  if (entry == watches.end())
    return;
  ::epoll_ctl(impl_->epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
  watches.erase(entry);
}

void gate::run(const std::atomic<bool>& closing) {
  impl_->run(closing);
}

} // namespace cafman::net
