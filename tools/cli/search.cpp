// `midilib search`: the options checked and turned into a search_request, the page printed as a
// table on a terminal and as JSON lines otherwise.

#include "tools/cli/commands.hpp"

#include "db/library_search.hpp"
#include "db/session.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace midilib {

namespace {

struct search_cli
{
    std::string text;
    std::string bpm, key, ts, duration, tracks, instrument, folder, after;
    bool drums = false;
    bool no_drums = false;
    bool json = false;
    int limit = 20;
};

/// "120-130" or "120" as an inclusive range of numbers >= 0 (tempo, length, tracks); anything
/// else in the text is an error.
std::pair<double, double> parse_range(std::string const &text, char const *option)
{
    auto const number = [](std::string const &part) {
        std::size_t used = 0;
        double const v = std::stod(part, &used);
        if (used != part.size() || std::isnan(v) || v < 0) {
            throw std::invalid_argument{"junk"};
        }
        return v;
    };
    try {
        auto const dash = text.find('-', 1);
        double const lo = number(text.substr(0, dash));
        double const hi = dash == std::string::npos ? lo : number(text.substr(dash + 1));
        if (hi < lo) {
            throw std::invalid_argument{"order"};
        }
        return {lo, hi};
    } catch (std::exception const &) {
        throw std::invalid_argument{
            fmt::format("{}: expected a number or a range like 120-130, got \"{}\"", option, text.substr(0, 64))};
    }
}

/** The request the options ask for. \throws std::invalid_argument naming the option that is wrong. */
search_request make_request(search_cli const &o)
{
    search_request r;
    r.text = o.text;
    if (!o.bpm.empty()) {
        r.bpm = parse_range(o.bpm, "--bpm");
    }
    if (!o.duration.empty()) {
        r.duration = parse_range(o.duration, "--duration");
    }
    if (!o.tracks.empty()) {
        auto const t = parse_range(o.tracks, "--tracks");
        if (t.first < 0 || t.second > std::numeric_limits<int>::max()) {
            throw std::invalid_argument{fmt::format("--tracks: expected a range like 1-4, got \"{}\"", o.tracks)};
        }
        r.tracks = std::pair{static_cast<int>(t.first), static_cast<int>(t.second)};
    }
    if (!o.key.empty()) {
        r.key = parse_key(o.key);
        if (!r.key) {
            throw std::invalid_argument{
                fmt::format("--key: expected a key such as \"A minor\" or F#, got \"{}\"", o.key.substr(0, 64))};
        }
    }
    if (!o.ts.empty()) {
        auto const slash = o.ts.find('/');
        auto const digits = [](std::string_view d) {
            return !d.empty() && d.size() <= 3 && d.find_first_not_of("0123456789") == std::string_view::npos;
        };
        if (slash == std::string::npos || !digits(std::string_view{o.ts}.substr(0, slash)) ||
            !digits(std::string_view{o.ts}.substr(slash + 1))) {
            throw std::invalid_argument{
                fmt::format("--ts: expected a time signature such as 3/4 or 6/8, got \"{}\"", o.ts.substr(0, 64))};
        }
        r.time_signature = o.ts;
    }
    if (!o.instrument.empty()) {
        r.instrument = o.instrument;
    }
    if (!o.folder.empty()) {
        r.folder = std::filesystem::absolute(o.folder).lexically_normal().string();
    }
    if (o.drums || o.no_drums) {
        r.drums = o.drums;
    }
    r.limit = o.limit;
    r.after = o.after;
    return r;
}

void print_json_lines(search_page const &page)
{
    for (auto const &h : page.hits) {
        std::cout << nlohmann::json{{"id", h.id},
                                    {"path", h.path},
                                    {"tempo_bpm", h.tempo_bpm},
                                    {"key", h.key_name},
                                    {"time_signature", h.time_signature},
                                    {"duration_seconds", h.duration_seconds},
                                    {"tracks", h.tracks},
                                    {"drums", h.drums},
                                    {"rank", h.rank},
                                    {"fuzzy", page.fuzzy},
                                    {"cursor", h.cursor}}
                         .dump()
                  << '\n';
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
    search->add_option("--bpm", o->bpm, "tempo or range, e.g. 120-130");
    search->add_option("--key", o->key, "key, e.g. \"A minor\", F#, Bbm");
    search->add_option("--ts", o->ts, "time signature, e.g. 3/4");
    search->add_option("--duration", o->duration, "length in seconds or range, e.g. 30-120");
    search->add_option("--tracks", o->tracks, "track count or range");
    search->add_option("--instrument", o->instrument, "GM instrument or family word, e.g. piano, strings");
    search->add_option("--folder", o->folder, "only files under this folder (or archive)");
    search->add_flag("--drums", o->drums, "only files with drums");
    search->add_flag("--no-drums", o->no_drums, "only files without drums");
    search->add_option("--limit", o->limit, "results per page")->capture_default_str()->check(CLI::Range(1, 10000));
    search->add_option("--after", o->after, "continue after this cursor (from the previous page)");
    search->add_flag("--json", o->json, "JSON lines (the default when the output is not a terminal)");
    return {search, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
