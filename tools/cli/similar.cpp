// `midilib similar ID`: the live contents nearest to one by musical content (feature vectors),
// filtered by search's facets; a table on a terminal, JSON lines otherwise.

#include "tools/cli/commands.hpp"
#include "tools/cli/search_facets.hpp"

#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace midilib {

namespace {

struct similar_cli
{
    std::string id; // parsed by run(): "abc" and ids beyond a bigint get one clear line
    facet_options facets;
    bool versions = false;
    bool json = false;
    int limit = 20;
};

/** A file id as search prints it. \throws std::invalid_argument for anything else. */
void print_json_lines(similar_result const &result)
{
    for (auto const &h : result.hits) {
        auto j = hit_json(h.file);
        j["distance"] = h.distance;
        std::cout << j.dump() << '\n';
    }
}

/// The table a terminal gets: every text in it goes through terminal_safe() (paths come from files).
void print_table(similar_result const &result)
{
    fmt::print("{:>7}  {:>8}  {:>6}  {:<9}  {:>5}  {:>7}  {}\n", "id", "distance", "bpm", "key", "meter", "length",
               "path");
    for (auto const &h : result.hits) {
        auto const &f = h.file;
        fmt::print("{:>7}  {:>8.3f}  {:>6.1f}  {:<9}  {:>5}  {:>5.0f} s  {}\n", f.id, h.distance, f.tempo_bpm,
                   terminal_safe(f.key_name), terminal_safe(f.time_signature), f.duration_seconds,
                   terminal_safe(f.path));
    }
}

int run(global_options const &g, similar_cli const &o)
{
    similar_request r;
    r.id = parse_file_id("similar", o.id);
    apply_facets(o.facets, r.facets);
    r.facets.limit = o.limit;
    r.versions = o.versions;
    auto const result = session{open_database(g), "midilib.similar"}.similar(r);
    if (result.outcome == similar_outcome::no_file) {
        fmt::print(stderr, "error: no file with id {} in the library\n", r.id);
        return 1;
    }
    if (result.outcome == similar_outcome::no_features) {
        fmt::print(stderr,
                   "error: file {} has no feature vector yet (not analyzed, or by an older version):"
                   " `midilib analyze --requeue` and a `midilib worker` compute it\n",
                   r.id);
        return 1;
    }
    if (result.hits.empty()) {
        fmt::print(stderr,
                   "no other file matches\n"); // as search: exit 1, and a line so that an empty pipe is explained
        return 1;
    }
    if (!o.json && ::isatty(STDOUT_FILENO) != 0) {
        print_table(result);
    } else {
        print_json_lines(result);
    }
    return 0;
}

} // namespace

command add_similar_command(CLI::App &app)
{
    auto o = std::make_shared<similar_cli>();
    auto *similar = app.add_subcommand("similar", "files that sound like one file (ID from search), nearest first");
    similar->add_option("id", o->id, "the file's id")->required();
    add_facet_options(*similar, o->facets);
    similar->add_flag("--versions", o->versions, "include the file's other versions (its copies in the same work)");
    similar->add_option("--limit", o->limit, "files listed")->capture_default_str()->check(CLI::Range(1, 10000));
    similar->add_flag("--json", o->json, "JSON lines (the default when the output is not a terminal)");
    return {similar, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
