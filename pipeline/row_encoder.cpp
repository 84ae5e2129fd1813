#include "pipeline/row_encoder.hpp"

#include "db/copy_buffer.hpp"
#include "db/library_columns.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace midilib {

namespace {

// The fields encode_file() and encode_analysis() write, one per column of FILE_COLUMNS and
// ANALYSIS_COLUMNS (db/library_columns.hpp): a column added there must be encoded here too.
static_assert(FILE_COLUMNS.size() == 27, "encode_file() writes 27 fields");
static_assert(ANALYSIS_COLUMNS.size() == 37, "encode_analysis() writes the hash and 37 fields");

/// The stage_files row: one field per FILE_COLUMNS, in that order.
void encode_file(copy_buffer &out, file_item const &item)
{
    auto const &f = item.facts;
    out.bytea(item.stored.hash);
    out.integer(static_cast<std::int64_t>(item.stored.size));
    out.integer(f.format);
    out.integer(f.track_count);
    out.integer(f.declared_tracks);
    if (f.division == division_kind::ppq) {
        out.text("ppq");
        out.integer(f.ppq);
        out.null();
        out.null();
    } else {
        out.text("smpte");
        out.null();
        out.integer(f.smpte_fps);
        out.integer(f.ticks_per_frame);
    }
    out.integer(static_cast<std::int64_t>(f.duration_ticks));
    out.real(f.duration_seconds);
    out.real(f.tempo.first_bpm);
    out.real(f.tempo.min_bpm);
    out.real(f.tempo.max_bpm);
    out.real(f.tempo.mean_bpm);
    out.integer(f.tempo.tempo_events);
    out.text_array(f.time_signatures);
    out.text_array(f.key_signatures);
    out.integer(static_cast<std::int64_t>(f.note_count));
    std::array<std::int16_t, 16> channels{};
    std::size_t n = 0;
    for (std::int16_t ch = 0; ch < 16; ++ch) {
        if ((f.channels_used >> ch) & 1U) {
            channels[n++] = static_cast<std::int16_t>(ch + 1);
        }
    }
    out.int_array(std::span{channels.data(), n}, false);
    out.int_array(f.programs, true);
    out.text_array(f.track_names);
    out.text_array(f.texts);
    out.text_array(f.lyrics);
    out.text_array(f.copyrights);
    out.text_array(f.markers);
    out.text_array(f.warnings);
}

std::string key_text(key_estimate const &k)
{
    return k.tonic < 0 ? std::string{} : fmt::format("{} {}", pitch_class_name(k.tonic), k.minor ? "minor" : "major");
}

/// The stage_analysis row: the hash, then one field per ANALYSIS_COLUMNS, in that order.
void encode_analysis(copy_buffer &out, file_item const &item)
{
    auto const &a = item.analysis;
    out.bytea(item.stored.hash);
    out.integer(ANALYZER_VERSION);
    if (a.key.key.tonic < 0) {
        for (int i = 0; i < 6; ++i) {
            out.null(); // tonic, mode, name, confidence, clear, runner-up
        }
    } else {
        out.integer(a.key.key.tonic);
        out.text(a.key.key.minor ? "minor" : "major");
        out.text(key_text(a.key.key));
        out.real(a.key.confidence);
        out.text(a.key.clear ? "t" : "f");
        out.text(key_text(a.key.runner_up));
    }
    std::vector<std::string> modulations;
    for (auto const &m : a.key.modulations) {
        modulations.push_back(fmt::format("{}@{:.1f}s", key_text(m.key), m.seconds));
    }
    out.text_array(modulations);
    out.text(a.tempo.declared.declared ? "t" : "f");
    bool const estimated = a.tempo.estimate_needed && a.tempo.estimate.valid;
    out.real(estimated ? a.tempo.estimate.bpm : a.tempo.declared.mean_bpm);
    if (estimated) {
        out.real(a.tempo.estimate.bpm);
        out.real(a.tempo.estimate.confidence);
    } else {
        out.null();
        out.null();
    }
    out.integer(a.tempo.declared.changes);
    std::vector<std::string> progression;
    progression.reserve(a.chords.bars.size());
    for (auto const &c : a.chords.bars) {
        progression.push_back(c.root < 0 ? std::string{"-"} : chord_name(c));
    }
    out.text_array(progression);
    out.integer(a.chords.distinct);
    out.real(a.chords.changes_per_minute);
    out.text(a.drums.has_drums ? "t" : "f");
    std::vector<std::string> kit;
    for (auto const &piece : a.drums.kit) {
        kit.emplace_back(*piece.name != '\0' ? piece.name : fmt::format("key {}", piece.note));
    }
    out.text_array(kit);
    out.real(a.drums.hits_per_bar);
    out.real_array(a.drums.groove);
    if (a.drums.swing_8th > 0) {
        out.real(a.drums.swing_8th);
    } else {
        out.null();
    }
    out.integer(static_cast<std::int64_t>(a.notes.count));
    if (a.notes.count > 0) {
        out.integer(a.notes.min_pitch);
        out.integer(a.notes.max_pitch);
    } else {
        out.null();
        out.null();
    }
    out.real(a.notes.mean_velocity);
    out.real(a.notes.stdev_velocity);
    out.integer(a.notes.max_polyphony);
    out.real(a.notes.mean_polyphony);
    out.real(a.notes.notes_per_second);
    out.text(a.notes.monophonic ? "t" : "f");
    std::vector<std::string> instruments;
    std::vector<std::string> families;
    for (auto const &ch : a.notes.channels) {
        if (!ch.drums && *ch.program_name != '\0') {
            instruments.emplace_back(ch.program_name);
        }
        if (*ch.family != '\0' && std::find(families.begin(), families.end(), ch.family) == families.end()) {
            families.emplace_back(ch.family);
        }
    }
    out.text_array(instruments);
    out.text_array(families);
    out.integer(a.bars);
    if (a.print.kind == fingerprint_kind::none) {
        out.null();
        out.null();
        out.null();
    } else {
        out.text(a.print.kind == fingerprint_kind::pitched ? "pitched" : "drums");
        auto const keys = band_keys(a.print);
        out.bigint_array(keys);
        auto const slots = slot_keys(a.print);
        out.int32_array(slots);
    }
    out.cube_point(a.features);
}

} // namespace

void encode_rows(file_item &item)
{
    // Encoded in a buffer of its own, then copied at its size: the item holds no spare capacity.
    copy_buffer row;
    if (item.stored.state == file_state::parsed) {
        encode_file(row, item);
        row.end_row();
        item.stored.file_row.assign(row.data());
        item.facts = file_facts{};
    }
    if (item.analyzed) {
        row.clear();
        encode_analysis(row, item);
        row.end_row();
        item.stored.analysis_row.assign(row.data());
        item.analysis = analysis_result{};
    }
}

} // namespace midilib
