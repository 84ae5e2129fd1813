#pragma once
/// Ticks <-> seconds for any division, from the Set Tempo events of a file.

#include "smf/reader.hpp"

#include <cstdint>
#include <vector>

namespace midilib {

/// One tempo segment: from @c tick on, one quarter note lasts @c us_per_quarter microseconds.
struct tempo_point
{
    std::uint64_t tick = 0;
    std::uint32_t us_per_quarter = 500000;
    double seconds = 0.0; ///< time at @c tick
};

/// Converts between ticks and seconds. SMPTE files have a fixed tick length and ignore tempo.
class tempo_map
{
public:
    /// Collects Set Tempo events from every track (format 2: from the first track only).
    explicit tempo_map(smf_file const &file);

    /// Seconds at @p tick.
    [[nodiscard]] double seconds_at(std::uint64_t tick) const noexcept;
    /// Tick at @p seconds (inverse of seconds_at).
    [[nodiscard]] std::uint64_t tick_at(double seconds) const noexcept;
    /// Tempo segments in tick order; the first starts at tick 0 (120 BPM when the file declares none).
    [[nodiscard]] std::vector<tempo_point> const &points() const noexcept { return m_points; }
    /// True when the file has at least one Set Tempo event.
    [[nodiscard]] bool declared() const noexcept { return m_declared; }
    /// Ticks per quarter note used (0 for an unusable division: then every time is 0).
    [[nodiscard]] std::uint32_t ppq() const noexcept { return m_ppq; }

private:
    std::vector<tempo_point> m_points;
    std::uint32_t m_ppq = 0;
    double m_smpte_seconds_per_tick = 0.0; ///< > 0 for SMPTE division
    bool m_declared = false;
};

} // namespace midilib
