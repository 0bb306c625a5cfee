// The chaos test: 16 client processes do mixed operations on shared
// objects while a driver SIGKILLs and SIGSTOPs them at random and starts
// replacements. Every update a client saw acknowledged is then checked:
// nothing lost, no lock or permit stuck, no waiter hung, no object leaked,
// and the manager's memory back where it was.
//
// The short form runs in ctest (CAFMAN_CHAOS_SECONDS, default 15 s of
// chaos); the long form is the same test run by hand, e.g.
//   CAFMAN_CHAOS_SECONDS=600 build/tests/cafman_tests '[chaos]'

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cafman/errors.hpp"
#include "cafman/proxies/barrier.hpp"
#include "cafman/proxies/dict.hpp"
#include "cafman/proxies/list.hpp"
#include "cafman/proxies/lock.hpp"
#include "cafman/proxies/proxy_access.hpp"
#include "cafman/proxies/queue.hpp"
#include "cafman/proxies/semaphore.hpp"
#include "cafman/proxies/shared_value.hpp"
#include "cafman/net/waiting.hpp"
#include "support.hpp"
#include "watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::rss_is_meaningful;
using cafman::testing::rss_kib;
using cafman::testing::watchdog;
using steady = std::chrono::steady_clock;

namespace {

constexpr int n_clients = 16;
constexpr std::int64_t n_permits = 3;
constexpr std::int64_t n_parties = 4;
// A wait that ends this much later than its timeout is hung (a client may
// have been stopped for up to max_stop meanwhile).
constexpr auto max_stop = 2500ms;
constexpr auto hang_margin = max_stop + 2s;

/// What a client tells the driver once the manager acknowledged it.
enum class ack : std::uint64_t {
  fetch_add,    // counts["n"] += 1
  appended,     // x appended to the log
  put,          // x put on the jobs queue
  taken,        // x taken from the jobs queue (before the receipt is confirmed)
  incremented,  // total += 1 under the lock
  permit,       // a permit acquired and released
  passed,       // a barrier round passed
  broken,       // a barrier round broke (a party timed out or died)
  private_dict, // a private dict made, used and dropped
  hung,         // a wait outlived its timeout by hang_margin
};

struct record {
  ack kind;
  std::uint64_t x;
};

/// The objects the clients share, published by name: a client (a fresh one
/// too) finds them with its own connection.
struct shared_objects {
  cafman::dict_proxy counts;
  cafman::list_proxy log;
  cafman::queue_proxy jobs;
  cafman::lock_proxy lock;
  cafman::value_proxy total;
  cafman::bounded_semaphore_proxy permits;
  cafman::barrier_proxy rounds;

  static constexpr std::size_t count = 7;

  static shared_objects make_and_publish(const cafman::manager& m) {
    shared_objects s{m.dict({{"n", 0}}),         m.list(),
                     m.queue(),                  m.lock(),
                     m.value('q', 0),            m.bounded_semaphore(n_permits),
                     m.barrier(n_parties)};
    m.publish("counts", s.counts);
    m.publish("log", s.log);
    m.publish("jobs", s.jobs);
    m.publish("lock", s.lock);
    m.publish("total", s.total);
    m.publish("permits", s.permits);
    m.publish("rounds", s.rounds);
    return s;
  }

  static shared_objects find(const cafman::manager& m) {
    return {m.get<cafman::dict_proxy>("counts"),
            m.get<cafman::list_proxy>("log"),
            m.get<cafman::queue_proxy>("jobs"),
            m.get<cafman::lock_proxy>("lock"),
            m.get<cafman::value_proxy>("total"),
            m.get<cafman::bounded_semaphore_proxy>("permits"),
            m.get<cafman::barrier_proxy>("rounds")};
  }

  static void unpublish(const cafman::manager& m) {
    for (auto name : {"counts", "log", "jobs", "lock", "total", "permits", "rounds"})
      m.unpublish(name);
  }
};

// ---- the client ------------------------------------------------------------

/// How a client ends on its own: asked to stop, or its session was declared
/// dead while it was stopped (the manager released what it held).
constexpr int exit_stopped = 0;
constexpr int exit_session_lost = 3;
constexpr int exit_failed = 4;

class client_body {
public:
  client_body(shared_objects objects, int acks, std::uint64_t generation)
    : s_(std::move(objects)), acks_(acks), generation_(generation), rng_(generation) {
  }

  void step(const cafman::manager& m) {
    auto token = static_cast<std::int64_t>((generation_ << 32) | ++seq_);
    switch (rng_() % 8) {
      case 0:
        s_.counts.fetch_add("n", 1);
        tell(ack::fetch_add);
        break;
      case 1:
        s_.log.append(token);
        tell(ack::appended, token);
        break;
      case 2:
        s_.jobs.put(token);
        tell(ack::put, token);
        break;
      case 3:
        take_job();
        break;
      case 4:
        increment_under_lock();
        break;
      case 5:
        timed(2s, [&] {
          if (s_.permits.acquire(true, 2s)) {
            s_.permits.release();
            tell(ack::permit);
          }
        });
        break;
      case 6:
        pass_round();
        break;
      default: {
        auto mine = m.dict({{"k", token}});
        mine["k"] = token + 1;
        tell(ack::private_dict);
      }
    }
  }

private:
  // get() confirms the receipt as it returns, after which the item is the
  // caller's. Here the driver is told first and the receipt confirmed
  // after, so an item is either recorded as taken or goes back to the
  // queue: the driver can then account for every one.
  void take_job() {
    using cafman::detail::proxy_access;
    auto wait = cafman::detail::wait_of(true, 200ms);
    try {
      timed(200ms, [&] {
        auto [item, receipt] = proxy_access::call_waiting(
          s_.jobs, wait, cafman::get_atom_v, proxy_access::who(s_.jobs), wait);
        tell(ack::taken, static_cast<std::uint64_t>(item.as_int()));
        proxy_access::tell(s_.jobs, cafman::confirm_atom_v, proxy_access::who(s_.jobs),
                           receipt);
      });
    } catch (const cafman::queue_empty&) {
    }
  }

  void increment_under_lock() {
    timed(2s, [&] {
      if (!s_.lock.acquire(true, 2s))
        return;
      auto before = s_.total.get().as_int();
      s_.total.set(before + 1);
      s_.lock.release();
      tell(ack::incremented);
    });
  }

  void pass_round() {
    try {
      timed(300ms, [&] { s_.rounds.wait(300ms); });
      tell(ack::passed);
    } catch (const cafman::broken_barrier&) {
      tell(ack::broken);
      if (s_.rounds.broken())
        s_.rounds.reset();
    }
  }

  template <class F>
  void timed(std::chrono::milliseconds timeout, F&& f) {
    auto start = steady::now();
    struct report {
      client_body& self;
      steady::time_point start;
      std::chrono::milliseconds limit;
      ~report() {
        if (steady::now() - start > limit + hang_margin)
          self.tell(ack::hung);
      }
    } guard{*this, start, timeout};
    f();
  }

  void tell(ack kind, std::uint64_t x = 0) {
    record r{kind, x};
    // One write of a few bytes to a pipe is atomic: the driver never sees
    // half a record, even when this process is killed.
    if (::write(acks_, &r, sizeof r) != static_cast<ssize_t>(sizeof r))
      ::_exit(exit_failed);
  }

  shared_objects s_;
  int acks_;
  std::uint64_t generation_;
  std::uint64_t seq_ = 0;
  std::mt19937_64 rng_;
};

void run_client(cafman::manager m, int acks, std::uint64_t generation,
                const std::atomic<bool>* stop) {
  try {
    client_body body{shared_objects::find(m), acks, generation};
    while (!stop->load())
      body.step(m);
  } catch (const cafman::connection_error&) {
    ::_exit(exit_session_lost);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chaos client %llu: %s\n", static_cast<unsigned long long>(generation),
                 e.what());
    ::_exit(exit_failed);
  }
}

// ---- the driver ------------------------------------------------------------

/// Everything the clients reported.
struct ledger {
  std::uint64_t ops = 0;
  std::uint64_t fetch_adds = 0;
  std::uint64_t increments = 0;
  std::uint64_t permits = 0;
  std::uint64_t rounds_passed = 0;
  std::uint64_t rounds_broken = 0;
  std::uint64_t private_dicts = 0;
  std::uint64_t hung = 0;
  std::set<std::uint64_t> appended;
  std::set<std::uint64_t> put;
  std::map<std::uint64_t, int> taken; // item -> times recorded

  void take(const record& r) {
    ++ops;
    switch (r.kind) {
      case ack::fetch_add: ++fetch_adds; break;
      case ack::appended: appended.insert(r.x); break;
      case ack::put: put.insert(r.x); break;
      case ack::taken: ++taken[r.x]; break;
      case ack::incremented: ++increments; break;
      case ack::permit: ++permits; break;
      case ack::passed: ++rounds_passed; break;
      case ack::broken: ++rounds_broken; break;
      case ack::private_dict: ++private_dicts; break;
      case ack::hung: ++hung; break;
    }
  }
};

/// Starts clients, reads what they report, replaces those that end, and
/// (in chaos) kills and stops them at random.
class chaos_driver {
public:
  chaos_driver(const cafman::manager& m, std::atomic<bool>& stop) : m_(m), stop_(stop) {
  }

  ~chaos_driver() {
    for (auto& c : clients_) {
      c.proc.kill();
      c.proc.join();
      ::close(c.acks);
    }
  }

  /// Keeps n_clients running for `length`; with `chaos`, every 250 ms on
  /// average either SIGKILLs a client (a replacement starts) or SIGSTOPs one
  /// for up to max_stop (longer than the session timeout: the manager then
  /// declares it dead, and it ends when it resumes).
  void run(std::chrono::milliseconds length, bool chaos) {
    stop_ = false;
    while (clients_.size() < n_clients)
      start_client();
    auto end = steady::now() + length;
    auto next_action = steady::now() + pause_before_action();
    while (steady::now() < end) {
      read_acks(10ms);
      resume_due(steady::now());
      reap(true);
      if (chaos && steady::now() >= next_action) {
        act();
        next_action = steady::now() + pause_before_action();
      }
    }
  }

  /// Resumes every stopped client, asks all to stop, and waits until each
  /// has ended and everything it reported is read.
  void stop_all() {
    resume_due(steady::time_point::max());
    stop_ = true;
    while (!clients_.empty()) {
      read_acks(10ms);
      reap(false);
    }
  }

  ledger book;
  std::uint64_t kills = 0;
  std::uint64_t stops = 0;
  std::uint64_t sessions_lost = 0; // clients that resumed after the manager gave up on them
  std::uint64_t failures = 0;      // clients that ended any other unexpected way

private:
  struct client {
    cafman::process proc;
    int acks;
    std::optional<steady::time_point> resume_at; // while stopped
  };

  void start_client() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    auto generation = ++generation_;
    cafman::process proc{[](cafman::manager m, int acks, std::uint64_t generation,
                            const std::atomic<bool>* stop) {
                           run_client(std::move(m), acks, generation, stop);
                         },
                         m_, fds[1], generation, &stop_};
    ::close(fds[1]);
    clients_.push_back({std::move(proc), fds[0], std::nullopt});
  }

  std::chrono::milliseconds pause_before_action() {
    return std::chrono::milliseconds(rng_() % 500);
  }

  void act() {
    auto& c = clients_[rng_() % clients_.size()];
    if (rng_() % 5 < 3 || c.resume_at) {
      c.proc.kill();
      ++kills;
      return;
    }
    ::kill(c.proc.pid(), SIGSTOP);
    ++stops;
    c.resume_at = steady::now() + std::chrono::milliseconds(100 + rng_() % max_stop.count());
  }

  void resume_due(steady::time_point now) {
    for (auto& c : clients_)
      if (c.resume_at && *c.resume_at <= now) {
        ::kill(c.proc.pid(), SIGCONT);
        c.resume_at.reset();
      }
  }

  void read_acks(std::chrono::milliseconds wait) {
    std::vector<pollfd> fds;
    for (auto& c : clients_)
      fds.push_back({c.acks, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) <= 0)
      return;
    for (auto& fd : fds)
      if (fd.revents & POLLIN)
        drain(fd.fd);
  }

  // Writes of a record are atomic, so reads of whole records see whole ones.
  void drain(int fd) {
    record rs[256];
    ssize_t n;
    while ((n = ::read(fd, rs, sizeof rs)) > 0)
      for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(record)); ++i)
        book.take(rs[i]);
  }

  void reap(bool replace) {
    for (auto i = clients_.begin(); i != clients_.end();) {
      if (i->proc.is_alive()) {
        ++i;
        continue;
      }
      drain(i->acks); // the client is gone: all it wrote is in the pipe
      ::close(i->acks);
      auto code = i->proc.exitcode().value_or(-1);
      if (code == exit_session_lost)
        ++sessions_lost;
      else if (code != -SIGKILL && code != exit_stopped)
        ++failures;
      i = clients_.erase(i);
      if (replace)
        start_client();
    }
  }

  cafman::manager m_;
  std::atomic<bool>& stop_;
  std::vector<client> clients_;
  std::uint64_t generation_ = 0;
  std::mt19937_64 rng_{20261205};
};

/// A flag the driver sets and its forked clients read: in memory shared
/// across fork().
std::atomic<bool>* shared_flag() {
  void* p = ::mmap(nullptr, sizeof(std::atomic<bool>), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(p != MAP_FAILED);
  return new (p) std::atomic<bool>{false};
}

/// What the manager holds, against what the clients were told: returns
/// the number of acknowledged updates missing. `in_doubt` is how many
/// clients ended abruptly: each may have made one update it never
/// reported. Drains the queue and clears the log (and the ledger's record
/// of both) for the next round.
struct verdict {
  std::uint64_t lost = 0;
  std::uint64_t doubled = 0; // applied more often than reported, beyond in_doubt
  std::uint64_t redelivered = 0;
};

verdict reconcile(const shared_objects& s, ledger& book, std::uint64_t in_doubt) {
  verdict v;
  auto missing = [](std::uint64_t reported, std::int64_t found) {
    return reported > static_cast<std::uint64_t>(found) ? reported - found : 0;
  };
  auto beyond = [in_doubt](std::int64_t found, std::uint64_t reported) {
    auto extra = found - static_cast<std::int64_t>(reported + in_doubt);
    return extra > 0 ? static_cast<std::uint64_t>(extra) : 0;
  };
  auto n = s.counts.get("n").as_int();
  v.lost += missing(book.fetch_adds, n);
  v.doubled += beyond(n, book.fetch_adds);
  auto total = s.total.get().as_int();
  v.lost += missing(book.increments, total);
  v.doubled += beyond(total, book.increments);

  std::multiset<std::uint64_t> logged;
  for (auto& x : s.log.copy())
    logged.insert(static_cast<std::uint64_t>(x.as_int()));
  for (auto x : book.appended)
    v.lost += logged.count(x) == 0 ? 1 : 0;
  for (auto x : logged)
    v.doubled += logged.count(x) > 1 ? 1 : 0;

  std::set<std::uint64_t> left;
  try {
    for (;;)
      left.insert(static_cast<std::uint64_t>(s.jobs.get_nowait().as_int()));
  } catch (const cafman::queue_empty&) {
  }
  for (auto x : book.put)
    v.lost += book.taken.count(x) == 0 && left.count(x) == 0 ? 1 : 0;
  for (auto& [x, times] : book.taken)
    v.redelivered += times - 1 + left.count(x);
  v.doubled += v.redelivered > in_doubt ? v.redelivered - in_doubt : 0;

  s.log.clear();
  book.appended.clear();
  book.put.clear();
  book.taken.clear();
  return v;
}

/// Waiters the objects still hold once every client has ended.
std::uint64_t waiters_left(const shared_objects& s) {
  return static_cast<std::uint64_t>(s.lock.n_waiting() + s.permits.n_waiting() +
                                    s.jobs.n_waiting() + s.rounds.n_waiting());
}

/// A fresh client takes the lock, every permit, a barrier round and a
/// queue item, each within 1 s; its exit code has a bit for each it could
/// not.
int fresh_client_check(const cafman::manager& m) {
  cafman::process fresh{[](cafman::manager m) {
                          auto s = shared_objects::find(m);
                          int stuck = 0;
                          if (s.lock.acquire(true, 1s))
                            s.lock.release();
                          else
                            stuck |= 1;
                          std::int64_t held = 0;
                          while (held < n_permits && s.permits.acquire(true, 1s))
                            ++held;
                          if (held > 0)
                            s.permits.release(held);
                          stuck |= held == n_permits ? 0 : 2;
                          s.rounds.reset();
                          std::vector<std::thread> parties;
                          std::atomic<int> passed{0};
                          for (int i = 0; i < n_parties; ++i)
                            parties.emplace_back([&] {
                              try {
                                s.rounds.wait(1s);
                                ++passed;
                              } catch (const cafman::error&) {
                              }
                            });
                          for (auto& t : parties)
                            t.join();
                          stuck |= passed == n_parties ? 0 : 4;
                          s.jobs.put(1);
                          try {
                            s.jobs.get(1s);
                          } catch (const cafman::error&) {
                            stuck |= 8;
                          }
                          ::_exit(stuck);
                        },
                        m};
  REQUIRE(fresh.join(20s));
  return fresh.exitcode().value_or(-1);
}

std::chrono::seconds chaos_length() {
  auto text = std::getenv("CAFMAN_CHAOS_SECONDS");
  return std::chrono::seconds(text ? std::max(1, std::atoi(text)) : 15);
}

} // namespace

TEST_CASE("chaos: clients killed and stopped at random lose no acknowledged update and leave "
          "no lock held, no waiter hung and no object behind",
          "[chaos]") {
  auto length = chaos_length();
  watchdog dog{length + 90s, "the chaos test"};
  cafman::sync_manager_options options;
  options.lean.session_timeout = 1s;
  options.connection.heartbeat_interval = 100ms;
  options.connection.timeout = 10s;
  {
    cafman::sync_manager m{options};
    {
      auto s = shared_objects::make_and_publish(m);
      auto stop = shared_flag();
      chaos_driver driver{m, *stop};
      auto objects_settled = [&] {
        return eventually([&] { return m.number_of_objects() == shared_objects::count; });
      };
      // A calm round first: the manager's memory with the same work and
      // no failures is the baseline its memory must come back to.
      driver.run(3s, false);
      driver.stop_all();
      auto calm = reconcile(s, driver.book, 0);
      CHECK(calm.lost == 0);
      CHECK(calm.doubled == 0);
      REQUIRE(objects_settled());
      auto rss_before = rss_kib(m.pid());

      driver.run(length, true);
      driver.stop_all();
      auto in_doubt = driver.kills + driver.sessions_lost;
      auto after = reconcile(s, driver.book, in_doubt);
      auto stuck = driver.book.hung + waiters_left(s) + (s.lock.locked() ? 1 : 0);
      auto fresh = fresh_client_check(m);
      stuck += fresh == 0 ? 0 : 1;
      std::uint64_t leaked = 0;
      if (!objects_settled())
        leaked = m.number_of_objects() - shared_objects::count;
      // The manager trims what it freed once a second (the reconciliation's
      // copy of the log was large): its memory gets a few seconds to return.
      auto rss_limit = rss_before + rss_before / 10;
      std::uint64_t rss_after = 0;
      eventually([&] { return (rss_after = rss_kib(m.pid())) <= rss_limit; }, 5s);

      std::printf("chaos: seconds=%lld clients=%d ops=%llu kills=%llu stops=%llu "
                  "sessions_lost=%llu lost=%llu stuck=%llu leaked=%llu doubled=%llu "
                  "redelivered=%llu rounds=%llu/%llu rss_kib=%llu->%llu\n",
                  static_cast<long long>(length.count()), n_clients,
                  static_cast<unsigned long long>(driver.book.ops),
                  static_cast<unsigned long long>(driver.kills),
                  static_cast<unsigned long long>(driver.stops),
                  static_cast<unsigned long long>(driver.sessions_lost),
                  static_cast<unsigned long long>(after.lost),
                  static_cast<unsigned long long>(stuck),
                  static_cast<unsigned long long>(leaked),
                  static_cast<unsigned long long>(after.doubled),
                  static_cast<unsigned long long>(after.redelivered),
                  static_cast<unsigned long long>(driver.book.rounds_passed),
                  static_cast<unsigned long long>(driver.book.rounds_broken),
                  static_cast<unsigned long long>(rss_before),
                  static_cast<unsigned long long>(rss_after));
      CHECK(driver.kills > 0);
      CHECK(driver.stops > 0);
      CHECK(driver.failures == 0);
      CHECK(after.lost == 0);
      CHECK(after.doubled == 0);
      CHECK(stuck == 0);
      CHECK(fresh == 0);
      CHECK(leaked == 0);
      if (rss_is_meaningful)
        CHECK(rss_after <= rss_limit);
      shared_objects::unpublish(m);
    }
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  }
  CHECK(cafman::testing::no_children_left());
}
