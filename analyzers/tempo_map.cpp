#include "analyzers/tempo_map.hpp"

#include <algorithm>

namespace midilib {

namespace {

/// The SMF default tempo: 120 quarter notes per minute.
constexpr std::uint32_t DEFAULT_US_PER_QUARTER = 500000;

double smpte_seconds_per_tick(smf_header const &h) noexcept
{
    double const fps = h.smpte_fps == 29 ? 29.97 : h.smpte_fps;
    bool const valid = h.smpte_fps == 24 || h.smpte_fps == 25 || h.smpte_fps == 29 || h.smpte_fps == 30;
    return (valid && h.ticks_per_frame > 0) ? 1.0 / (fps * h.ticks_per_frame) : 0.0;
}

} // namespace

tempo_map::tempo_map(smf_file const &file) : m_ppq(ticks_per_quarter(file.header))
{
    if (file.header.division == division_kind::smpte) {
        m_smpte_seconds_per_tick = smpte_seconds_per_tick(file.header);
    }
    std::vector<tempo_point> changes;
    std::size_t const tracks = file.header.format == 2 ? std::min<std::size_t>(1, file.tracks.size())
                                                       : file.tracks.size();
    for (std::size_t t = 0; t < tracks; ++t) {
        track_cursor cursor{file.tracks[t]};
        smf_event ev;
        while (cursor.next(ev)) {
            if (ev.kind == event_kind::meta && ev.meta_type == 0x51 && ev.payload.size() >= 3) {
                std::uint32_t const us = (std::uint32_t{ev.payload[0]} << 16U) | (std::uint32_t{ev.payload[1]} << 8U) |
                                         ev.payload[2];
                if (us > 0) {
                    changes.push_back({ev.tick, us, 0.0});
                }
            }
        }
    }
    m_declared = !changes.empty();
    std::stable_sort(changes.begin(), changes.end(), [](auto const &a, auto const &b) { return a.tick < b.tick; });
    m_points.push_back({0, DEFAULT_US_PER_QUARTER, 0.0});
    for (auto const &c : changes) {
        if (c.tick == m_points.back().tick) {
            m_points.back().us_per_quarter = c.us_per_quarter; // the last change at a tick wins
        } else {
            m_points.push_back(c);
        }
    }
    for (std::size_t i = 1; i < m_points.size(); ++i) {
        auto const &prev = m_points[i - 1];
        double const ticks = static_cast<double>(m_points[i].tick - prev.tick);
        m_points[i].seconds = prev.seconds + (m_ppq > 0 ? ticks * prev.us_per_quarter / 1e6 / m_ppq : 0.0);
    }
}

double tempo_map::seconds_at(std::uint64_t tick) const noexcept
{
    if (m_smpte_seconds_per_tick > 0) {
        return static_cast<double>(tick) * m_smpte_seconds_per_tick;
    }
    if (m_ppq == 0) {
        return 0.0;
    }
    auto it = std::upper_bound(m_points.begin(), m_points.end(), tick,
                               [](std::uint64_t t, tempo_point const &p) { return t < p.tick; });
    auto const &p = *(it - 1);
    return p.seconds + static_cast<double>(tick - p.tick) * p.us_per_quarter / 1e6 / m_ppq;
}

std::uint64_t tempo_map::tick_at(double seconds) const noexcept
{
    if (seconds <= 0) {
        return 0;
    }
    if (m_smpte_seconds_per_tick > 0) {
        return static_cast<std::uint64_t>(seconds / m_smpte_seconds_per_tick + 0.5);
    }
    if (m_ppq == 0) {
        return 0;
    }
    auto it = std::upper_bound(m_points.begin(), m_points.end(), seconds,
                               [](double s, tempo_point const &p) { return s < p.seconds; });
    auto const &p = *(it - 1);
    return p.tick + static_cast<std::uint64_t>((seconds - p.seconds) * 1e6 * m_ppq / p.us_per_quarter + 0.5);
}

} // namespace midilib
