#pragma once

// Helpers for tests that run real processes: a cafman-server child, a
// bounded wait for a condition, and the check that no child is left.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cafman/proxies/child.hpp"
#include "cafman/proxies/process.hpp"
#include "cafman/proxies/sync_manager.hpp"

namespace cafman::testing {

// AddressSanitizer holds freed memory in quarantine (256 MB by default),
// so a sanitized manager's RSS grows with the work done, leak or not:
// the bound is checked in the normal build only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_is_meaningful = false;
#else
constexpr bool rss_is_meaningful = true;
#endif

/// The resident memory of process `pid`, in KiB (0 if it is gone).
inline std::uint64_t rss_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6));
  return 0;
}

/// Re-checks `condition` until it holds or `limit` passes: for effects the
/// manager applies asynchronously (a DOWN from a killed client). Returns
/// whether it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Stops a child with SIGSTOP and returns once it is really stopped: kill()
/// only queues the signal, and the child may still answer a request sent
/// right after it. Returns whether the child stopped.
inline bool freeze(pid_t child) {
  int status = 0;
  return ::kill(child, SIGSTOP) == 0 && ::waitpid(child, &status, WUNTRACED) == child
         && WIFSTOPPED(status);
}

/// True when this process has no child left, running or unreaped.
inline bool no_children_left() {
  return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

/// How long `f` took.
template <class F>
std::chrono::milliseconds time_of(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                               - start);
}

/// What a child does once it holds what the test wants it to hold: wait
/// for the SIGKILL the test sends, or die with the test process if a
/// failed test never sends it (no orphan is left behind).
[[noreturn]] inline void hang_until_killed() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1)
    ::_exit(1); // the test process is already gone
  for (;;)
    ::pause();
}

/// Runs `program` with `args` (a shell command line's tail) to its end: its
/// exit code, and what it wrote to stdout and stderr.
inline std::pair<int, std::string> run_program(const std::string& program,
                                               const std::string& args) {
  std::string out;
  auto pipe = ::popen((program + " " + args + " 2>&1").c_str(), "r");
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof(buf), pipe))
    out.append(buf, n);
  auto status = ::pclose(pipe);
  return {WEXITSTATUS(status), out};
}

/// run_program for cafman-server.
inline std::pair<int, std::string> run_server(const std::string& args) {
  return run_program(CAFMAN_SERVER_BIN, args);
}

/// How far past a timed wait's deadline the manager may answer.
constexpr auto deadline_slack = std::chrono::milliseconds(100);

/// Kills a child process and reaps it.
inline void kill_now(cafman::process& child) {
  child.kill();
  REQUIRE(child.join(std::chrono::seconds(5)));
}

/// Runs `body` against a fresh manager process, then checks what every
/// such test must end with: no object left in the manager, and (once the
/// manager is shut down) no child process left.
template <class F>
void with_manager(F&& body, cafman::sync_manager_options options = {}) {
  {
    cafman::sync_manager m{std::move(options)};
    body(m);
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  }
  CHECK(no_children_left());
}

/// A cafman-server process on 127.0.0.1, port 0, with a key file of its own.
class server_process {
public:
  /// The server reads `secret` from a key file, as an operator would give it;
  /// `extra_args` follow the port and key options (port 0 unless they name
  /// one).
  /// `runner` runs the server through another program, e.g. {"ip", "netns",
  /// "exec", "NAME"}: its last step must exec the server (the pid is the
  /// server's).
  explicit server_process(const std::string& secret, std::vector<std::string> extra_args = {},
                          std::vector<std::string> runner = {}) {
    key_file_ = "/tmp/cafman-test-key-" + std::to_string(::getpid()) + "-"
                + std::to_string(counter()++);
    std::ofstream{key_file_} << secret << "\n";
    ::chmod(key_file_.c_str(), 0600); // a key others can read is refused
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      std::abort();
    auto args = runner;
    args.emplace_back(CAFMAN_SERVER_BIN);
    if (std::find(extra_args.begin(), extra_args.end(), "--port") == extra_args.end())
      args.insert(args.end(), {"--port", "0"}); // unless the test chose one
    args.insert(args.end(), {"--authkey-file", key_file_});
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    first_line_ = read_line(out[0]);
    ::close(out[0]);
    // "cafman-server listening on HOST:PORT[ and unix:PATH]"
    const std::string prefix = "listening on ";
    auto at = first_line_.find(prefix);
    if (at != std::string::npos) {
      auto start = at + prefix.size();
      auto end = first_line_.find(' ', start);
      address_ = first_line_.substr(start, end == std::string::npos ? end : end - start);
      if (auto unix_at = first_line_.find(" and unix:"); unix_at != std::string::npos)
        unix_address_ = first_line_.substr(unix_at + 5);
    }
  }

  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::remove(key_file_.c_str());
  }

  /// What the server printed first; "cafman-server listening on HOST:PORT".
  const std::string& first_line() const { return first_line_; }
  /// "127.0.0.1:PORT"
  const std::string& address() const { return address_; }
  /// The file holding the server's key.
  const std::string& key_file() const { return key_file_; }
  /// "unix:PATH" when started with --unix PATH, else empty.
  const std::string& unix_address() const { return unix_address_; }
  pid_t pid() const { return pid_; }

  /// Sends `sig` and waits up to `limit` for the exit; the wait status.
  std::optional<int> stop(int sig, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    ::kill(pid_, sig);
    auto status = cafman::detail::wait_for_exit(pid_, limit);
    if (status)
      pid_ = -1;
    return status;
  }

private:
  static int& counter() {
    static int n = 0;
    return n;
  }

  static std::string read_line(int fd) {
    std::string line;
    char c;
    pollfd pfd{fd, POLLIN, 0};
    while (::poll(&pfd, 1, 10000) == 1 && ::read(fd, &c, 1) == 1 && c != '\n')
      line += c;
    return line;
  }

  pid_t pid_ = -1;
  std::string key_file_;
  std::string first_line_;
  std::string address_;
  std::string unix_address_;
};

/// A fresh directory under /tmp, removed with everything in it at the end.
class temp_dir {
public:
  explicit temp_dir(const std::string& purpose) {
    std::string pattern = "/tmp/cafman-" + purpose + "-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()));
    path_ = pattern;
  }
  ~temp_dir() { run_program("rm", "-rf " + path_); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  std::string path(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// A server's log sink that keeps every line, for checks on what it said.
class log_lines {
public:
  cafman::log_sink sink() {
    return [this](cafman::log_level, const std::string& line) {
      std::lock_guard<std::mutex> guard{mtx_};
      lines_.push_back(line);
    };
  }

  /// Whether a line containing `text` comes within a few seconds.
  bool logged(const std::string& text) {
    return eventually([&] {
      std::lock_guard<std::mutex> guard{mtx_};
      return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) {
        return line.find(text) != std::string::npos;
      });
    });
  }

  std::vector<std::string> all() {
    std::lock_guard<std::mutex> guard{mtx_};
    return lines_;
  }

private:
  std::mutex mtx_;
  std::vector<std::string> lines_;
};

} // namespace cafman::testing
