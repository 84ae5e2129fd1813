#pragma once
/// Chord labels per beat and per bar by template matching of duration-weighted pitch classes.
///
/// Tie-break (documented so results are deterministic): templates are scored by cosine similarity.
/// Scores within 1e-9 tie; among tied templates, one whose root is the bass pitch class wins, then
/// the lower quality (enum order below), then the lower root. Only templates with the very same
/// pitch-class set can tie on a clean chord: the 4 roots of a dim7, the 3 roots of an aug, and
/// Xsus2 = (X+7)sus4. For those the bass decides, so "root right" for them means any root of the
/// equivalent set (the tests accept exactly the equivalent labels). The root is always a template's
/// root, never simply the lowest note.

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace midilib {

/// Chord qualities, in tie-break order (simpler first).
enum class chord_quality : std::uint8_t { maj, min, dim, aug, sus2, sus4, dom7, maj7, min7, hdim7, dim7 };

constexpr std::size_t CHORD_QUALITIES = 11;

/// A chord label; root -1 means no chord (silence, or fewer than two clear pitch classes).
struct chord
{
    std::int8_t root = -1;
    chord_quality quality = chord_quality::maj;
    double score = 0.0; ///< cosine similarity with the template, 0..1

    friend bool operator==(chord const &a, chord const &b) noexcept
    {
        return a.root == b.root && (a.root < 0 || a.quality == b.quality);
    }
};

/// Chords of one file.
struct chord_result
{
    std::vector<chord> beats;        ///< one per beat of the bar grid (capped at MAX_CHORD_BEATS)
    std::vector<chord> bars;         ///< one per bar: the progression
    std::uint32_t distinct = 0;      ///< distinct chords (root and quality) in the bar progression
    std::uint32_t changes = 0;       ///< bar-to-bar changes between chords (no-chord bars skipped)
    double changes_per_bar = 0.0;    ///< changes / bars with a chord
    double changes_per_minute = 0.0; ///< changes / minutes from first to last chord bar
};

/// Beats analysed per file. 65,536 beats is over 9 hours of 4/4 at 120 BPM; the cap bounds memory
/// and time for hostile files with huge tick values.
constexpr std::size_t MAX_CHORD_BEATS = 65'536;

/// Pitch classes of a template (bit i = i semitones above the root).
std::uint16_t chord_template(chord_quality q) noexcept;

/// Best template for @p weights (pitch-class weights, C first) with @p bass_pc (-1 unknown) as tie-break.
chord match_chord(std::array<double, 12> const &weights, int bass_pc) noexcept;

/// "C", "Am", "F#dim", "Ebaug", "Dsus2", "Gsus4", "G7", "Cmaj7", "Am7", "Bm7b5", "Bdim7"; "N" for no chord.
std::string chord_name(chord const &c);

/// Chords per beat and per bar of the notes outside @p drum_mask (held notes count in every beat they sound).
chord_result analyze_chords(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask);

} // namespace midilib
