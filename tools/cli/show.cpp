// `midilib show ID`: every column stored about one file and every path it was seen at.

#include "tools/cli/commands.hpp"

#include "db/library_search.hpp"
#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace midilib {

namespace {

struct show_cli
{
    std::string id; // parsed by run(): "abc" and ids beyond a bigint get one clear line
    bool json = false;
};

/// A file id as printed by search: a whole number that fits a bigint.
std::int64_t parse_id(std::string const &text)
{
    std::int64_t id = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw std::invalid_argument{fmt::format("show: expected a file id (a whole number, as printed by search), "
                                                "got \"{}\"",
                                                text.substr(0, 64))};
    }
    return id;
}

void print_json(file_details const &details)
{
    nlohmann::json j;
    for (auto const &[name, value] : details.fields) {
        j[name] = value;
    }
    for (auto const &p : details.paths) {
        j["paths"].push_back(
            {{"path", p.path}, {"size_bytes", p.size_bytes}, {"mtime", p.mtime}, {"archive", p.archive}});
    }
    std::cout << j.dump() << '\n';
}

/// For a terminal: names, texts and paths come from the file, and are printed through terminal_safe().
void print_text(file_details const &details)
{
    for (auto const &[name, value] : details.fields) {
        fmt::print("{:>18}: {}\n", terminal_safe(name), terminal_safe(value));
    }
    fmt::print("{:>18}: {}\n", "seen at",
               details.paths.empty()       ? "no path: gone from the disk, out of search (`midilib prune` deletes it)"
               : details.paths.size() == 1 ? "1 path"
                                           : fmt::format("{} paths", details.paths.size()));
    for (auto const &p : details.paths) {
        fmt::print("{:>18}  {} ({} bytes, modified {}){}\n", "", terminal_safe(p.path), p.size_bytes,
                   terminal_safe(p.mtime),
                   p.archive.empty() ? "" : "\n" + std::string(20, ' ') + "inside archive " + terminal_safe(p.archive));
    }
}

int run(global_options const &g, show_cli const &o)
{
    auto const id = parse_id(o.id);
    auto const details = session{open_database(g), "midilib.show"}.show(id);
    if (!details) {
        fmt::print(stderr, "error: no file with id {} in the library\n", id);
        return 1;
    }
    if (o.json) {
        print_json(*details);
    } else {
        print_text(*details);
    }
    return 0;
}

} // namespace

command add_show_command(CLI::App &app)
{
    auto o = std::make_shared<show_cli>();
    auto *show = app.add_subcommand("show", "everything stored about one file (ID from search)");
    show->add_option("id", o->id, "the file's id")->required();
    show->add_flag("--json", o->json, "one JSON object");
    return {show, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
