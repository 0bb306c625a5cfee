// A cluster of manager nodes: real cafman-server processes made one manager
// with create_cluster, a client connected to any of them, and nodes that
// die and return.

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cafman/cafman.hpp"
#include "cafman/net/cluster.hpp"
#include "cafman/net/connection.hpp"
#include "cafman/proxies/proxy_access.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::hang_until_killed;
using cafman::testing::no_children_left;
using cafman::testing::server_process;
using cafman::testing::time_of;
using cafman::testing::watchdog;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "cluster-test-secret";

cafman::authkey key() {
  return cafman::authkey::from_string(secret);
}

/// `n` cafman-server processes made one cluster, in this order.
struct nodes {
  explicit nodes(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      servers.push_back(std::make_unique<server_process>(secret));
    for (auto& s : servers)
      addresses.push_back(s->address());
    cafman::create_cluster(addresses, key());
  }

  /// What node `i` alone holds (its own info, not the cluster's).
  std::int64_t objects_on(std::size_t i) const {
    return cafman::connect(addresses[i], key()).info().as_dict().at("objects").as_int();
  }

  /// A name whose hash slot lies on node `i`.
  std::string name_on(std::size_t i) const {
    cafman::net::cluster_map map{addresses, 0, {}};
    for (int n = 0;; ++n)
      if (auto name = "name-" + std::to_string(n); map.node_of(name) == i)
        return name;
  }

  std::vector<std::unique_ptr<server_process>> servers;
  std::vector<std::string> addresses;
};

} // namespace

TEST_CASE("cluster: three nodes are one manager: objects spread over them, names live on "
          "their slot's node, and a client's crash is cleaned up on every node",
          "[cluster]") {
  watchdog dog{90s};
  {
    nodes cluster{3};
    auto m = cafman::connect(cluster.addresses[0], key());
    std::vector<cafman::dict_proxy> dicts;
    for (int i = 0; i < 30; ++i) {
      dicts.push_back(m.dict());
      dicts.back().set("i", i);
    }
    for (std::size_t node = 0; node < 3; ++node)
      CHECK(cluster.objects_on(node) == 10);
    auto cafman_cli = [&](const std::string& command) {
      return cafman::testing::run_program(CAFMAN_CLI_BIN, "--address " + cluster.addresses[1]
                                          + " --authkey-file " + cluster.servers[1]->key_file()
                                          + " " + command);
    };
    auto [code, table] = cafman_cli("cluster info");
    CHECK(code == 0);
    CHECK_THAT(table, Contains("1     " + cluster.addresses[1]) && Contains("this node")
                        && Contains(cluster.addresses[2]) && Contains("5462-10922"));
    CHECK_THAT(cafman_cli("info").second, Contains("cluster: node 1 of 3, 0 down"));
    for (int i = 0; i < 30; ++i)
      CHECK(dicts[i].get("i") == value{i});
    CHECK(m.number_of_objects() == 30);

    // A name from any node reaches the one object on its slot's node.
    {
      auto jobs = m.get_or_create<cafman::queue_proxy>("jobs");
      jobs.put("first");
      auto other = cafman::connect(cluster.addresses[2], key());
      CHECK(other.get<cafman::queue_proxy>("jobs").get(false) == value{"first"});
      CHECK(other.names() == std::vector<std::string>{"jobs"});
      auto home = cafman::net::cluster_map{cluster.addresses, 0, {}}.node_of("jobs");
      CHECK(cluster.objects_on(home) == 11);
      m.unpublish("jobs");
    }

    // Nested objects live together; across nodes is refused with a way out.
    auto inner = m.on_node_of(dicts[0]).list();
    dicts[0].set("inner", inner);
    inner.append(1);
    CHECK(dicts[0].list_at("inner").copy() == cafman::list_value{1});
    CHECK_THROWS_WITH(dicts[0].set("elsewhere", dicts[1]), Contains("on_node_of"));

    // A client process that dies holding objects on every node.
    {
      cafman::process child{[](cafman::manager shared) {
        std::vector<cafman::dict_proxy> held;
        for (int i = 0; i < 6; ++i)
          held.push_back(shared.dict());
        hang_until_killed();
      }, m};
      REQUIRE(eventually([&] { return m.number_of_objects() == 37; }, 20s));
      for (std::size_t node = 0; node < 3; ++node)
        CHECK(cluster.objects_on(node) >= 12); // its 10 dicts, and 2 of the child's
      cafman::testing::kill_now(child);
    }
    CHECK(eventually([&] { return m.number_of_objects() == 31; }, 20s));
    dicts.clear();
    inner = m.list(); // the nested list goes with its dict
    CHECK(eventually([&] { return m.number_of_objects() == 1; }, 20s));
  }
  CHECK(no_children_left());
}

TEST_CASE("cluster: a node that dies fails the calls on its objects at once, naming it, the "
          "others go on, and its return is seen",
          "[cluster]") {
  watchdog dog{90s};
  {
    nodes cluster{3};
    auto m = cafman::connect(cluster.addresses[0], key());
    std::vector<cafman::dict_proxy> on;
    for (std::size_t node = 0; node < 3; ++node) {
      on.push_back(m.on_node_of(cluster.name_on(node)).dict());
      on.back().set("k", static_cast<std::int64_t>(node));
    }
    auto lost = cluster.addresses[2];
    REQUIRE(cluster.servers[2]->stop(SIGKILL).has_value());
    auto took = time_of([&] {
      CHECK_THROWS_WITH(on[2].get("k"), Contains(lost));
    });
    CHECK(took < 2s);
    CHECK(on[0].get("k") == value{0});
    CHECK(on[1].get("k") == value{1});
    // New objects go to the nodes that are up.
    for (int i = 0; i < 6; ++i)
      m.dict().set("new", i);
    CHECK_THROWS_WITH(m.get_or_create<cafman::queue_proxy>(cluster.name_on(2)),
                      Contains("node 2 of the cluster (" + lost + ")"));
    auto seen_as = [&](const std::string& state) {
      auto map = cafman::net::cluster_map::from_value(
        cafman::connect(cluster.addresses[0], key()).cluster_map());
      return (state == "down") == map.is_down(2);
    };
    CHECK(eventually([&] { return seen_as("down"); }, 10s));

    // The node comes back on its address: its peers hand it the map again.
    auto port = lost.substr(lost.rfind(':') + 1);
    cluster.servers[2] = std::make_unique<server_process>(secret,
                                                          std::vector<std::string>{"--port", port});
    REQUIRE(cluster.servers[2]->address() == lost);
    CHECK(eventually([&] {
      return !cafman::connect(lost, key()).cluster_map().is_none();
    }, 10s));
    CHECK(eventually([&] { return seen_as("up"); }, 10s));
    // The client's own view catches up within a second or so.
    std::optional<cafman::dict_proxy> made;
    CHECK(eventually([&] {
      try {
        made = m.on_node_of(cluster.name_on(2)).dict();
        return true;
      } catch (const cafman::connection_error&) {
        return false;
      }
    }, 10s));
    REQUIRE(made);
    auto back = *made;
    back.set("k", "again");
    CHECK(back.get("k") == value{"again"});
    CHECK(cluster.objects_on(2) == 1);
  }
  CHECK(no_children_left());
}

TEST_CASE("cluster: a newer cluster create wins over the old map, and a node left out stands "
          "alone",
          "[cluster]") {
  watchdog dog{60s};
  {
    nodes cluster{3};
    cafman::create_cluster({cluster.addresses[0], cluster.addresses[1]}, key());
    auto nodes_of = [&](std::size_t i) {
      return cafman::net::cluster_map::from_value(
               cafman::connect(cluster.addresses[i], key()).cluster_map())
        .nodes.size();
    };
    CHECK(eventually([&] { return nodes_of(2) == 0; }, 10s)); // it learnt it is out
    CHECK(nodes_of(0) == 2);
    CHECK(nodes_of(1) == 2);
  }
  CHECK(no_children_left());
}

TEST_CASE("cluster: a child process gets the cluster, or the one node, its manager had",
          "[cluster]") {
  watchdog dog{60s};
  {
    nodes cluster{3};
    auto m = cafman::connect(cluster.addresses[0], key());
    auto d = m.on_node_of(cluster.name_on(1)).dict();
    // Over the cluster: what the child gets through its cluster view (a
    // name on node 1) and the dict it was given share the child's one
    // session with node 1, so one can be stored in the other.
    cafman::process nests{[name = cluster.name_on(1)](cafman::manager shared,
                                                      cafman::dict_proxy held) {
      held.set("inner", shared.on_node_of(held).list({1, 2}));
      held.set("named", shared.get_or_create<cafman::dict_proxy>(name));
    }, m, d};
    REQUIRE(nests.join(20s));
    CHECK(nests.exitcode() == 0);
    CHECK(d.list_at("inner").copy() == cafman::list_value{1, 2});
    // Pinned to node 2, the child makes everything there: node 2's dict
    // takes all of it.
    auto on_two = m.on_node_of(cluster.name_on(2)).dict();
    cafman::process pinned{[](cafman::manager node, cafman::dict_proxy held) {
      for (int i = 0; i < 3; ++i)
        held.set(i, node.list());
    }, m.on_node_of(cluster.name_on(2)), on_two};
    REQUIRE(pinned.join(20s));
    CHECK(pinned.exitcode() == 0);
    CHECK(on_two.size() == 3);
    m.unpublish(cluster.name_on(1));
  }
  CHECK(no_children_left());
}

TEST_CASE("cluster: a node refuses a map that is not one, and connects go on", "[cluster]") {
  watchdog dog{30s};
  server_process node{secret};
  auto m = cafman::connect(node.address(), key());
  auto& conn = cafman::detail::manager_access::conn(m);
  CHECK_THROWS_AS(conn->call_registry(cafman::cluster_atom_v, value{"garbage"}),
                  cafman::value_error);
  CHECK_THROWS_WITH(conn->call_registry(cafman::cluster_atom_v,
                                        value{cafman::dict_value{{"nodes", cafman::list_value{"x"}},
                                                                 {"self", 0}}}),
                    Contains("bad address"));
  CHECK(cafman::connect(node.address(), key()).cluster_map().is_none());
}
