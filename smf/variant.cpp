#include "smf/variant.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>

namespace midilib {

namespace {

/// Program of the added bass part (GM 34, Electric Bass (finger)).
constexpr std::uint8_t ADDED_PART_PROGRAM = 33;

/// SplitMix64: a small deterministic generator, the same on every platform.
class random_source
{
public:
    explicit random_source(std::uint64_t seed) : m_state{seed} {}
    std::uint64_t next() noexcept
    {
        std::uint64_t x = (m_state += 0x9E3779B97F4A7C15ULL);
        x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
        return x ^ (x >> 31U);
    }
    /// Uniform in [-range, range].
    std::int64_t symmetric(std::int64_t range) noexcept
    {
        return range <= 0 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(2 * range + 1)) - range;
    }

private:
    std::uint64_t m_state;
};

bool kept(std::uint16_t keep, std::uint8_t channel) noexcept { return ((keep >> channel) & 1U) != 0; }

std::uint16_t ppq_of(event_list const &list) noexcept { return (list.division & 0x8000U) != 0 ? 0 : list.division; }

/// Pitched channels with notes, ascending.
std::vector<std::uint8_t> pitched_channels(event_list const &list, std::uint16_t keep)
{
    std::array<bool, 16> used{};
    for (auto const &e : list.events) {
        if (e.is_note_on() && !kept(keep, e.channel())) {
            used[e.channel()] = true;
        }
    }
    std::vector<std::uint8_t> out;
    for (std::uint8_t c = 0; c < 16; ++c) {
        if (used[c]) {
            out.push_back(c);
        }
    }
    return out;
}

void drop_part(event_list &list, std::uint16_t keep, random_source &rng)
{
    auto const parts = pitched_channels(list, keep);
    if (parts.size() < 3) {
        return;
    }
    std::uint8_t const gone = parts[rng.next() % parts.size()];
    std::erase_if(list.events, [&](timed_event const &e) { return e.is_channel() && e.channel() == gone; });
}

void add_part(event_list &list, std::uint16_t keep)
{
    std::uint16_t const ppq = ppq_of(list);
    std::array<bool, 16> used{};
    for (auto const &e : list.events) {
        used[e.is_channel() ? e.channel() : 9] = true;
    }
    int free = -1;
    for (int c = 0; c < 16 && free < 0; ++c) {
        free = !used[static_cast<std::size_t>(c)] && c != 9 && !kept(keep, static_cast<std::uint8_t>(c)) ? c : -1;
    }
    if (ppq == 0 || free < 0) {
        return;
    }
    std::map<std::uint64_t, int> lowest; // beat -> lowest pitch starting in it
    for (auto const &e : list.events) {
        if (e.is_note_on() && !kept(keep, e.channel())) {
            auto [it, fresh] = lowest.try_emplace(e.tick / ppq, e.data1);
            it->second = std::min(it->second, static_cast<int>(e.data1));
        }
    }
    auto const status = static_cast<std::uint8_t>(free);
    list.events.push_back({0, 0, static_cast<std::uint8_t>(0xC0U | status), 0, ADDED_PART_PROGRAM, 0, {}});
    for (auto const &[beat, pitch] : lowest) {
        auto const p = static_cast<std::uint8_t>(pitch >= 36 ? pitch - 12 : pitch);
        list.events.push_back({beat * ppq, 0, static_cast<std::uint8_t>(0x90U | status), 0, p, 90, {}});
        list.events.push_back({beat * ppq + ppq * 3 / 4, 0, static_cast<std::uint8_t>(0x80U | status), 0, p, 0, {}});
    }
}

/// Moves every note by a random offset, its note-off with it (first-in first-out per channel and key).
void jitter(event_list &list, double beats, random_source &rng)
{
    auto const range = static_cast<std::int64_t>(beats * static_cast<double>(ppq_of(list)));
    std::map<int, std::vector<std::int64_t>> open; // channel << 7 | key -> offsets of sounding notes
    for (auto &e : list.events) {
        std::int64_t shift = 0;
        if (e.is_note_on()) {
            shift = rng.symmetric(range);
            open[e.channel() << 7U | e.data1].push_back(shift);
        } else if (e.is_note_off()) {
            auto &q = open[e.channel() << 7U | e.data1];
            if (!q.empty()) {
                shift = q.front();
                q.erase(q.begin());
            }
        }
        e.tick = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(e.tick) + shift));
    }
}

void renumber(event_list &list, std::uint16_t keep, random_source &rng)
{
    std::vector<std::uint8_t> pool;
    for (std::uint8_t c = 0; c < 16; ++c) {
        if (c != 9 && !kept(keep, c)) {
            pool.push_back(c);
        }
    }
    auto target = pool;
    for (std::size_t i = target.size(); i > 1; --i) {
        std::swap(target[i - 1], target[rng.next() % i]);
    }
    std::array<std::uint8_t, 16> map{};
    for (std::uint8_t c = 0; c < 16; ++c) {
        map[c] = c;
    }
    for (std::size_t i = 0; i < pool.size(); ++i) {
        map[pool[i]] = target[i];
    }
    for (auto &e : list.events) {
        if (e.is_channel()) {
            e.status = static_cast<std::uint8_t>(e.command() | map[e.channel()]);
        }
    }
}

void lay_out(event_list &list, track_layout layout)
{
    if (layout == track_layout::format0) {
        list.format = 0;
        list.tracks = 1;
        for (auto &e : list.events) {
            e.track = 0;
        }
    } else if (layout == track_layout::split_reverse) {
        std::array<bool, 16> used{};
        for (auto const &e : list.events) {
            used[e.is_channel() ? e.channel() : 0] |= e.is_channel();
        }
        std::array<std::uint16_t, 16> track_of{};
        std::uint16_t next = 1;
        for (int c = 15; c >= 0; --c) {
            track_of[static_cast<std::size_t>(c)] = used[static_cast<std::size_t>(c)] ? next++ : 0;
        }
        list.format = 1;
        list.tracks = next;
        for (auto &e : list.events) {
            e.track = e.is_channel() ? track_of[e.channel()] : 0;
        }
    }
}

} // namespace

int pitched_parts(smf_file const &file, std::uint16_t keep_channels)
{
    return static_cast<int>(pitched_channels(decode_events(file), keep_channels).size());
}

std::vector<std::uint8_t> make_variant(smf_file const &original, variant_edits const &edits,
                                       std::uint16_t keep_channels)
{
    auto list = decode_events(original);
    random_source rng{edits.seed};
    if (edits.drop_part) {
        drop_part(list, keep_channels, rng);
    }
    if (edits.add_part) {
        add_part(list, keep_channels);
    }
    for (auto &e : list.events) {
        bool const free = e.is_channel() && !kept(keep_channels, e.channel());
        if (free && (e.command() == 0x80 || e.command() == 0x90 || e.command() == 0xA0)) {
            e.data1 = static_cast<std::uint8_t>(std::clamp(e.data1 + edits.transpose, 0, 127));
        }
        if (edits.velocities && e.is_note_on()) {
            e.data2 = static_cast<std::uint8_t>(std::clamp(static_cast<int>(e.data2 * 0.7 + 20.0), 1, 127));
        }
        if (edits.programs && free && e.command() == 0xC0) {
            e.data1 = static_cast<std::uint8_t>((e.data1 + 17) % 128);
        }
        if (edits.track_names && e.status == 0xFF && e.meta_type == 0x03) {
            auto const name = "Part " + std::to_string(e.track + 1);
            e.payload.assign(name.begin(), name.end());
        }
        if (e.status == 0xFF && e.meta_type == 0x51 && e.payload.size() == 3 && edits.tempo_factor > 0) {
            auto const us = static_cast<double>(e.payload[0] << 16U | e.payload[1] << 8U | e.payload[2]);
            auto const scaled = static_cast<std::uint32_t>(
                std::clamp(std::round(us / edits.tempo_factor), 1.0, 16777215.0));
            e.payload = {static_cast<std::uint8_t>(scaled >> 16U), static_cast<std::uint8_t>(scaled >> 8U),
                         static_cast<std::uint8_t>(scaled)};
        }
    }
    if (edits.jitter_beats > 0) {
        jitter(list, edits.jitter_beats, rng);
    }
    if (edits.ppq > 0 && ppq_of(list) > 0) {
        double const scale = static_cast<double>(edits.ppq) / static_cast<double>(ppq_of(list));
        for (auto &e : list.events) {
            e.tick = static_cast<std::uint64_t>(std::llround(static_cast<double>(e.tick) * scale));
        }
        list.division = edits.ppq;
    }
    if (edits.renumber_channels) {
        renumber(list, keep_channels, rng);
    }
    lay_out(list, edits.layout);
    return encode_events(std::move(list));
}

} // namespace midilib
