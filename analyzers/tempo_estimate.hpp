#pragma once
/// Tempo: what the file declares (Set Tempo events) and, separately, what its onsets suggest.

#include "analyzers/notes.hpp"
#include "analyzers/tempo_map.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace midilib {

/// The tempo map as declared; BPM values are quarter notes per minute.
struct declared_tempo
{
    bool declared = false; ///< at least one Set Tempo event
    double first_bpm = 120.0;
    double mean_bpm = 120.0; ///< time-weighted up to the end of the file
    double min_bpm = 120.0;
    double max_bpm = 120.0;
    std::uint32_t changes = 0; ///< tempo changes after the first tempo (same-value events not counted)
};

/// A tempo guessed from note onsets.
struct estimated_tempo
{
    bool valid = false;      ///< false when there are too few onsets to say anything
    double bpm = 0.0;        ///< beats per minute of the best-scored beat candidate in 40..240
    double confidence = 0.0; ///< 0..1: 1 - exp(best unrelated rival score - best score); near 0 = ambiguous
};

/// Declared and estimated tempo of one file.
struct tempo_result
{
    declared_tempo declared;
    bool estimate_needed = false; ///< no Set Tempo, or only 120 BPM at tick 0: the declared value says nothing
    estimated_tempo estimate;     ///< filled only when estimate_needed
};

/// Summarizes the tempo map from tick 0 to @p end_tick.
declared_tempo summarize_declared_tempo(tempo_map const &map, std::uint64_t end_tick);

/// Merged note onsets (notes closer than 25 ms are one event) with what the estimator reads from them.
struct tempo_onsets
{
    std::vector<double> seconds; ///< onset times, ascending
    std::vector<double> weights; ///< summed velocity / 127 of the notes in the onset
    std::vector<double> accents; ///< the part of the weight from kick, snare and pedal hi-hat (on drum channels)
    std::vector<double> kicks;   ///< the part from kicks (gm_drum_role::kick)
    std::vector<double> snares;  ///< the part from snares and side sticks
    double end_seconds = 0.0;    ///< the last note-off: where the performance ends
    // Weights are >= 0; the estimator counts anything else as 0.

    void clear() noexcept;
};

/// Fills @p out (cleared first) from all notes of all channels; drum roles are read on the channels
/// set in @p drums (drum_channels(): channel 10 and any other channel that plays a kit).
void collect_tempo_onsets(note_list const &notes, std::uint16_t drums, tempo_onsets &out);

/**
 * Estimates the beat tempo (quarter notes per minute, 40..240) from the performance alone: no
 * tempo events, no ticks, no declared meter.
 *
 * Candidates are the local maxima of a pulse score read from the histogram of inter-onset
 * intervals (all onset pairs up to 4 s apart, weighted by velocity): how much weight sits at the
 * beat period, its multiples up to a bar and its half. The histogram finds the period precisely
 * but not the metrical level (beat, half beat, two beats, dotted or triplet groupings), so each
 * candidate is then scored by a weighted sum of musical evidence for being *the beat*:
 *  - the pulse strength relative to the file's strongest pulse;
 *  - a log-normal prior (fitted: around 98 BPM, spread 0.48 octave; listeners and corpora favour
 *    80..160 BPM);
 *  - the performance, from time 0 to its last note-off, being whole 4-beat bars (the last note
 *    ending in a bar's last beat);
 *  - the file starting on a beat: kick/snare/pedal hi-hat and all onsets on beats counted from 0;
 *  - kicks, snares and pedal hi-hat repeating at whole beats, and kick-snare lags of an odd number
 *    of beats (backbeat: kick on 1 and 3, snare on 2 and 4);
 *  - sub-beat intervals on simple subdivisions (halves, quarters, thirds), not on 32nds or nothing.
 * The weights were fitted on half of groove-midi and checked on the other half. Without drum roles
 * (estimate_tempo_from_onsets) the drum terms are 0 for every candidate and drop out.
 * Cost: at most 5,000 onsets with 128 pairs each, and 12 candidates scored in full.
 */
estimated_tempo estimate_tempo(tempo_onsets const &onsets);

/**
 * Same estimate from onset times alone (no drum roles; the performance ends at the last onset).
 * @param seconds onset times, sorted ascending
 * @param weights one weight per onset (e.g. summed velocity; negative counts as 0), or empty for equal weights
 */
estimated_tempo estimate_tempo_from_onsets(std::span<double const> seconds, std::span<double const> weights = {});

/// Declared tempo, plus an onset-based estimate when the file declares nothing useful.
/// @p drums: the kit channels, as for collect_tempo_onsets().
tempo_result analyze_tempo(tempo_map const &map, note_list const &notes, std::uint16_t drums);

} // namespace midilib
