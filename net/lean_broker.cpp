#include "net/lean_broker.hpp"

#include <map>
#include <memory>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>

#include "actors/reference.hpp"
#include "net/lean_protocol.hpp"

namespace cafman::net {

namespace {

using caf::io::connection_handle;

struct lean_connection {
  std::uint64_t generation;
  manager_binder binder; // of the client session the stream belongs to
  bool awaiting_body = false;
};

/// Connections by handle. A handle is the socket number, which the OS
/// reuses: a reply carries the generation it was asked on, and is dropped
/// if its connection has been closed (and the handle reused) meanwhile.
struct lean_state {
  registry_actor registry;
  std::map<connection_handle, lean_connection> connections;
  std::uint64_t next_generation = 0;
};

void read_length(caf::io::broker* self, connection_handle hdl) {
  self->configure_read(hdl, caf::io::receive_policy::exactly(lean::length_size));
}

void send_reply(caf::io::broker* self, const std::shared_ptr<lean_state>& st,
                connection_handle hdl, std::uint64_t generation, std::uint64_t request,
                const caf::message& reply) {
  auto conn = st->connections.find(hdl);
  if (conn == st->connections.end() || conn->second.generation != generation)
    return; // the client is gone
  auto& out = self->wr_buf(hdl);
  binder_scope scope{conn->second.binder};
  if (auto err = lean::append_frame(self->system(), out, {request}, reply)) {
    out.clear();
    lean::append_frame(self->system(), out, {request}, caf::make_message(err));
  }
  self->flush(hdl);
}

// Forwards one request to its object. Replies of any type come back through
// the error handler: CAF 0.17.6 reports a reply the handler does not match
// as sec::unexpected_response carrying the reply itself, so only `value`
// replies (the most common) need a handler of their own.
void dispatch(caf::io::broker* self, const std::shared_ptr<lean_state>& st,
              connection_handle hdl, const std::vector<char>& body) {
  auto& conn = st->connections.at(hdl);
  auto generation = conn.generation;
  binder_scope scope{conn.binder};
  auto request = lean::get_u64(body.data());
  auto target_id = lean::get_u64(body.data() + 8);
  if (target_id == lean::sync_target && request != lean::no_reply) {
    // Frames are dispatched in order, so every earlier one has reached its
    // object's mailbox by now.
    send_reply(self, st, hdl, generation, request, caf::message{});
    return;
  }
  auto target = self->system().registry().get(target_id);
  caf::message msg;
  auto err = lean::read_message(self->system(), body.data(), body.size(),
                                lean::request_header_size, msg);
  if (!err && !target)
    err = caf::make_error(errc::no_such_object, "the object no longer exists");
  if (request == lean::no_reply) {
    if (!err)
      self->send(caf::actor_cast<caf::actor>(target), std::move(msg));
    return;
  }
  if (err) {
    send_reply(self, st, hdl, generation, request, caf::make_message(std::move(err)));
    return;
  }
  self->request(caf::actor_cast<caf::actor>(target), caf::infinite, std::move(msg))
    .then(
      [=](value& v) {
        send_reply(self, st, hdl, generation, request, caf::make_message(std::move(v)));
      },
      [=](caf::error& e) {
        auto reply = e == caf::sec::unexpected_response ? e.context()
                                                        : caf::make_message(std::move(e));
        send_reply(self, st, hdl, generation, request, reply);
      });
}

caf::behavior lean_broker(caf::io::broker* self, registry_actor registry) {
  auto st = std::make_shared<lean_state>();
  st->registry = std::move(registry);
  return {
    [=](adopt_atom, int fd, std::uint64_t session) {
      auto hdl = self->add_scribe(fd);
      st->connections.insert_or_assign(
        hdl, lean_connection{st->next_generation++, manager_binder{st->registry, session}});
      read_length(self, hdl);
    },
    [=](caf::io::new_data_msg& msg) {
      auto conn = st->connections.find(msg.handle);
      if (conn == st->connections.end())
        return;
      if (conn->second.awaiting_body) {
        conn->second.awaiting_body = false;
        read_length(self, msg.handle);
        dispatch(self, st, msg.handle, msg.buf);
        return;
      }
      auto length = lean::get_u32(msg.buf.data());
      if (length < lean::request_header_size || length > lean::max_body) {
        self->close(msg.handle); // not our protocol: no reply is possible
        st->connections.erase(conn);
        return;
      }
      conn->second.awaiting_body = true;
      self->configure_read(msg.handle, caf::io::receive_policy::exactly(length));
    },
    [=](const caf::io::connection_closed_msg& msg) { st->connections.erase(msg.handle); },
  };
}

} // namespace

caf::actor spawn_lean_broker(caf::actor_system& sys, registry_actor registry) {
  return sys.middleman().spawn_broker(lean_broker, std::move(registry));
}

} // namespace cafman::net
