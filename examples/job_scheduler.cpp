// An actor-based service: a job scheduler whose producer and workers are
// event-based actors of their own actor systems, in separate processes,
// coordinating through objects of one manager: a bounded queue of jobs, a
// dict of results and a scoreboard, an actor type of this program spawned
// on the manager. No actor ever blocks: a put on the full queue and a get
// on the empty one are requests whose replies come when the queue can
// answer them.
//
//   with Manager() as m:                  # Python, threads instead of actors
//       jobs, results = m.Queue(8), m.dict()
//       ... Process(target=worker, args=(jobs, results)) ...

#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

using namespace std::chrono_literals;

constexpr std::int64_t job_count = 100;
constexpr int worker_count = 2;
constexpr auto patience = caf::timespan{30s}; // how long a put or get may wait in the queue
constexpr auto reply_timeout = 40s;           // longer than any wait

// The scoreboard: an actor type of this program, registered with the
// manager, which spawns one object of it in the manager process.
using done_atom = caf::atom_constant<caf::atom("done")>;
using total_atom = caf::atom_constant<caf::atom("total")>;

using scoreboard_actor = caf::typed_actor<
  // (worker, result) -> jobs that worker has done so far
  caf::replies_to<done_atom, std::string, std::int64_t>::with<std::int64_t>,
  // -> (jobs done, sum of their results)
  caf::replies_to<total_atom>::with<std::int64_t, std::int64_t>>;

struct scoreboard_state {
  std::map<std::string, std::int64_t> done_by;
  std::int64_t jobs = 0;
  std::int64_t sum = 0;
};

scoreboard_actor::behavior_type scoreboard(scoreboard_actor::stateful_pointer<scoreboard_state> self) {
  return {
    [self](done_atom, const std::string& worker, std::int64_t result) {
      ++self->state.jobs;
      self->state.sum += result;
      return ++self->state.done_by[worker];
    },
    [self](total_atom) { return std::make_tuple(self->state.jobs, self->state.sum); },
  };
}

using queue_handle = cafman::handle<cafman::queue_actor>;
using dict_handle = cafman::handle<cafman::dict_actor>;

// The producer finds the queue by name, then puts the jobs 1..job_count
// and one None per worker (its end marker), each put after the last one
// was taken in: on a full queue that is when a worker made room.
void put_from(caf::event_based_actor* self, queue_handle jobs, std::int64_t next) {
  if (next > job_count + worker_count)
    return; // nothing left to wait for: the actor ends
  auto item = next <= job_count ? cafman::value{next} : cafman::value{};
  self->request(jobs, reply_timeout, cafman::put_atom_v, item, patience).then([=] {
    put_from(self, jobs, next + 1);
  });
}

caf::behavior producer(caf::event_based_actor* self, cafman::manager_handle manager) {
  self->request(manager, reply_timeout, cafman::lookup_atom_v, std::string{"jobs"})
    .then([=](caf::actor& found) { put_from(self, caf::actor_cast<queue_handle>(found), 1); });
  return {};
}

// A worker takes a job, squares it, stores the result and reports it to
// the scoreboard, then takes the next, until it gets the end marker.
struct worker_state {
  std::string name;
  queue_handle jobs;
  dict_handle results;
  scoreboard_actor board;
};

using worker_actor = caf::stateful_actor<worker_state>;

void take_next(worker_actor* self) {
  auto& st = self->state;
  self->request(st.jobs, reply_timeout, cafman::get_atom_v, patience)
    .then([self](cafman::value& job, std::uint64_t) {
      if (job.is_none())
        return; // the end marker: the actor ends
      auto n = job.as_int();
      auto& st = self->state;
      self->request(st.results, reply_timeout, cafman::put_atom_v, job, cafman::value{n * n})
        .then([self, n] {
          self->request(self->state.board, reply_timeout, done_atom::value, self->state.name, n * n)
            .then([self](std::int64_t) { take_next(self); });
        });
    });
}

caf::behavior worker(worker_actor* self, std::string name, queue_handle jobs, dict_handle results,
                     scoreboard_actor board) {
  self->state = worker_state{std::move(name), std::move(jobs), std::move(results), std::move(board)};
  take_next(self);
  return {};
}

// Each process has its own actor system and actor client, and spawns its
// one actor with `spawn(sys, client)`; the process ends once that actor
// did. An actor that failed (a request refused or timed out) ends the
// process with an error.
template <class Spawn>
void run_in_own_system(cafman::manager m, Spawn spawn) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  cafman::actor_client client{sys, std::move(m)};
  caf::scoped_actor self{sys};
  self->monitor(spawn(sys, client));
  caf::error reason;
  self->receive([&](caf::down_msg& down) { reason = down.reason; });
  if (reason)
    throw cafman::error("an actor failed: " + sys.render(reason));
}

void run_example() {
  cafman::sync_manager_options options;
  options.types.add_actor("Scoreboard", [](caf::actor_system& sys, const cafman::value&) {
    return sys.spawn(scoreboard);
  });
  cafman::sync_manager m{options};
  m.publish("jobs", m.queue(8));
  auto results = m.dict();
  auto board = m.create("Scoreboard");

  std::vector<cafman::process> processes;
  processes.emplace_back(
    [](cafman::manager m) {
      run_in_own_system(std::move(m), [](caf::actor_system& sys, cafman::actor_client& client) {
        return sys.spawn(producer, client.manager_actor());
      });
    },
    cafman::manager{m});
  for (int i = 1; i <= worker_count; ++i)
    processes.emplace_back(
      [](cafman::manager m, std::string name, cafman::dict_proxy results, cafman::custom_proxy board) {
        run_in_own_system(std::move(m), [&](caf::actor_system& sys, cafman::actor_client& client) {
          // Set-up code, outside the actor: these calls may block.
          auto jobs = client.handle_of(client.manager().get<cafman::queue_proxy>("jobs"));
          return sys.spawn(worker, name, jobs, client.handle_of(results),
                           client.handle_of<scoreboard_actor>(board));
        });
      },
      cafman::manager{m}, "worker " + std::to_string(i), results, board);
  for (auto& p : processes)
    if (!p.join(60s) || p.exitcode() != 0)
      throw cafman::error("a process of the service failed");

  std::int64_t sum = 0;
  for (std::int64_t n = 1; n <= job_count; ++n)
    sum += results.get(n).as_int();
  auto [jobs, total] = board.request<std::pair<std::int64_t, std::int64_t>>(total_atom::value);
  std::cout << job_count << " jobs through a queue of 8 to " << worker_count
            << " worker processes: results " << results.size() << " entries, sum " << sum
            << "; scoreboard " << jobs << " jobs, sum " << total << "\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"job_scheduler: an actor-based job scheduler over a shared queue, dict and actor type.\nOptions"};
  return run_command_line("job_scheduler", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
