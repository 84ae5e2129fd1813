#pragma once
/// Key finding: a duration-weighted pitch-class profile correlated with 24 rotated key profiles.

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace midilib {

/// Published key profiles (major and minor weights for the 12 degrees above the tonic).
enum class key_profile : std::uint8_t {
    krumhansl_kessler, ///< Krumhansl & Kessler 1982, probe-tone ratings
    temperley,         ///< Temperley 2007, Kostka-Payne corpus frequencies
    albrecht_shanahan  ///< Albrecht & Shanahan 2013, duration-weighted corpus frequencies
};

/// The profile used by default. Temperley scored best on the nottingham labels (with the final-bass
/// bonus: Temperley 90.2 %, Albrecht-Shanahan 89.6 %, Krumhansl-Kessler 86.0 %; see docs/analysis.md).
constexpr key_profile DEFAULT_KEY_PROFILE = key_profile::temperley;

/// A margin (best minus runner-up correlation) below this marks the key as ambiguous: it trades
/// coverage for precision (on nottingham ~95 % of files are clear; see the key test's output).
constexpr double CLEAR_KEY_MARGIN = 0.05;

/// One key.
struct key_estimate
{
    std::int8_t tonic = -1; ///< pitch class 0 (C) .. 11 (B); -1 when there are no pitched notes
    bool minor = false;
    double correlation = 0.0; ///< Pearson correlation with the rotated profile, -1..1
};

/// A key change found by the windowed analysis.
struct key_change
{
    double seconds = 0.0;  ///< where the new key starts
    std::uint32_t bar = 0; ///< bar index (0-based) where the new key starts
    key_estimate key;
};

/// The key of a file.
struct key_result
{
    key_estimate key;                    ///< best key over the whole file
    key_estimate runner_up;              ///< second-best of the 24 keys
    double confidence = 0.0;             ///< key.correlation - runner_up.correlation (0..2)
    bool clear = false;                  ///< confidence >= CLEAR_KEY_MARGIN
    std::vector<key_change> modulations; ///< changes away from the previous key, in time order
    std::array<double, 12> profile{};    ///< pitch-class durations in seconds (C first)
};

/// Correlations with the 24 keys: index tonic for major, 12 + tonic for minor.
std::array<double, 24> key_correlations(std::array<double, 12> const &pcp, key_profile profile) noexcept;

/// Added to the correlation of the two keys whose tonic is the pitch class of the final bass note: tonal
/// pieces end on the tonic, which separates a key from its dominant, the most common profile error.
constexpr double FINAL_TONIC_BONUS = 0.1;

/// Best and runner-up of the 24 keys for @p pcp (tonic -1 when the profile is flat or empty);
/// @p final_bass_pc (-1 unknown) gets FINAL_TONIC_BONUS.
std::pair<key_estimate, key_estimate> best_keys(std::array<double, 12> const &pcp, key_profile profile,
                                                int final_bass_pc = -1) noexcept;

/// Pitch class of the lowest note among the last onsets (outside @p drum_mask), -1 when there are no notes.
int final_bass_pitch_class(note_list const &notes, std::uint16_t drum_mask) noexcept;

/// Duration in seconds per pitch class of all notes outside the channels in @p drum_mask.
std::array<double, 12> pitch_class_durations(note_list const &notes, std::uint16_t drum_mask) noexcept;

/**
 * Global key plus modulations. Modulations come from 8-bar windows moved by 4 bars: a new key is
 * reported only when two windows in a row agree on it and beat the current key clearly.
 */
key_result analyze_key(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask,
                       key_profile profile = DEFAULT_KEY_PROFILE);

/// "C", "C#", ... for a pitch class 0..11; "" otherwise.
char const *pitch_class_name(int pc) noexcept;

} // namespace midilib
