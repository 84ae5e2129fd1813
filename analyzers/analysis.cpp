#include "analyzers/analysis.hpp"

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"
#include "analyzers/tempo_map.hpp"

namespace midilib {

analysis_result analyze(smf_file const &file) { return analyze(file, tempo_map{file}); }

/// Bars a thread's scratch keeps room for between files (40 KiB): 1,024 bars of 4/4 last 34 minutes at 120 BPM.
constexpr std::size_t SCRATCH_BARS = 1024;

analysis_result analyze(smf_file const &file, tempo_map const &map, std::uint64_t note_ons)
{
    // Scratch reused by the calls on one thread (capacity only: both are refilled from scratch below),
    // so a batch of files does not reallocate the note and bar arrays per file.
    thread_local note_list notes;
    thread_local std::vector<bar> bars;
    extract_notes(file, map, notes, note_ons);
    bar_grid(notes, map, notes.end_tick, bars);

    analysis_result r;
    r.bars = static_cast<std::uint32_t>(bars.size());
    r.notes_truncated = notes.truncated;
    std::uint16_t const drums = drum_channels(notes);
    r.notes = compute_note_stats(notes, drums);
    r.key = analyze_key(notes, bars, drums);
    r.tempo = analyze_tempo(map, notes, drums);
    r.chords = analyze_chords(notes, bars, drums);
    r.drums = analyze_drums(notes, bars, drums);
    r.print = compute_fingerprint(notes, bars, drums);
    r.features = compute_features(notes, drums, r.key,
                                  r.tempo.estimate.valid ? r.tempo.estimate.bpm : r.tempo.declared.mean_bpm);
    // One big file must not pin its memory for the rest of the run: past SCRATCH_NOTES (320 KiB
    // a thread; most files have fewer), give the scratch back. The same for the per-channel onset
    // lists and the bars, which otherwise each kept the room of the largest file they ever held
    // below that: a thread's scratch grew with the length of an import (16 onset lists, and up to
    // MAX_BARS bars of 40 bytes for a file with a late event).
    std::size_t onset_room = 0;
    for (auto const &o : notes.onsets) {
        onset_room += o.capacity();
    }
    if (notes.notes.capacity() > SCRATCH_NOTES) {
        notes = note_list{};
    } else if (onset_room > SCRATCH_NOTES) {
        notes.onsets = {};
    }
    if (bars.capacity() > SCRATCH_BARS) {
        bars = std::vector<bar>{};
    }
    return r;
}

} // namespace midilib
