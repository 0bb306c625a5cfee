#pragma once

// Client side of the lean path (net/lean_protocol.hpp): one authenticated
// socket on which the calling thread itself writes a request and blocks
// for its reply. A connection keeps a pool of them, one per concurrent
// caller.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "cafman/net/socket.hpp"

namespace cafman::detail {

class lean_channel {
public:
  /// Takes an fd that passed the handshake and announced the lean stream;
  /// `spin` is how long a reply is waited for without sleeping
  /// (connection_options::spin).
  explicit lean_channel(net::unique_fd fd,
                        std::chrono::microseconds spin = std::chrono::microseconds{0});
  ~lean_channel();

  lean_channel(const lean_channel&) = delete;
  lean_channel& operator=(const lean_channel&) = delete;

  /// Sends `request` to the actor `target` and returns its reply (which may
  /// hold a caf::error from the object). Throws timeout_error after
  /// `deadline`, connection_error when the manager is gone; either way the
  /// channel is unusable afterwards. `peer` names the manager in messages.
  caf::message call(caf::actor_system& sys, std::uint64_t target, const caf::message& request,
                    std::chrono::steady_clock::time_point deadline, const std::string& peer);

  /// Sends `message` to the actor `target` without waiting for anything:
  /// request id 0 asks the manager for no reply.
  void tell(caf::actor_system& sys, std::uint64_t target, const caf::message& message,
            std::chrono::steady_clock::time_point deadline, const std::string& peer);

  /// Reads the manager's welcome, its first frame on a new stream (see
  /// net/lean_protocol.hpp).
  caf::message welcome(caf::actor_system& sys, std::chrono::steady_clock::time_point deadline,
                       const std::string& peer);

  /// After tell(): returns once the manager has passed every message sent
  /// on this channel on to its object, so that a message the client sends
  /// later on another socket (its session's end, over BASP) cannot
  /// overtake them. A no-op when nothing was told since the last call.
  void sync(caf::actor_system& sys, std::chrono::steady_clock::time_point deadline,
            const std::string& peer);

  /// A batch's calls (net/batch_stream.hpp): queue() appends a request to
  /// what send() writes next and returns its request id; next_reply() reads
  /// the next reply, of any request, and returns its id with it. Throws as
  /// call() does, and refuses a message that cannot be serialized.
  std::uint64_t queue(caf::actor_system& sys, std::uint64_t target, const caf::message& request,
                      const std::string& peer);
  void send(std::chrono::steady_clock::time_point deadline, const std::string& peer);
  std::pair<std::uint64_t, caf::message> next_reply(caf::actor_system& sys,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    const std::string& peer);
  /// True when a whole reply has been received and not yet read: the next
  /// next_reply() takes it without waiting.
  bool reply_buffered() const;

  /// Reads what has arrived, without waiting: true once a whole reply is
  /// buffered, or a malformed one begun (next_reply() then takes it, or
  /// refuses it, without waiting). Never reads past the frame under way.
  bool reply_ready();

  /// True once the manager closed the stream (or reset it), seen without
  /// waiting; bytes it sent and nobody read yet do not count.
  bool peer_closed() const;

  /// How many waits for a reply spun before sleeping (see spin).
  std::uint64_t waits_spun() const { return waits_spun_; }

  /// Gives up the stream, for a pipeline to carry it on; nothing may be
  /// buffered (right after welcome()).
  net::unique_fd release();

private:
  void send_all(const std::vector<char>& bytes, std::chrono::steady_clock::time_point deadline,
                const std::string& peer);
  std::size_t frame_lacks() const;
  std::size_t receive_frame(std::chrono::steady_clock::time_point deadline,
                            const std::string& peer);
  /// What recv() gave within the spin time, or nothing if nothing came
  /// (or this wait does not spin).
  std::optional<long> spin_receive(char* at, std::size_t room,
                                   std::chrono::steady_clock::time_point deadline);
  caf::message read_reply(caf::actor_system& sys, std::uint64_t id,
                          std::chrono::steady_clock::time_point deadline, const std::string& peer);
  std::pair<std::uint64_t, caf::message> read_frame(caf::actor_system& sys,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    const std::string& peer);

  net::unique_fd fd_;
  std::uint64_t next_request_ = 1;
  bool told_ = false; // a one-way message went out since the last reply
  std::vector<char> out_;
  std::vector<char> in_;
  std::size_t consumed_ = 0; // the frame last returned, at the front of in_
  std::size_t buffered_ = 0; // bytes received after it
  static constexpr std::uint32_t first_backoff = 8;
  static constexpr std::uint32_t max_backoff = 1024;
  std::chrono::microseconds spin_;
  std::uint32_t spin_skips_ = 0;               // waits left that go to sleep at once
  std::uint32_t spin_backoff_ = first_backoff; // how many the next miss skips
  std::uint64_t waits_spun_ = 0;
};

} // namespace cafman::detail
