#include "analyzers/analysis.hpp"

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"
#include "analyzers/tempo_map.hpp"

namespace midilib {

analysis_result analyze(smf_file const &file)
{
    tempo_map const map{file};
    note_list notes;
    extract_notes(file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick, bars);

    analysis_result r;
    r.bars = static_cast<std::uint32_t>(bars.size());
    r.notes_truncated = notes.truncated;
    std::uint16_t const drums = drum_channels(notes);
    r.notes = compute_note_stats(notes, drums);
    r.key = analyze_key(notes, bars, drums);
    r.tempo = analyze_tempo(map, notes);
    r.chords = analyze_chords(notes, bars, drums);
    r.drums = analyze_drums(notes, bars, drums);
    return r;
}

} // namespace midilib
