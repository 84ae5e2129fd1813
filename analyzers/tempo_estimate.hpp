#pragma once
/// Tempo: what the file declares (Set Tempo events) and, separately, what its onsets suggest.

#include "analyzers/notes.hpp"
#include "analyzers/tempo_map.hpp"

#include <cstdint>
#include <span>

namespace midilib {

/// The tempo map as declared; BPM values are quarter notes per minute.
struct declared_tempo
{
    bool declared = false;        ///< at least one Set Tempo event
    double first_bpm = 120.0;
    double mean_bpm = 120.0;      ///< time-weighted up to the end of the file
    double min_bpm = 120.0;
    double max_bpm = 120.0;
    std::uint32_t changes = 0;    ///< tempo changes after the first tempo (same-value events not counted)
};

/// A tempo guessed from note onsets.
struct estimated_tempo
{
    bool valid = false;           ///< false when there are too few onsets to say anything
    double bpm = 0.0;             ///< beats per minute of the strongest pulse in 40..240
    double confidence = 0.0;      ///< 0..1: 1 - (best rival pulse / best pulse); near 0 = ambiguous
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

/**
 * Estimates the beat tempo from onset times alone (no tempo events, no ticks, no meter): an
 * inter-onset-interval histogram over all onset pairs up to 4 s apart, scored with its harmonics
 * and a broad preference for 120 BPM.
 * @param seconds onset times, sorted ascending
 * @param weights one weight per onset (e.g. summed velocity), or empty for equal weights
 */
estimated_tempo estimate_tempo_from_onsets(std::span<double const> seconds, std::span<double const> weights = {});

/// Onset times of all notes (all channels merged), each weighted by its summed velocity.
void merged_onsets(note_list const &notes, std::vector<double> &seconds, std::vector<double> &weights);

/// Declared tempo, plus an onset-based estimate when the file declares nothing useful.
tempo_result analyze_tempo(tempo_map const &map, note_list const &notes);

} // namespace midilib
