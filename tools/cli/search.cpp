// `midilib search`: the options checked and turned into a search_request, the page printed as a
// table on a terminal and as JSON lines otherwise.

#include "tools/cli/commands.hpp"
#include "tools/cli/search_facets.hpp"

#include "db/library_search.hpp"
#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

namespace midilib {

namespace {

struct search_cli
{
    std::string text;
    facet_options facets;
    std::string after;
    bool json = false;
    int limit = 20;
};

/** The request the options ask for. \throws std::invalid_argument naming the option that is wrong. */
search_request make_request(search_cli const &o)
{
    search_request r;
    r.text = o.text;
    apply_facets(o.facets, r);
    r.limit = o.limit;
    r.after = o.after;
    return r;
}

void print_json_lines(search_page const &page)
{
    for (auto const &h : page.hits) {
        auto j = hit_json(h);
        j["rank"] = h.rank;
        j["fuzzy"] = page.fuzzy;
        j["cursor"] = h.cursor;
        std::cout << j.dump() << '\n';
    }
}

/// The table a terminal gets: every text in it goes through terminal_safe() (paths come from files).
void print_table(search_request const &r, search_page const &page)
{
    if (page.fuzzy) {
        fmt::print("nothing matches \"{}\"; file names like it:\n", terminal_safe(r.text));
    }
    fmt::print("{:>7}  {:>6}  {:<9}  {:>5}  {:>7}  {}\n", "id", "bpm", "key", "meter", "length", "path");
    for (auto const &h : page.hits) {
        fmt::print("{:>7}  {:>6.1f}  {:<9}  {:>5}  {:>5.0f} s  {}\n", h.id, h.tempo_bpm, terminal_safe(h.key_name),
                   terminal_safe(h.time_signature), h.duration_seconds, terminal_safe(h.path));
    }
    if (static_cast<int>(page.hits.size()) == r.limit && !page.hits.back().cursor.empty()) {
        fmt::print("more: add --after '{}'\n", terminal_safe(page.hits.back().cursor));
    }
}

int run(global_options const &g, search_cli const &o)
{
    auto const r = make_request(o);
    auto const page = session{open_database(g), "midilib.search"}.search(r);
    if (page.hits.empty()) {
        // As grep: exit 1, and a line on stderr so that an empty pipe is not taken for an error.
        fmt::print(stderr, "{}\n", r.after.empty() ? "no file matches" : "no more files match");
        return 1;
    }
    if (!o.json && ::isatty(STDOUT_FILENO) != 0) {
        print_table(r, page);
    } else {
        print_json_lines(page);
    }
    return 0;
}

} // namespace

command add_search_command(CLI::App &app)
{
    auto o = std::make_shared<search_cli>();
    auto *search = app.add_subcommand("search",
                                      "find files: words of names, tracks, instruments and texts, and facets");
    search->add_option("query", o->text, "words, \"a phrase\", -exclude, or; the last word also matches as a prefix");
    add_facet_options(*search, o->facets);
    search->add_option("--limit", o->limit, "results per page")->capture_default_str()->check(CLI::Range(1, 10000));
    search->add_option("--after", o->after, "continue after this cursor (from the previous page)");
    search->add_flag("--json", o->json, "JSON lines (the default when the output is not a terminal)");
    return {search, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
