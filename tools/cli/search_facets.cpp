#include "tools/cli/search_facets.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace midilib {

namespace {

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

} // namespace

void add_facet_options(CLI::App &app, facet_options &o)
{
    app.add_option("--bpm", o.bpm, "tempo or range, e.g. 120-130");
    app.add_option("--key", o.key, "key, e.g. \"A minor\", F#, Bbm");
    app.add_option("--ts", o.ts, "time signature, e.g. 3/4");
    app.add_option("--duration", o.duration, "length in seconds or range, e.g. 30-120");
    app.add_option("--tracks", o.tracks, "track count or range");
    app.add_option("--instrument", o.instrument, "GM instrument or family word, e.g. piano, strings");
    app.add_option("--folder", o.folder, "only files under this folder (or archive)");
    app.add_flag("--drums", o.drums, "only files with drums");
    app.add_flag("--no-drums", o.no_drums, "only files without drums");
}

void apply_facets(facet_options const &o, search_request &r)
{
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
}

nlohmann::json hit_json(search_hit const &h)
{
    return {{"id", h.id},
            {"path", h.path},
            {"tempo_bpm", h.tempo_bpm},
            {"key", h.key_name},
            {"time_signature", h.time_signature},
            {"duration_seconds", h.duration_seconds},
            {"tracks", h.tracks},
            {"drums", h.drums}};
}

} // namespace midilib
