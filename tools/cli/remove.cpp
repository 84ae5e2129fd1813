// `midilib remove PATH...`: forget folders, files or archives (gone from the disk or not).

#include "tools/cli/commands.hpp"

#include "db/session.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace midilib {

namespace {

struct remove_cli
{
    std::vector<std::string> paths;
    bool dry_run = false;
};

/// The key of a path as the user typed it (its bytes): absolute, normalized, without a trailing "/".
std::string root_key(std::string const &typed)
{
    auto p = std::filesystem::absolute(typed).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/') {
        p.pop_back();
    }
    return p;
}

int run(global_options const &g, remove_cli const &o)
{
    std::vector<std::string> roots;
    for (auto const &typed : o.paths) {
        roots.push_back(root_key(typed));
    }
    auto const f = session{open_database(g), "midilib.remove"}.remove(roots, o.dry_run);
    fmt::print("{}{} paths, {} error rows and {} archives removed; {} contents are now missing "
               "(out of search; `midilib prune` deletes them)\n",
               o.dry_run ? "dry run, nothing changed: " : "", f.paths, f.errors, f.archives, f.missing);
    return 0;
}

} // namespace

command add_remove_command(CLI::App &app)
{
    auto o = std::make_shared<remove_cli>();
    auto *remove = app.add_subcommand("remove", "forget folders, files or archives (and everything under them)");
    remove->add_option("paths", o->paths, "folders, files or archives, as imported")->required();
    remove->add_flag("--dry-run", o->dry_run, "count what would be removed, change nothing");
    return {remove, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
