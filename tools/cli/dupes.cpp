// `midilib dupes`: the works that the library holds in several versions, biggest first, each
// version with what tells it apart from the first.

#include "tools/cli/commands.hpp"

#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

namespace midilib {

namespace {

struct dupes_cli
{
    std::string folder;
    int min_versions = 2;
    int limit = 20;
    bool json = false;
};

nlohmann::json optional_json(auto const &v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

/// One JSON object per work: its id, and its versions with what differs from the first.
void print_json_lines(std::vector<work_group> const &works)
{
    for (auto const &w : works) {
        nlohmann::json versions = nlohmann::json::array();
        for (auto const &v : w.versions) {
            versions.push_back({{"id", v.id},
                                {"path", v.path},
                                {"paths", v.paths},
                                {"key", optional_json(v.key)},
                                {"tempo_bpm", v.tempo_bpm},
                                {"duration_seconds", v.duration_seconds},
                                {"format", v.format},
                                {"tracks", v.tracks},
                                {"ppq", optional_json(v.ppq)},
                                {"fingerprint", optional_json(v.print_kind)},
                                {"differs", version_difference(w.versions.front(), v)}});
        }
        std::cout << nlohmann::json{{"work_id", w.work_id}, {"versions", versions}}.dump() << '\n';
    }
}

/// A line per work, its versions indented; every text from a file goes through terminal_safe().
void print_table(std::vector<work_group> const &works)
{
    for (auto const &w : works) {
        fmt::print("work {}: {} versions\n", w.work_id, w.versions.size());
        for (auto const &v : w.versions) {
            auto const differs = version_difference(w.versions.front(), v);
            fmt::print("  {:>7}  {:<9}  {:>6.1f}  {}{}{}\n", v.id, terminal_safe(v.key.value_or("")), v.tempo_bpm,
                       terminal_safe(v.path), v.paths > 1 ? fmt::format(" (+{} paths)", v.paths - 1) : "",
                       differs.empty() ? "" : "  [" + terminal_safe(differs) + "]");
        }
    }
}

int run(global_options const &g, dupes_cli const &o)
{
    dupes_request r;
    if (!o.folder.empty()) {
        r.folder = std::filesystem::absolute(o.folder).lexically_normal().string();
    }
    r.min_versions = o.min_versions;
    r.limit = o.limit;
    auto const works = session{open_database(g), "midilib.dupes"}.dupes(r);
    if (works.empty()) {
        fmt::print(stderr, "no work has {} versions or more\n", r.min_versions);
        return 1;
    }
    if (!o.json && ::isatty(STDOUT_FILENO) != 0) {
        print_table(works);
    } else {
        print_json_lines(works);
    }
    return 0;
}

} // namespace

command add_dupes_command(CLI::App &app)
{
    auto o = std::make_shared<dupes_cli>();
    auto *dupes = app.add_subcommand("dupes", "works held in several versions (copies edited, re-saved, transposed)");
    dupes->add_option("--folder", o->folder, "only versions under this folder (or archive)");
    dupes->add_option("--min-versions", o->min_versions, "works with at least this many versions")
        ->capture_default_str()
        ->check(CLI::Range(2, 1000000));
    dupes->add_option("--limit", o->limit, "works per page")->capture_default_str()->check(CLI::Range(1, 10000));
    dupes->add_flag("--json", o->json, "JSON lines (the default when the output is not a terminal)");
    return {dupes, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
