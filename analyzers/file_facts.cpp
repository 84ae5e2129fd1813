#include "analyzers/file_facts.hpp"

#include "analyzers/tempo_map.hpp"
#include "smf/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace midilib {

namespace {

constexpr std::array<char const *, 15> MAJOR_KEYS{"Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C",
                                                  "G",  "D",  "A",  "E",  "B",  "F#", "C#"};
constexpr std::array<char const *, 15> MINOR_KEYS{"Ab", "Eb", "Bb", "F",  "C",  "G",  "D", "A",
                                                  "E",  "B",  "F#", "C#", "G#", "D#", "A#"};

/// Appends decoded text to @p out while the kind's byte budget lasts.
void add_text(std::vector<std::string> &out, std::size_t &used, byte_span payload)
{
    if (used >= MAX_TEXT_BYTES_PER_KIND) {
        return;
    }
    auto text = to_utf8(payload, MAX_TEXT_BYTES_PER_KIND - used);
    if (!text.empty()) {
        used += text.size();
        out.push_back(std::move(text));
    }
}

double bpm(std::uint32_t us_per_quarter) { return 60e6 / us_per_quarter; }

void summarize_tempo(tempo_map const &map, file_facts &f)
{
    auto const &points = map.points();
    f.tempo.first_bpm = bpm(points.front().us_per_quarter);
    f.tempo.min_bpm = f.tempo.max_bpm = f.tempo.first_bpm;
    for (auto const &p : points) {
        f.tempo.min_bpm = std::min(f.tempo.min_bpm, bpm(p.us_per_quarter));
        f.tempo.max_bpm = std::max(f.tempo.max_bpm, bpm(p.us_per_quarter));
    }
    // Time-weighted mean: quarter notes played divided by minutes elapsed.
    f.tempo.mean_bpm = f.tempo.first_bpm;
    if (f.duration_seconds > 0 && map.ppq() > 0) {
        f.tempo.mean_bpm = (static_cast<double>(f.duration_ticks) / map.ppq()) / (f.duration_seconds / 60.0);
    }
}

} // namespace

file_facts extract_facts(smf_file const &file) { return extract_facts(file, tempo_map{file}); }

file_facts extract_facts(smf_file const &file, tempo_map const &map)
{
    file_facts f;
    f.programs.fill(-1);
    f.format = file.header.format;
    f.track_count = static_cast<std::uint32_t>(file.tracks.size());
    f.declared_tracks = file.header.declared_tracks;
    f.division = file.header.division;
    f.ppq = file.header.ppq;
    f.smpte_fps = file.header.smpte_fps;
    f.ticks_per_frame = file.header.ticks_per_frame;
    f.warnings = file.warnings;

    std::array<std::size_t, 5> used{};
    for (std::size_t t = 0; t < file.tracks.size(); ++t) {
        std::size_t const first_warning = f.warnings.size();
        track_cursor cursor{file.tracks[t], &f.warnings};
        smf_event ev;
        while (cursor.next(ev)) {
            f.duration_ticks = std::max(f.duration_ticks, ev.tick);
            if (ev.kind == event_kind::channel) {
                if (ev.is_note_on()) {
                    ++f.note_count;
                    f.channels_used |= static_cast<std::uint16_t>(1U << ev.channel());
                } else if (ev.command() == 0xC0 && f.programs[ev.channel()] < 0) {
                    f.programs[ev.channel()] = ev.data1;
                }
                continue;
            }
            if (ev.kind != event_kind::meta) {
                continue;
            }
            auto const &p = ev.payload;
            switch (ev.meta_type) {
            case 0x01:
            case 0x08:
            case 0x09:
            case 0x0A:
            case 0x0B:
            case 0x0C:
            case 0x0D:
            case 0x0E:
            case 0x0F: add_text(f.texts, used[0], p); break;
            case 0x02: add_text(f.copyrights, used[1], p); break;
            case 0x03: add_text(f.track_names, used[2], p); break;
            case 0x05: add_text(f.lyrics, used[3], p); break;
            case 0x51: ++f.tempo.tempo_events; break;
            case 0x06:
            case 0x07: add_text(f.markers, used[4], p); break;
            case 0x58:
                if (p.size() >= 2 && p[1] < 16) {
                    auto ts = fmt::format("{}/{}@{}", p[0], 1U << p[1], ev.tick);
                    if (f.time_signatures.size() < 64) {
                        f.time_signatures.push_back(std::move(ts));
                    }
                }
                break;
            case 0x59:
                if (p.size() >= 2) {
                    auto const sf = static_cast<std::int8_t>(p[0]);
                    if (sf >= -7 && sf <= 7 && p[1] <= 1 && f.key_signatures.size() < 64) {
                        auto const &names = p[1] == 0 ? MAJOR_KEYS : MINOR_KEYS;
                        f.key_signatures.push_back(fmt::format("{} {}@{}", names[static_cast<std::size_t>(sf + 7)],
                                                               p[1] == 0 ? "major" : "minor", ev.tick));
                    }
                }
                break;
            default: break;
            }
        }
        for (std::size_t i = first_warning; i < f.warnings.size(); ++i) {
            if (f.warnings[i].rfind("...", 0) != 0) {
                f.warnings[i] = fmt::format("track {}: {}", t, f.warnings[i]);
            }
        }
    }
    f.duration_seconds = map.seconds_at(f.duration_ticks);
    summarize_tempo(map, f);
    return f;
}

} // namespace midilib
