#pragma once
/// General MIDI Level 1 names: the 128 programs, their 16 families and the percussion key map.

#include <cstdint>

namespace midilib {

/// GM program name for @p program 0..127 ("Acoustic Grand Piano"); "" outside the range.
char const *gm_program_name(int program) noexcept;

/// GM family of @p program 0..127 ("Piano", "Chromatic Percussion", ...); "" outside the range.
char const *gm_family_name(int program) noexcept;

/// GM percussion name of drum key @p note 35..81 ("Acoustic Bass Drum"); "" outside the range.
char const *gm_drum_name(int note) noexcept;

/// What a GM percussion key plays in a groove, as the analyzers read it: kit detection (drums.cpp)
/// and the tempo estimate's beat markers (tempo_estimate.cpp) share this one table.
enum class gm_drum_role : std::uint8_t { kick, snare, side_stick, closed_hat, pedal_hat, open_hat, other };

/// The role of drum key @p note: 35/36 kick, 38/40 snare, 37 side stick, 42/44/46 hi-hat closed,
/// pedal and open; any other key (or a key outside 35..81) is other.
constexpr gm_drum_role gm_drum_role_of(int note) noexcept
{
    switch (note) {
    case 35:
    case 36: return gm_drum_role::kick;
    case 38:
    case 40: return gm_drum_role::snare;
    case 37: return gm_drum_role::side_stick;
    case 42: return gm_drum_role::closed_hat;
    case 44: return gm_drum_role::pedal_hat;
    case 46: return gm_drum_role::open_hat;
    default: return gm_drum_role::other;
    }
}

/// First and last key of the GM percussion map.
constexpr int GM_DRUM_FIRST = 35;
constexpr int GM_DRUM_LAST = 81;

} // namespace midilib
