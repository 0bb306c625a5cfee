#include "cafman/net/tls.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cafman/errors.hpp"

namespace cafman::net {

namespace {

using clock = std::chrono::steady_clock;

/// OpenSSL's reason for the last failure on this thread's error queue.
std::string last_openssl_reason() {
  auto code = ERR_peek_last_error();
  if (code == 0)
    return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "error " + std::to_string(code);
}

void require_readable(const std::string& file, const char* what) {
  if (file.empty())
    throw value_error(std::string{"TLS needs "} + what + " as well: TLS wants a certificate, "
                      "its key and a CA certificate (--tls-cert, --tls-key, --tls-ca)");
  if (!std::ifstream{file})
    throw value_error(std::string{"cannot read "} + what + " '" + file + "': "
                      + std::strerror(errno));
}

[[noreturn]] void refuse_file(const std::string& file, const char* what) {
  throw value_error(std::string{"cannot use '"} + file + "' as " + what + ": "
                    + last_openssl_reason() + " (a PEM file is expected)");
}

} // namespace

// ---------------------------------------------------------------- context

tls_context::tls_context(const tls_options& options, side which)
  : side_(which),
    ctx_(SSL_CTX_new(which == side::server ? TLS_server_method() : TLS_client_method())) {
  if (!ctx_)
    throw error("cannot create a TLS context: " + last_openssl_reason());
  try {
    require_readable(options.cert, "the TLS certificate");
    require_readable(options.key, "the TLS key");
    require_readable(options.ca, "the TLS CA certificate");
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx_, options.cert.c_str()) != 1)
      refuse_file(options.cert, "the TLS certificate");
    // OpenSSL checks here that the key belongs to the certificate.
    if (SSL_CTX_use_PrivateKey_file(ctx_, options.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
        throw value_error("the TLS key '" + options.key + "' does not belong to the certificate '"
                          + options.cert + "'");
      refuse_file(options.key, "the TLS key");
    }
    if (SSL_CTX_load_verify_locations(ctx_, options.ca.c_str(), nullptr) != 1)
      refuse_file(options.ca, "the TLS CA certificate");
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // A peer that closes without close_notify simply ended its stream.
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  // The relay retries a write with more bytes appended, from a buffer that
  // may have moved.
  // Idle sessions give their buffers back; a peer's certificate chain is
  // bounded before anyone is authenticated.
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                           | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_max_cert_list(ctx_, 16u << 10);
  int verify = SSL_VERIFY_PEER;
  if (which == side::server) {
    verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    // Clients never resume a session: tickets would be bytes for nothing.
    SSL_CTX_set_num_tickets(ctx_, 0);
    if (auto names = SSL_load_client_CA_file(options.ca.c_str()))
      SSL_CTX_set_client_CA_list(ctx_, names); // tells clients which CA to present
  }
  SSL_CTX_set_verify(ctx_, verify, nullptr);
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

// ---------------------------------------------------------------- session

namespace {

// OpenSSL's socket BIO writes with write(), which raises SIGPIPE on a
// connection the peer reset: the whole process would die of one client.
// This one is the socket BIO with send(MSG_NOSIGNAL) instead.
int write_without_sigpipe(BIO* bio, const char* data, int size) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  errno = 0;
  auto sent = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  BIO_clear_retry_flags(bio);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    BIO_set_retry_write(bio);
  return static_cast<int>(sent);
}

const BIO_METHOD* socket_without_sigpipe() {
  static BIO_METHOD* method = [] {
    auto base = BIO_s_socket();
    auto m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                          "cafman socket");
    if (!m)
      return m;
    BIO_meth_set_write(m, write_without_sigpipe);
    BIO_meth_set_read(m, BIO_meth_get_read(base));
    BIO_meth_set_puts(m, BIO_meth_get_puts(base));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base));
    BIO_meth_set_create(m, BIO_meth_get_create(base));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(base));
    return m;
  }();
  return method;
}

} // namespace

tls_session::tls_session(const tls_context& context, int fd) : ssl_(SSL_new(context.native())) {
  auto method = socket_without_sigpipe();
  BIO* bio = ssl_ && method ? BIO_new(method) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    throw error("cannot start a TLS session: " + last_openssl_reason());
  }
  BIO_set_fd(bio, fd, BIO_NOCLOSE);
  SSL_set_bio(ssl_, bio, bio); // the session owns it from here
  if (context.which() == tls_context::side::server)
    SSL_set_accept_state(ssl_);
  else
    SSL_set_connect_state(ssl_);
}

tls_session::~tls_session() {
  SSL_free(ssl_);
}

void tls_session::expect_name(const std::string& name) {
  in6_addr ip{};
  bool numeric = ::inet_pton(AF_INET, name.c_str(), &ip) == 1
                 || ::inet_pton(AF_INET6, name.c_str(), &ip) == 1;
  auto param = SSL_get0_param(ssl_);
  bool set = numeric ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
                     : SSL_set1_host(ssl_, name.c_str()) == 1
                         && SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1;
  if (!set)
    throw value_error("cannot check a TLS certificate for the name '" + name + "'");
}

io_step tls_session::outcome(int result, std::size_t bytes) {
  if (result == 1)
    return {io_step::done, bytes};
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return {io_step::want_read};
    case SSL_ERROR_WANT_WRITE:
      return {io_step::want_write};
    case SSL_ERROR_ZERO_RETURN:
      return {io_step::closed};
    case SSL_ERROR_SYSCALL:
      if (errno == EINTR)
        return {io_step::done, 0};
      if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
        return {io_step::closed};
      failure_ = std::strerror(errno);
      return {io_step::failed};
    default: {
      failure_ = last_openssl_reason();
      auto verified = SSL_get_verify_result(ssl_);
      if (verified != X509_V_OK)
        failure_ += std::string{": "} + X509_verify_cert_error_string(verified);
      return {io_step::failed};
    }
  }
}

io_step tls_session::handshake() {
  ERR_clear_error();
  return outcome(SSL_do_handshake(ssl_), 0);
}

io_step tls_session::read(void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  int result = SSL_read_ex(ssl_, data, size, &n);
  return outcome(result, n);
}

io_step tls_session::peek(void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  int result = SSL_peek_ex(ssl_, data, size, &n);
  return outcome(result, n);
}

io_step tls_session::write(const void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  int result = SSL_write_ex(ssl_, data, size, &n);
  return outcome(result, n);
}

void tls_session::shutdown() noexcept {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool tls_session::established() const {
  return SSL_is_init_finished(ssl_) == 1;
}

bool tls_session::heard_from_peer() const {
  return BIO_number_read(SSL_get_rbio(ssl_)) > 0;
}

// ---------------------------------------------------------------- relay

namespace {

/// Bytes on their way in one direction: appended at the back, sent from the
/// front.
class byte_queue {
public:
  std::size_t size() const { return bytes_.size() - head_; }
  const std::uint8_t* data() const { return bytes_.data() + head_; }

  void append(const std::uint8_t* data, std::size_t n) { bytes_.insert(bytes_.end(), data, data + n); }

  void consume(std::size_t n) {
    head_ += n;
    if (head_ == bytes_.size()) {
      bytes_.clear();
      if (bytes_.capacity() > (64u << 10))
        bytes_.shrink_to_fit(); // a burst's memory goes back
      head_ = 0;
    } else if (head_ > (64u << 10) && head_ > size()) {
      bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

private:
  std::vector<std::uint8_t> bytes_;
  std::size_t head_ = 0;
};

/// What one direction holds at most before its source is no longer read.
constexpr std::size_t max_buffered = 256u << 10;
/// One TLS record's worth.
constexpr std::size_t chunk = 16u << 10;

} // namespace

struct tls_relay::impl {
  struct tunnel {
    unique_fd outer;
    std::unique_ptr<tls_session> tls;
    unique_fd inner;
    std::string peer;
    byte_queue to_inner;
    byte_queue to_outer;
    bool outer_ended = false;
    bool inner_ended = false; // the plain side sent its last byte
    bool inner_gone = false;  // and takes none any more
  };

  log_sink log;
  unique_fd epoll{::epoll_create1(EPOLL_CLOEXEC)};
  unique_fd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  std::mutex mtx;
  std::vector<std::unique_ptr<tunnel>> incoming; // under mtx
  std::atomic<bool> stopping{false};
  std::unordered_map<tunnel*, std::unique_ptr<tunnel>> tunnels; // the relay thread's
  // Reads land here first: growing a queue for a read that brings nothing
  // would fill 16 KiB each time. The relay thread's.
  std::array<std::uint8_t, chunk> scratch;
  std::thread thread;

  explicit impl(log_sink sink) : log(std::move(sink)) {
    if (!epoll || !wake)
      throw error(std::string{"cannot start the TLS relay: "} + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the wake-up descriptor
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0)
      throw error(std::string{"cannot start the TLS relay: "} + std::strerror(errno));
    thread = std::thread{[this] { run(); }};
  }

  ~impl() {
    stopping = true;
    notify();
    thread.join();
    for (auto& [ptr, t] : tunnels)
      forget(*t);
    for (auto& t : incoming)
      forget(*t);
  }

  // The descriptors a forked child must not keep (see close_in_children).
  static void forget(tunnel& t) {
    forget_in_children(t.outer.get());
    forget_in_children(t.inner.get());
  }

  void notify() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wake.get(), &one, sizeof one);
  }

  void run() {
    std::array<epoll_event, 64> events;
    std::vector<std::unique_ptr<tunnel>> finished;
    while (!stopping) {
      int n = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), -1);
      for (int i = 0; i < n; ++i) {
        auto t = static_cast<tunnel*>(events[i].data.ptr);
        if (!t)
          adopt_incoming();
        else if (t->outer && !pump(*t))
          finish(*t, finished);
      }
      // Freed only now: a later event of the same batch may name a tunnel
      // that finished earlier in it (its descriptors are closed already).
      finished.clear();
    }
  }

  void adopt_incoming() {
    std::uint64_t count;
    [[maybe_unused]] auto ignored = ::read(wake.get(), &count, sizeof count);
    std::vector<std::unique_ptr<tunnel>> taken;
    {
      std::lock_guard<std::mutex> guard{mtx};
      taken.swap(incoming);
    }
    std::vector<std::unique_ptr<tunnel>> finished;
    for (auto& owned : taken) {
      auto& t = *owned;
      tunnels.emplace(&t, std::move(owned));
      // Edge-triggered: pump() always goes on until nothing moves.
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = &t;
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, t.outer.get(), &ev) != 0
          || ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, t.inner.get(), &ev) != 0
          || !pump(t))
        finish(t, finished);
    }
  }

  // Closes both ends now; the memory goes with `finished`.
  void finish(tunnel& t, std::vector<std::unique_ptr<tunnel>>& finished) {
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, t.outer.get(), nullptr);
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, t.inner.get(), nullptr);
    forget(t);
    t.outer.reset();
    t.inner.reset();
    auto entry = tunnels.find(&t);
    finished.push_back(std::move(entry->second));
    tunnels.erase(entry);
  }

  void failed(tunnel& t, const std::string& why) {
    if (log)
      log(log_level::info, "TLS stream with " + t.peer + " failed: " + why);
  }

  // Moves what can move without waiting, in both directions, until nothing
  // does. False when the tunnel is done: one side ended and what it sent
  // before is delivered, or a side failed.
  bool pump(tunnel& t) {
    for (bool moved = true; moved;) {
      moved = false;
      while (!t.outer_ended && t.to_inner.size() < max_buffered) {
        auto step = t.tls->read(scratch.data(), scratch.size());
        if (step.what == io_step::done)
          t.to_inner.append(scratch.data(), step.bytes);
        if (step.what == io_step::done) {
          moved = true;
        } else if (step.what == io_step::closed) {
          t.outer_ended = moved = true;
        } else if (step.what == io_step::failed) {
          failed(t, t.tls->failure());
          return false;
        } else {
          break;
        }
      }
      while (t.to_inner.size() > 0) {
        auto step = t.inner_gone ? io_step{io_step::done, t.to_inner.size()}
                                 : step_of(::send(t.inner.get(), t.to_inner.data(),
                                                  t.to_inner.size(), MSG_NOSIGNAL | MSG_DONTWAIT),
                                           io_step::want_write);
        if (step.what == io_step::want_write)
          break;
        if (step.what != io_step::done) {
          // The plain side closed: what it sent before still goes out.
          if (!t.inner_ended)
            return false;
          t.inner_gone = true;
          continue;
        }
        t.to_inner.consume(step.bytes);
        moved = true;
      }
      while (!t.inner_ended && t.to_outer.size() < max_buffered) {
        auto step = step_of(::recv(t.inner.get(), scratch.data(), scratch.size(), MSG_DONTWAIT),
                            io_step::want_read);
        if (step.what == io_step::done)
          t.to_outer.append(scratch.data(), step.bytes);
        if (step.what == io_step::want_read)
          break;
        if (step.what == io_step::done)
          moved = true;
        else
          t.inner_ended = moved = true;
      }
      while (t.to_outer.size() > 0) {
        auto step = t.tls->write(t.to_outer.data(), t.to_outer.size());
        if (step.what == io_step::want_read || step.what == io_step::want_write)
          break;
        if (step.what != io_step::done) {
          if (step.what == io_step::failed)
            failed(t, t.tls->failure());
          return false;
        }
        t.to_outer.consume(step.bytes);
        moved = true;
      }
    }
    if (t.outer_ended && t.to_inner.size() == 0)
      return false;
    if (t.inner_ended && t.to_outer.size() == 0) {
      t.tls->shutdown();
      return false;
    }
    return true;
  }
};

tls_relay::tls_relay(log_sink log) : impl_(std::make_unique<impl>(std::move(log))) {
}

tls_relay::~tls_relay() = default;

void tls_relay::add(unique_fd outer, std::unique_ptr<tls_session> session, unique_fd inner,
                    std::string peer) {
  auto t = std::make_unique<impl::tunnel>();
  close_in_children(outer.get());
  close_in_children(inner.get());
  t->outer = std::move(outer);
  t->tls = std::move(session);
  t->inner = std::move(inner);
  t->peer = std::move(peer);
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->incoming.push_back(std::move(t));
  }
  impl_->notify();
}

// ---------------------------------------------------------------- dialer

namespace {

// The manager's alert, during the handshake (TLS 1.2) or right after it
// (TLS 1.3 judges the client's certificate last).
[[noreturn]] void refused_certificate(const std::string& who, const std::string& why) {
  throw auth_error(who + " refused this client's TLS certificate (" + why
                   + "): tls.cert and tls.key (--tls-cert, --tls-key) must be signed by a CA "
                     "the manager trusts");
}

} // namespace

tls_dialer::tls_dialer(const tls_options& options, const std::string& host)
  : context_(options, tls_context::side::client),
    name_(options.server_name.empty() ? host : options.server_name) {
}

void tls_dialer::wait(int fd, const io_step& step, clock::time_point deadline,
                      const std::string& who) const {
  short events = step.what == io_step::want_write ? POLLOUT : POLLIN;
  if (poll_until(fd, events, deadline) == ETIMEDOUT)
    throw timeout_error("no TLS handshake with " + who + " in time: is it serving TLS?");
}

unique_fd tls_dialer::secure(unique_fd fd, bool for_basp, clock::time_point deadline,
                             const std::string& who) {
  set_blocking(fd.get(), false, who);
  auto session = std::make_unique<tls_session>(context_, fd.get());
  if (!name_.empty())
    session->expect_name(name_);
  for (;;) {
    auto step = session->handshake();
    if (step.what == io_step::done && session->established())
      break;
    if (step.what == io_step::done)
      continue; // interrupted
    if (step.what == io_step::want_read || step.what == io_step::want_write) {
      wait(fd.get(), step, deadline, who);
      continue;
    }
    if (step.what == io_step::closed && !session->heard_from_peer())
      return {}; // turned away before TLS began
    if (step.what == io_step::closed)
      throw connection_error(who + " closed the connection during the TLS handshake");
    auto why = session->failure();
    if (why.find("certificate verify failed") != std::string::npos)
      throw auth_error("the TLS certificate of " + who + " failed verification (" + why
                       + "): tls.ca (--tls-ca) must hold the CA that signed it, and it must name '"
                       + name_ + "' (or set tls.server_name, --tls-server-name)");
    if (why.find("alert") != std::string::npos)
      refused_certificate(who, why);
    throw connection_error("TLS handshake with " + who + " failed (" + why
                           + "): is it serving TLS (cafman-server --tls-cert)?");
  }
  // The manager's first byte (its authkey challenge) also means it took
  // this client's certificate.
  for (;;) {
    std::uint8_t first;
    auto step = session->peek(&first, 1);
    if (step.what == io_step::done && step.bytes > 0)
      break;
    if (step.what == io_step::want_read || step.what == io_step::want_write)
      wait(fd.get(), step, deadline, who);
    else if (step.what == io_step::failed)
      refused_certificate(who, session->failure());
    else if (step.what == io_step::closed)
      throw connection_error(who + " closed the connection right after the TLS handshake");
  }
  auto [inner, relay_end] = local_pair(for_basp);
  set_blocking(inner.get(), true, who);
  relay_.add(std::move(fd), std::move(session), std::move(relay_end), who);
  return std::move(inner);
}

} // namespace cafman::net
