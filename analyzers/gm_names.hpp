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

/// First and last key of the GM percussion map.
constexpr int GM_DRUM_FIRST = 35;
constexpr int GM_DRUM_LAST = 81;

} // namespace midilib
