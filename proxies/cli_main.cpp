// cafman: the command-line client of a manager, as redis-cli is Redis's.
//
//   cafman --address HOST:PORT info            (or unix:/path; $CAFMAN_ADDRESS)
//   cafman ... clients | objects [--type T] | names | get NAME | dump ID
//   cafman ... publish NAME TYPE | unpublish NAME | shutdown
//
// The key comes from --authkey-file or $CAFMAN_AUTHKEY, never from the
// command line (which other users can read in ps). Tables for people by
// default, --json for scripts. Exit status: 0 done, 1 the manager refused
// or failed, 2 a usage error.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cafman/cafman.hpp"
#include "cafman/net/tls_program_options.hpp"

namespace po = boost::program_options;

namespace {

// -- output ------------------------------------------------------------------

void write_json_string(std::ostream& out, const std::string& text) {
  out << '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\t': out << "\\t"; break;
      case '\r': out << "\\r"; break;
      default:
        if (c < 0x20)
          out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << int{c} << std::dec;
        else
          out << c;
    }
  }
  out << '"';
}

// JSON for scripts: bytes become a list of numbers, a dict key that is not
// a string its repr, a reference {"object": id, "type": type id}.
void write_json(std::ostream& out, const cafman::value& x) {
  if (x.is_none()) {
    out << "null";
  } else if (x.is_bool()) {
    out << (x.as_bool() ? "true" : "false");
  } else if (x.is_int()) {
    out << x.as_int();
  } else if (x.is_double()) {
    out << std::setprecision(17) << x.as_double();
  } else if (x.is_string()) {
    write_json_string(out, x.as_string());
  } else if (x.is_bytes()) {
    out << '[';
    const char* sep = "";
    for (auto b : x.as_bytes())
      out << std::exchange(sep, ",") << int{b};
    out << ']';
  } else if (x.is_list()) {
    out << '[';
    const char* sep = "";
    for (auto& item : x.as_list()) {
      out << std::exchange(sep, ",");
      write_json(out, item);
    }
    out << ']';
  } else if (x.is_dict()) {
    out << '{';
    const char* sep = "";
    for (auto& [key, item] : x.as_dict()) {
      out << std::exchange(sep, ",");
      write_json_string(out, key.is_string() ? key.as_string() : key.repr());
      out << ':';
      write_json(out, item);
    }
    out << '}';
  } else {
    auto& ref = x.as_reference();
    out << "{\"object\":" << ref.id() << ",\"type\":";
    write_json_string(out, ref.type_id());
    out << '}';
  }
}

std::string text_of(const cafman::value& x) {
  return x.is_string() ? x.as_string() : x.repr();
}

// The text of `d[key]`, "-" where the dict has none.
std::string text_at(const cafman::dict_value& d, const char* key) {
  auto found = d.find(key);
  return found ? text_of(*found) : std::string{"-"};
}

std::string local_time(double unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%d %H:%M:%S");
  return out.str();
}

// A table of `rows` under `columns`, each column as wide as its widest
// cell, every line after `indent`.
void write_table(std::ostream& out, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows, const std::string& indent = "") {
  std::vector<std::size_t> width;
  for (auto& c : columns)
    width.push_back(c.size());
  for (auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    out << indent;
    for (std::size_t i = 0; i < cells.size(); ++i)
      out << std::left << std::setw(static_cast<int>(width[i] + 2)) << cells[i];
    out << "\n";
  };
  line(columns);
  for (auto& row : rows)
    line(row);
}

std::string joined(const cafman::value& xs) {
  std::string result;
  if (xs.is_list())
    for (auto& x : xs.as_list())
      result += (result.empty() ? "" : ",") + text_of(x);
  return result.empty() ? "-" : result;
}

// -- commands -----------------------------------------------------------------

struct command_line {
  std::string command;
  std::vector<std::string> args;
  std::string type_filter;
  bool json = false;
};

void expect_args(const command_line& cl, std::size_t n, const char* usage) {
  if (cl.args.size() != n)
    throw po::error(std::string{"usage: cafman "} + usage);
}

void show_json(const cafman::value& x) {
  write_json(std::cout, x);
  std::cout << "\n";
}

void show_info(const cafman::value& info, const command_line& cl) {
  if (cl.json)
    return show_json(info);
  for (auto& [key, item] : info.as_dict()) {
    if (key == cafman::value{"calls_by_type"}) {
      std::vector<std::vector<std::string>> rows;
      for (auto& [type, counts] : item.as_dict()) {
        auto& c = counts.as_dict();
        rows.push_back({text_of(type), text_of(c.at("calls")), text_of(c.at("errors")),
                        text_of(c.at("bytes_in")), text_of(c.at("bytes_out")),
                        text_of(c.at("waiting")), text_of(c.at("timeouts"))});
      }
      std::cout << "calls_by_type:\n";
      write_table(std::cout,
                  {"TYPE", "CALLS", "ERRORS", "BYTES IN", "BYTES OUT", "WAITING", "TIMEOUTS"},
                  rows, "  ");
    } else if (item.is_dict()) {
      std::cout << key.as_string() << ":\n";
      for (auto& [type, count] : item.as_dict())
        std::cout << "  " << text_of(type) << ": " << text_of(count) << "\n";
    } else {
      std::cout << key.as_string() << ": " << text_of(item) << "\n";
    }
  }
}

void show_clients(const cafman::value& clients, const command_line& cl) {
  if (cl.json)
    return show_json(clients);
  std::vector<std::vector<std::string>> rows;
  for (auto& c : clients.as_list()) {
    auto& d = c.as_dict();
    rows.push_back({text_at(d, "session"), text_at(d, "peer"),
                    local_time(d.at("connected_since").as_double()), text_at(d, "objects"),
                    text_at(d, "calls"), text_at(d, "errors"), text_at(d, "bytes_in"),
                    text_at(d, "bytes_out"), text_at(d, "waiting"), text_at(d, "timeouts")});
  }
  write_table(std::cout,
              {"SESSION", "PEER", "CONNECTED SINCE", "OBJECTS", "CALLS", "ERRORS", "BYTES IN",
               "BYTES OUT", "WAITING", "TIMEOUTS"},
              rows);
}

void show_objects(const cafman::value& objects, const command_line& cl) {
  cafman::list_value chosen;
  for (auto& o : objects.as_list())
    if (cl.type_filter.empty() || o.as_dict().at("type") == cafman::value{cl.type_filter})
      chosen.push_back(o);
  if (cl.json)
    return show_json(cafman::value{chosen});
  std::vector<std::vector<std::string>> rows;
  for (auto& o : chosen) {
    auto& d = o.as_dict();
    auto names = d.find("names");
    rows.push_back({text_of(d.at("id")), text_of(d.at("type")), text_of(d.at("refcount")),
                    joined(d.at("holders")), names ? joined(*names) : "-", text_at(d, "size"),
                    text_at(d, "waiting")});
  }
  write_table(std::cout, {"ID", "TYPE", "REFCOUNT", "HOLDERS", "NAMES", "SIZE", "WAITING"}, rows);
}

void show_value(const cafman::value& x, const command_line& cl) {
  if (cl.json)
    return show_json(x);
  std::cout << x.repr() << "\n";
}

std::uint64_t id_of(const std::string& text) {
  std::size_t used = 0;
  unsigned long long id = 0;
  try {
    id = std::stoull(text, &used);
  } catch (const std::exception&) {
  }
  if (used == 0 || used != text.size())
    throw po::error("dump ID: '" + text + "' is not an object id (see `cafman objects`)");
  return id;
}

// `info`'s line about the cluster: the whole map in JSON.
cafman::value cluster_summary(const cafman::value& kept, const command_line& cl) {
  if (cl.json)
    return kept;
  auto map = cafman::net::cluster_map::from_value(kept);
  if (map.empty())
    return "none (a manager on its own)";
  return "node " + std::to_string(map.self) + " of " + std::to_string(map.nodes.size()) + ", "
         + std::to_string(map.down.size()) + " down (see `cafman cluster info`)";
}

// One row per node: its index, address, slots and state as the node
// connected to sees them.
void show_cluster(const cafman::value& kept, const command_line& cl) {
  if (cl.json) {
    show_value(kept, cl);
    return;
  }
  auto map = cafman::net::cluster_map::from_value(kept);
  if (map.empty()) {
    std::cout << "not a cluster: a manager on its own\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  auto n = map.nodes.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto first = (i * cafman::net::cluster_slots + n - 1) / n;
    auto last = ((i + 1) * cafman::net::cluster_slots + n - 1) / n - 1;
    rows.push_back({std::to_string(i), map.nodes[i],
                    std::to_string(first) + "-" + std::to_string(last),
                    i == map.self ? "this node" : map.is_down(i) ? "down" : "up"});
  }
  write_table(std::cout, {"NODE", "ADDRESS", "SLOTS", "STATE"}, rows);
}

void run(const cafman::manager& m, const command_line& cl) {
  const auto& c = cl.command;
  if (c == "info") {
    expect_args(cl, 0, "info");
    auto info = m.info();
    info.as_dict().insert_or_assign("cluster", cluster_summary(m.cluster_map(), cl));
    show_info(info, cl);
  } else if (c == "clients") {
    expect_args(cl, 0, "clients");
    show_clients(m.clients(), cl);
  } else if (c == "objects") {
    expect_args(cl, 0, "objects [--type TYPE]");
    show_objects(m.debug_info(true), cl);
  } else if (c == "names") {
    expect_args(cl, 0, "names");
    cafman::list_value names;
    for (auto& name : m.names())
      names.emplace_back(name);
    if (cl.json)
      show_value(cafman::value{names}, cl);
    else
      for (auto& name : names)
        std::cout << name.as_string() << "\n";
  } else if (c == "get") {
    expect_args(cl, 1, "get NAME");
    auto node = m.on_node_of(cl.args[0]); // a cluster keeps a name on its slot's node
    show_value(node.dump(node.get<cafman::custom_proxy>(cl.args[0]).id()), cl);
  } else if (c == "dump") {
    expect_args(cl, 1, "dump ID");
    show_value(m.dump(id_of(cl.args[0])), cl);
  } else if (c == "publish") {
    expect_args(cl, 2, "publish NAME TYPE");
    auto node = m.on_node_of(cl.args[0]);
    node.publish(cl.args[0], node.create(cl.args[1]));
  } else if (c == "cluster") {
    expect_args(cl, 1, "cluster info");
    if (cl.args[0] != "info")
      throw po::error("cluster " + cl.args[0] + ": expected cluster info or cluster create ADDRESS...");
    show_cluster(m.cluster_map(), cl);
  } else if (c == "unpublish") {
    expect_args(cl, 1, "unpublish NAME");
    m.unpublish(cl.args[0]);
  } else if (c == "shutdown") {
    expect_args(cl, 0, "shutdown");
    m.shutdown_server();
  } else {
    throw po::error("unknown command '" + c +
                    "' (commands: info, clients, objects, names, get, dump, publish, "
                    "unpublish, shutdown, cluster info, cluster create)");
  }
}

// The key from --authkey-file or $CAFMAN_AUTHKEY, never from the command line.
cafman::authkey authkey_from(const po::variables_map& vm) {
  auto file = vm.count("authkey-file") ? std::optional{vm["authkey-file"].as<std::string>()}
                                       : std::nullopt;
  if (auto key = cafman::authkey::from_file_or_env(file))
    return *key;
  throw po::error("no authkey: pass --authkey-file FILE or set CAFMAN_AUTHKEY");
}

std::string address_from(const po::variables_map& vm) {
  if (vm.count("address"))
    return vm["address"].as<std::string>();
  if (auto env = std::getenv("CAFMAN_ADDRESS"))
    return env;
  throw po::error("no address: pass --address HOST:PORT (or unix:/path) or set CAFMAN_ADDRESS");
}

} // namespace

int main(int argc, char** argv) {
  po::options_description desc{
    "cafman: looks inside a running cafman manager and operates it.\n"
    "Usage: cafman [options] COMMAND [ARGS]\n"
    "Commands: info, clients, objects [--type TYPE], names, get NAME, dump ID,\n"
    "          publish NAME TYPE, unpublish NAME, shutdown,\n"
    "          cluster info, cluster create ADDRESS... (nodes in slot order)\n"
    "Options"};
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("address,a", po::value<std::string>(),
     "the manager: HOST:PORT or unix:PATH (default: $CAFMAN_ADDRESS)")
    ("authkey-file", po::value<std::string>(),
     "file holding the manager's key (default: $CAFMAN_AUTHKEY); never on the command line")
    ("json", "print JSON instead of tables")
    ("type", po::value<std::string>(), "objects: only those of this type id")
    ("timeout", po::value<unsigned>()->default_value(5000), "milliseconds per call")
    ("command", po::value<std::string>(), "what to do")
    ("args", po::value<std::vector<std::string>>(), "its arguments");
  cafman::net::add_tls_options(desc, true);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "cafman " << cafman::version() << "\n";
      return 0;
    }
    command_line cl;
    if (!vm.count("command"))
      throw po::error("no command (try --help)");
    cl.command = vm["command"].as<std::string>();
    if (vm.count("args"))
      cl.args = vm["args"].as<std::vector<std::string>>();
    if (vm.count("type"))
      cl.type_filter = vm["type"].as<std::string>();
    cl.json = vm.count("json") > 0;
    cafman::connection_options options;
    options.timeout = std::chrono::milliseconds{vm["timeout"].as<unsigned>()};
    options.tls = cafman::net::tls_options_from(vm);
    if (cl.command == "cluster" && !cl.args.empty() && cl.args[0] == "create") {
      if (cl.args.size() < 2)
        throw po::error("cluster create needs the nodes' addresses, in slot order");
      cafman::create_cluster({cl.args.begin() + 1, cl.args.end()}, authkey_from(vm), options);
      std::cout << "cluster of " << cl.args.size() - 1 << " nodes created\n";
      return 0;
    }
    auto m = cafman::connect(address_from(vm), authkey_from(vm), options);
    run(m, cl);
    return 0;
  } catch (const po::error& e) {
    std::cerr << "cafman: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cafman: " << e.what() << "\n";
    return 1;
  }
}
