// `midilib migrate [status|up|verify|print]`: the schema migrations, against the files beside
// the binary.

#include "tools/cli/commands.hpp"

#include "db/database_config.hpp"
#include "db/migrator.hpp"
#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace midilib {

namespace {

/// One line per migration file (pending, or applied and whether its checksum still matches), and
/// one per applied version without a file (names and roles read from the database through
/// terminal_safe()). \returns 1 when there is drift.
int print_status(std::vector<migration> const &known, std::vector<applied_migration> const &applied,
                 std::vector<migration_drift> const &drift)
{
    for (auto const &m : known) {
        auto const a = std::find_if(applied.begin(), applied.end(),
                                    [&](auto const &x) { return x.version == m.version; });
        if (a == applied.end()) {
            fmt::print("{:04}  {:<32} pending{}\n", m.version, terminal_safe(m.name),
                       m.transactional ? "" : " (no transaction)");
            continue;
        }
        std::string const check = !a->checksum                 ? "no checksum (applied with psql)"
                                  : *a->checksum == m.checksum ? "checksum ok"
                                                               : "CHANGED SINCE APPLIED";
        fmt::print("{:04}  {:<32} applied {} by {}{}, {}\n", m.version, terminal_safe(m.name), a->applied_at,
                   terminal_safe(a->applied_by), a->duration_ms ? fmt::format(" in {:.0f} ms", *a->duration_ms) : "",
                   check);
    }
    for (auto const &a : applied) {
        if (std::none_of(known.begin(), known.end(), [&](auto const &m) { return m.version == a.version; })) {
            fmt::print("{:04}  {:<32} applied {} by {}, NO FILE for it here\n", a.version, terminal_safe(a.name),
                       a.applied_at, terminal_safe(a.applied_by));
        }
    }
    return drift.empty() ? 0 : 1;
}

/// `migrate status --json`: one object, each migration with its state ("pending", "applied" or
/// "no_file"), and the drift. \returns 1 when there is drift.
int print_status_json(std::vector<migration> const &known, std::vector<applied_migration> const &applied,
                      std::vector<migration_drift> const &drift)
{
    auto const applied_json = [](applied_migration const &a, migration const *m) {
        return nlohmann::json{
            {"version", a.version},
            {"name", m != nullptr ? m->name : a.name},
            {"state", m != nullptr ? "applied" : "no_file"},
            {"transactional", m != nullptr ? nlohmann::json(m->transactional) : nlohmann::json(nullptr)},
            {"applied_at", a.applied_at},
            {"applied_by", a.applied_by},
            {"duration_ms", a.duration_ms ? nlohmann::json(*a.duration_ms) : nlohmann::json(nullptr)},
            {"checksum_matches",
             m != nullptr && a.checksum ? nlohmann::json(*a.checksum == m->checksum) : nlohmann::json(nullptr)}};
    };
    nlohmann::json list = nlohmann::json::array();
    for (auto const &m : known) {
        auto const a = std::find_if(applied.begin(), applied.end(),
                                    [&](auto const &x) { return x.version == m.version; });
        list.push_back(a != applied.end() ? applied_json(*a, &m)
                                          : nlohmann::json{{"version", m.version},
                                                           {"name", m.name},
                                                           {"state", "pending"},
                                                           {"transactional", m.transactional},
                                                           {"applied_at", nullptr},
                                                           {"applied_by", nullptr},
                                                           {"duration_ms", nullptr},
                                                           {"checksum_matches", nullptr}});
    }
    for (auto const &a : applied) {
        if (std::none_of(known.begin(), known.end(), [&](auto const &m) { return m.version == a.version; })) {
            list.push_back(applied_json(a, nullptr));
        }
    }
    nlohmann::json drifts = nlohmann::json::array();
    for (auto const &d : drift) {
        drifts.push_back({{"version", d.version}, {"what", d.what}});
    }
    std::cout << nlohmann::json{{"schema_version", applied.empty() ? 0 : applied.back().version},
                                {"migrations", list},
                                {"drift", drifts}}
                     .dump()
              << '\n';
    return drift.empty() ? 0 : 1;
}

int run(global_options const &g, std::string const &action, bool json)
{
    if (json && action != "status") {
        throw std::invalid_argument{
            fmt::format("--json: `midilib migrate {}` has no JSON form (`migrate status` has)", action)};
    }
    auto const choice = choose_database(g.db, g.data_dir);
    session s{connect_string(choice), "midilib.migrate"};
    auto const known = load_migrations(migrations_dir());
    if (action == "up") {
        int const n = s.migrate_up(known);
        auto const applied = s.applied_migrations();
        fmt::print("{} migration(s) applied; schema at version {:04}\n", n,
                   applied.empty() ? 0 : applied.back().version);
        return 0;
    }
    auto const applied = s.applied_migrations();
    if (action == "print") {
        std::cout << pending_sql(known, applied);
        return 0;
    }
    auto const drift = verify_migrations(known, applied);
    if (action == "status") {
        return json ? print_status_json(known, applied, drift) : print_status(known, applied, drift);
    }
    // verify
    for (auto const &d : drift) {
        fmt::print("drift: {}\n", terminal_safe(d.what));
    }
    if (drift.empty()) {
        fmt::print("{} applied migration(s) match their files\n", applied.size());
        return 0;
    }
    return 1;
}

} // namespace

command add_migrate_command(CLI::App &app)
{
    auto action = std::make_shared<std::string>("up");
    auto json = std::make_shared<bool>(false);
    auto *migrate = app.add_subcommand("migrate", "schema migrations: status, up (default), verify, print");
    migrate->add_option("action", *action, "status | up | verify | print")
        ->check(CLI::IsMember({"status", "up", "verify", "print"}));
    migrate->add_flag("--json", *json, "status as one JSON object");
    return {migrate, [action, json](global_options const &g) { return run(g, *action, *json); }};
}

} // namespace midilib
