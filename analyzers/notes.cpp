#include "analyzers/notes.hpp"

#include <algorithm>
#include <limits>

namespace midilib {

namespace {

constexpr std::uint32_t NONE = std::numeric_limits<std::uint32_t>::max();

/// Ticks per quarter used when the division gives none (ppq 0): any positive value keeps bar maths finite.
constexpr std::uint32_t FALLBACK_TICKS_PER_QUARTER = 480;

/// FIFO queues of sounding notes, one per (channel, pitch), linked through the note indices.
struct pending_notes
{
    std::array<std::uint32_t, 16 * 128> head{};
    std::array<std::uint32_t, 16 * 128> tail{};
    std::vector<std::uint32_t> next;

    void reset()
    {
        head.fill(NONE);
        tail.fill(NONE);
    }
    void push(std::size_t key, std::uint32_t index)
    {
        if (next.size() <= index) {
            next.resize(index + 1, NONE);
        }
        next[index] = NONE;
        if (head[key] == NONE) {
            head[key] = index;
        } else {
            next[tail[key]] = index;
        }
        tail[key] = index;
    }
    std::uint32_t pop(std::size_t key)
    {
        std::uint32_t const index = head[key];
        if (index != NONE) {
            head[key] = next[index];
            if (head[key] == NONE) {
                tail[key] = NONE;
            }
        }
        return index;
    }
};

void read_time_signature(smf_event const &ev, std::vector<time_signature> &meter)
{
    auto const &p = ev.payload;
    if (p.size() < 2 || p[0] == 0 || p[1] > 6 || meter.size() >= MAX_TIME_SIGNATURES) {
        return;
    }
    meter.push_back({ev.tick, p[0], static_cast<std::uint8_t>(1U << p[1])});
}

void finish_meter(std::vector<time_signature> &meter)
{
    std::stable_sort(meter.begin(), meter.end(), [](auto const &a, auto const &b) { return a.tick < b.tick; });
    std::vector<time_signature> kept;
    for (auto const &ts : meter) {
        if (!kept.empty() && kept.back().tick == ts.tick) {
            kept.back() = ts; // the last change at a tick wins
        } else if (kept.empty() || kept.back().numerator != ts.numerator || kept.back().denominator != ts.denominator) {
            kept.push_back(ts);
        }
    }
    meter.swap(kept);
}

} // namespace

void note_list::clear() noexcept
{
    notes.clear();
    first_program.fill(-1);
    for (auto &o : onsets) {
        o.clear();
    }
    meter.clear();
    end_tick = 0;
    end_seconds = 0.0;
    ticks_per_quarter = 0;
    unreleased = 0;
    truncated = false;
}

void extract_notes(smf_file const &file, tempo_map const &map, note_list &out)
{
    out.clear();
    pending_notes pending;
    std::vector<std::uint32_t> open_at_end;
    for (std::size_t t = 0; t < file.tracks.size(); ++t) {
        pending.reset();
        auto const track_index = static_cast<std::uint16_t>(std::min<std::size_t>(t, 0xFFFF));
        track_cursor cursor{file.tracks[t]};
        smf_event ev;
        while (cursor.next(ev)) {
            out.end_tick = std::max(out.end_tick, ev.tick);
            if (ev.kind == event_kind::meta) {
                if (ev.meta_type == 0x58) {
                    read_time_signature(ev, out.meter);
                }
                continue;
            }
            if (ev.kind != event_kind::channel) {
                continue;
            }
            std::size_t const key = std::size_t{ev.channel()} * 128 + (ev.data1 & 0x7FU);
            if (ev.is_note_on()) {
                if (out.notes.size() >= MAX_NOTES) {
                    out.truncated = true;
                    continue;
                }
                auto const index = static_cast<std::uint32_t>(out.notes.size());
                out.notes.push_back({ev.tick, ev.tick, 0.0, 0.0, static_cast<std::uint8_t>(ev.data1 & 0x7FU),
                                     static_cast<std::uint8_t>(ev.data2 & 0x7FU), ev.channel(), track_index});
                pending.push(key, index);
            } else if (ev.is_note_off()) {
                std::uint32_t const index = pending.pop(key);
                if (index != NONE) {
                    out.notes[index].end_tick = ev.tick;
                }
            } else if (ev.command() == 0xC0 && out.first_program[ev.channel()] < 0) {
                out.first_program[ev.channel()] = static_cast<std::int16_t>(ev.data1 & 0x7FU);
            }
        }
        for (std::size_t key = 0; key < pending.head.size(); ++key) {
            for (std::uint32_t i = pending.pop(key); i != NONE; i = pending.pop(key)) {
                open_at_end.push_back(i);
            }
        }
    }
    // Unreleased notes sound until the file ends (the last event of any track).
    for (std::uint32_t i : open_at_end) {
        out.notes[i].end_tick = out.end_tick;
    }
    out.unreleased = open_at_end.size();

    std::sort(out.notes.begin(), out.notes.end(), [](note const &a, note const &b) {
        if (a.start_tick != b.start_tick) {
            return a.start_tick < b.start_tick;
        }
        if (a.pitch != b.pitch) {
            return a.pitch < b.pitch;
        }
        if (a.channel != b.channel) {
            return a.channel < b.channel;
        }
        return a.track < b.track;
    });
    std::uint64_t last_tick = std::numeric_limits<std::uint64_t>::max();
    double last_seconds = 0.0;
    for (auto &n : out.notes) {
        if (n.start_tick != last_tick) {
            last_tick = n.start_tick;
            last_seconds = map.seconds_at(n.start_tick);
        }
        n.start_seconds = last_seconds;
        n.end_seconds = n.end_tick == n.start_tick ? last_seconds : map.seconds_at(n.end_tick);
        auto &on = out.onsets[n.channel];
        if (on.empty() || on.back() != n.start_seconds) {
            on.push_back(n.start_seconds);
        }
    }
    finish_meter(out.meter);
    out.end_seconds = map.seconds_at(out.end_tick);
    out.ticks_per_quarter = map.ppq();
    if (out.ticks_per_quarter == 0) {
        auto const half_second = map.tick_at(0.5);
        out.ticks_per_quarter = half_second > 0 && half_second < 0xFFFFFFFFU ? static_cast<std::uint32_t>(half_second)
                                                                           : FALLBACK_TICKS_PER_QUARTER;
    }
}

note_list extract_notes(smf_file const &file)
{
    tempo_map const map{file};
    note_list out;
    extract_notes(file, map, out);
    return out;
}

} // namespace midilib
