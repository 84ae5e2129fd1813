// `midilib db start|stop|status|url`: the embedded database.

#include "tools/cli/commands.hpp"

#include "db/database_config.hpp"
#include "db/embedded_cluster.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace midilib {

namespace {

struct db_cli
{
    std::string action;
    bool json = false;
};

/// `db status --json`: the same facts, typed (pid is null when the server is not running).
void print_status_json(cluster_status const &st)
{
    std::cout << nlohmann::json{{"data_dir", st.data_dir.string()},
                                {"initialized", st.initialized},
                                {"running", st.running},
                                {"pid", st.running ? nlohmann::json(st.pid) : nlohmann::json(nullptr)},
                                {"conninfo", st.conninfo}}
                     .dump()
              << '\n';
}

/// `url` prints the conninfo as is, for scripts; the other lines are for a terminal and quote paths
/// through terminal_safe().
int run(global_options const &g, db_cli const &o)
{
    auto const &action = o.action;
    if (o.json && action != "status") {
        throw std::invalid_argument{fmt::format("--json: `midilib db {}` has no JSON form (`db status` has)", action)};
    }
    auto const choice = choose_database(g.db, g.data_dir);
    if (!choice.embedded) {
        if (action == "url") {
            fmt::print("{}\n", choice.conninfo);
            return 0;
        }
        throw std::runtime_error{
            fmt::format("`midilib db {}` manages the embedded database, but a database is configured by {}", action,
                        choice.source)};
    }
    embedded_cluster cluster{choice.data_dir};
    if (action == "start") {
        cluster.ensure_running();
        fmt::print("running: {}\n", terminal_safe(cluster.conninfo()));
    } else if (action == "stop") {
        cluster.stop();
        fmt::print("stopped: {}\n", terminal_safe(choice.data_dir.string()));
    } else if (action == "status") {
        auto const st = cluster.status();
        if (o.json) {
            print_status_json(st);
            return st.running ? 0 : 3;
        }
        fmt::print("data dir: {}\ninitialized: {}\nrunning: {}{}\nconninfo: {}\n", terminal_safe(st.data_dir.string()),
                   st.initialized ? "yes" : "no", st.running ? "yes" : "no",
                   st.running ? fmt::format(" (pid {})", st.pid) : "", terminal_safe(st.conninfo));
        return st.running ? 0 : 3;
    } else {
        fmt::print("{}\n", cluster.conninfo());
    }
    return 0;
}

} // namespace

command add_db_command(CLI::App &app)
{
    auto o = std::make_shared<db_cli>();
    auto *db = app.add_subcommand("db", "manage the embedded database");
    db->add_option("action", o->action, "start | stop | status | url")
        ->required()
        ->check(CLI::IsMember({"start", "stop", "status", "url"}));
    db->add_flag("--json", o->json, "status as one JSON object");
    return {db, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
