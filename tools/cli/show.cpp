// `midilib show ID`: what the library knows about one file (its facts, its analysis, every path),
// in sections for a terminal or as one typed JSON object.

#include "tools/cli/commands.hpp"

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

using nlohmann::json;

struct show_cli
{
    std::string id; // parsed by run(): "abc" and ids beyond a bigint get one clear line
    bool json = false;
};

/// Elements of an array shown in a line before "… and N more".
constexpr std::size_t LIST_CAP = 24;

void print_json(file_details const &details)
{
    json j = details.file;
    j["analysis"] = details.analysis;
    j["paths"] = json::array();
    for (auto const &p : details.paths) {
        j["paths"].push_back({{"path", p.path},
                              {"size_bytes", p.size_bytes},
                              {"mtime", p.mtime},
                              {"archive", p.archive ? json(*p.archive) : json(nullptr)}});
    }
    j["versions"] = json::array();
    for (auto const &v : details.versions) {
        j["versions"].push_back({{"id", v.id},
                                 {"path", v.path},
                                 {"key", v.key ? json(*v.key) : json(nullptr)},
                                 {"tempo_bpm", v.tempo_bpm}});
    }
    std::cout << j.dump() << '\n';
}

/// A value as text for a terminal ("" for null or absent), through terminal_safe().
std::string text(json const &j, char const *name)
{
    auto const it = j.find(name);
    if (it == j.end() || it->is_null()) {
        return "";
    }
    if (it->is_number_float()) {
        return fmt::format("{:.1f}", it->get<double>());
    }
    return terminal_safe(it->is_string() ? it->get<std::string>() : it->dump());
}

/// The elements of an array, joined with @p sep, the first LIST_CAP of them.
std::string list(json const &j, char const *name, char const *sep = ", ")
{
    auto const it = j.find(name);
    if (it == j.end() || !it->is_array() || it->empty()) {
        return "";
    }
    std::string out;
    for (std::size_t i = 0; i < it->size() && i < LIST_CAP; ++i) {
        auto const &e = (*it)[i];
        out += (i == 0 ? "" : sep) + (e.is_number_float()
                                          ? fmt::format("{:.2f}", e.get<double>())
                                          : terminal_safe(e.is_string() ? e.get<std::string>() : e.dump()));
    }
    return it->size() > LIST_CAP ? fmt::format("{} … and {} more", out, it->size() - LIST_CAP) : out;
}

/// The program of each channel that has one ("ch10 0"): programs holds one per channel, 1 to 16.
std::string programs(json const &f)
{
    std::string out;
    auto const it = f.find("programs");
    for (std::size_t i = 0; it != f.end() && it->is_array() && i < it->size(); ++i) {
        if ((*it)[i].is_number()) {
            out += fmt::format("{}ch{} {}", out.empty() ? "" : ", ", i + 1, (*it)[i].dump());
        }
    }
    return out;
}

/// "  name: value", when there is a value.
void line(char const *name, std::string const &value)
{
    if (!value.empty()) {
        fmt::print("{:>18}: {}\n", name, value);
    }
}

void print_file(json const &f)
{
    fmt::print("file {}\n", text(f, "id"));
    line("hash", text(f, "hash"));
    line("size", text(f, "size_bytes") + " bytes");
    line("format",
         fmt::format("SMF {}, {} tracks ({} declared), {}", text(f, "format"), text(f, "track_count"),
                     text(f, "declared_tracks"),
                     text(f, "division") == "ppq" ? text(f, "ppq") + " ticks per quarter"
                                                  : fmt::format("SMPTE {} fps, {} ticks per frame",
                                                                text(f, "smpte_fps"), text(f, "ticks_per_frame"))));
    line("length", fmt::format("{} s ({} ticks)", text(f, "duration_seconds"), text(f, "duration_ticks")));
    line("tempo map", fmt::format("{} tempo events; first {} bpm, {}–{}, mean {}", text(f, "tempo_events"),
                                  text(f, "tempo_first_bpm"), text(f, "tempo_min_bpm"), text(f, "tempo_max_bpm"),
                                  text(f, "tempo_mean_bpm")));
    line("time signatures", list(f, "time_signatures"));
    line("key signatures", list(f, "key_signatures"));
    line("notes", text(f, "note_count"));
    line("channels", list(f, "channels_used"));
    line("programs", programs(f));
    line("track names", list(f, "track_names", " | "));
    line("texts", list(f, "texts", " | "));
    line("lyrics", list(f, "lyrics", " "));
    line("copyrights", list(f, "copyrights", " | "));
    line("markers", list(f, "markers", " | "));
    line("warnings", list(f, "warnings", " | "));
    line("imported", text(f, "imported_at"));
    line("missing since", text(f, "missing_since"));
}

void print_analysis(json const &a)
{
    if (a.is_null()) {
        fmt::print("analysis: not yet (`midilib worker` analyzes the queued files)\n");
        return;
    }
    fmt::print("analysis (analyzer version {}, {})\n", text(a, "analyzer_version"), text(a, "analyzed_at"));
    if (!text(a, "key_name").empty()) {
        line("key", fmt::format("{} (confidence {:.2f}{}), runner-up {}", text(a, "key_name"),
                                a.value("key_confidence", 0.0), a.value("key_clear", false) ? ", clear" : ", not clear",
                                text(a, "key_runner_up").empty() ? "none" : text(a, "key_runner_up")));
    } else {
        line("key", "none found (too few notes, or drums only)");
    }
    line("modulations", list(a, "modulations"));
    auto const estimated = text(a, "tempo_estimated_bpm").empty()
                               ? std::string{"no estimate"}
                               : fmt::format("estimated {} bpm (confidence {:.2f})", text(a, "tempo_estimated_bpm"),
                                             a.value("tempo_estimate_confidence", 0.0));
    line("tempo", fmt::format("{} bpm {}; {}; {} changes", text(a, "tempo_bpm"),
                              a.value("tempo_declared", false) ? "declared" : "not declared", estimated,
                              text(a, "tempo_changes")));
    line("chords", fmt::format("{} distinct, {} changes per minute", text(a, "chords_distinct"),
                               text(a, "chord_changes_per_minute")));
    line("progression", list(a, "chord_progression", " "));
    line("drums", a.value("has_drums", false) ? fmt::format("yes, {} hits per bar", text(a, "drum_hits_per_bar"))
                                              : std::string{"no"});
    line("drum kit", list(a, "drum_kit"));
    if (a.value("has_drums", false)) {
        line("groove", list(a, "groove", " ") + " (hits per bar on each 16th)");
    }
    line("swing", text(a, "swing"));
    line("instruments", list(a, "instruments"));
    line("families", list(a, "instrument_families"));
    line("notes",
         fmt::format("{} in {} bars, pitch {}–{}, velocity {} ± {}", text(a, "note_count"), text(a, "bars"),
                     text(a, "pitch_min"), text(a, "pitch_max"), text(a, "velocity_mean"), text(a, "velocity_stdev")));
    line("fingerprint", text(a, "print_kind").empty() ? std::string{"none (too short or too empty to identify)"}
                                                      : text(a, "print_kind"));
    line("polyphony",
         fmt::format("max {}, mean {}, {} notes per second{}", text(a, "polyphony_max"), text(a, "polyphony_mean"),
                     text(a, "notes_per_second"), a.value("monophonic", false) ? ", monophonic" : ""));
}

/// For a terminal: names, texts and paths come from the file, and are printed through terminal_safe().
void print_text(file_details const &details)
{
    print_file(details.file);
    print_analysis(details.analysis);
    fmt::print("{}\n", details.paths.empty() ? "no path: gone from the disk, out of search (`midilib prune` deletes it)"
                                             : fmt::format("seen at {} path{}", details.paths.size(),
                                                           details.paths.size() == 1 ? "" : "s"));
    for (auto const &p : details.paths) {
        fmt::print("  {} ({} bytes, modified {})\n", terminal_safe(p.path), p.size_bytes, terminal_safe(p.mtime));
        if (p.archive) {
            fmt::print("    inside archive {}\n", terminal_safe(*p.archive));
        }
    }
    if (!details.versions.empty()) {
        fmt::print("work {}: {} other version{} (`midilib dupes` lists works)\n", text(details.file, "work_id"),
                   details.versions.size(), details.versions.size() == 1 ? "" : "s");
        for (auto const &v : details.versions) {
            fmt::print("  {:>7}  {:<9}  {:>6.1f}  {}\n", v.id, terminal_safe(v.key.value_or("")), v.tempo_bpm,
                       terminal_safe(v.path));
        }
    }
}

int run(global_options const &g, show_cli const &o)
{
    auto const id = parse_file_id("show", o.id);
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
    auto *show = app.add_subcommand("show", "what the library knows about one file (ID from search)");
    show->add_option("id", o->id, "the file's id")->required();
    show->add_flag("--json", o->json, "one JSON object, typed (the analysis under \"analysis\")");
    return {show, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
