#include "analyzers/notes.hpp"

#include <algorithm>
#include <limits>

namespace midilib {

namespace {

constexpr std::uint32_t NONE = std::numeric_limits<std::uint32_t>::max();

/// Ticks per quarter used when the division gives none (ppq 0): any positive value keeps bar maths finite.
constexpr std::uint32_t FALLBACK_TICKS_PER_QUARTER = 480;

/// Bytes a note-on takes at least in a track body: a one-byte delta and two data bytes (running status).
constexpr std::size_t MIN_NOTE_ON_BYTES = 3;

/// Note-ons (velocity > 0) in one track body: the framing of track_cursor (running status, meta and
/// SysEx lengths, stray bytes, End-of-Track) without its event records and defect reports, about
/// three times faster. It only sizes the note array: were it to read a damaged track otherwise than
/// the cursor, that would cost memory or time, never notes.
std::size_t count_note_ons(byte_span track) noexcept
{
    std::size_t const end = track.size();
    std::size_t pos = 0;
    std::size_t count = 0;
    std::uint8_t running = 0;
    for (;;) {
        for (int vlq_bytes = 1;; ++vlq_bytes) { // the delta time
            if (pos >= end) {
                return count;
            }
            if ((track[pos++] & 0x80U) == 0) {
                break;
            }
            if (vlq_bytes >= 8) {
                return count;
            }
        }
        if (pos >= end) {
            return count;
        }
        std::uint8_t status = track[pos];
        if (status < 0x80) {
            if (running == 0) {
                ++pos; // a stray data byte
                continue;
            }
            status = running;
        } else {
            ++pos;
        }
        if (status < 0xF0) {
            running = status;
            std::size_t const n = ((status & 0xF0U) == 0xC0U || (status & 0xF0U) == 0xD0U) ? 1 : 2;
            if (pos + n > end) {
                return count;
            }
            count += (status & 0xF0U) == 0x90U && (track[pos + 1] & 0x7FU) != 0 ? 1 : 0;
            pos += n;
        } else if (status == 0xFF || status == 0xF0 || status == 0xF7) {
            std::uint8_t meta_type = 0;
            if (status == 0xFF) {
                if (pos >= end) {
                    return count;
                }
                meta_type = track[pos++];
            }
            std::size_t len = 0;
            bool complete = false;
            for (int i = 0; i < 4 && pos < end && !complete; ++i) {
                std::uint8_t const b = track[pos++];
                len = (len << 7U) | (b & 0x7FU);
                complete = (b & 0x80U) == 0;
            }
            if (!complete || len >= end - pos || (status == 0xFF && meta_type == 0x2F)) {
                return count; // cut short, or End-of-Track
            }
            pos += len;
        } else {
            std::size_t const n = status == 0xF2 ? 2 : (status == 0xF1 || status == 0xF3) ? 1 : 0;
            for (std::size_t i = 0; i < n && pos < end && track[pos] < 0x80; ++i) {
                ++pos;
            }
        }
    }
}

/// Note-ons (velocity > 0) over all tracks of @p file, as extract_notes() will find them.
std::size_t count_note_ons(smf_file const &file) noexcept
{
    std::size_t count = 0;
    for (auto const &track : file.tracks) {
        count += count_note_ons(track);
    }
    return count;
}

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

/// Sizes the onset lists of @p out (notes sorted) for their distinct start ticks per channel, which
/// bound the distinct start times, so that filling them does not grow by doubling.
void reserve_onsets(note_list &out)
{
    std::array<std::size_t, 16> count{};
    std::array<std::uint64_t, 16> last{};
    last.fill(std::numeric_limits<std::uint64_t>::max());
    for (auto const &n : out.notes) {
        if (last[n.channel] != n.start_tick) {
            last[n.channel] = n.start_tick;
            ++count[n.channel];
        }
    }
    for (std::size_t ch = 0; ch < 16; ++ch) {
        out.onsets[ch].reserve(count[ch]);
    }
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

void extract_notes(smf_file const &file, tempo_map const &map, note_list &out, std::uint64_t note_ons)
{
    out.clear();
    pending_notes pending;
    // The note array is not grown by doubling: growth leaves up to half of it unused and briefly
    // holds the old and the new array (up to 3x the notes' size). When the capacity kept from
    // earlier files cannot hold the most note-ons the track bytes allow, a small file gets room for
    // that most (pages it does not fill are never touched; the room serves the next files), a
    // large one exactly its note-ons: counted by an extra walk unless the caller knows them (the
    // import has them from the file facts).
    std::size_t track_bytes = 0;
    for (auto const &track : file.tracks) {
        track_bytes += track.size();
    }
    std::size_t const most = std::min(track_bytes / MIN_NOTE_ON_BYTES, MAX_NOTES);
    bool const large = most > SCRATCH_NOTES && out.notes.capacity() < most;
    if (large) {
        std::uint64_t const counted = note_ons != UNKNOWN_NOTE_ONS ? note_ons : count_note_ons(file);
        auto const expected = static_cast<std::size_t>(std::min<std::uint64_t>(counted, most));
        out.notes.reserve(expected);
        pending.next.reserve(expected);
    } else if (out.notes.capacity() < most) {
        out.notes.reserve(most);
    }
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
    if (large) {
        reserve_onsets(out);
    }
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
