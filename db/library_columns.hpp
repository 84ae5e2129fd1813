#pragma once
/// The column lists of the rows the import and the workers COPY, in the order rows are encoded:
/// the writer's SQL is built from them, the row encoder (encode_rows()) writes fields in this
/// order, and tests/db/test_library_columns.cpp checks them against the migrated tables.

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace midilib {

/// midi_files (without id and imported_at), as stage_files has them.
constexpr auto FILE_COLUMNS = std::to_array<std::string_view>({"hash",
                                                               "size_bytes",
                                                               "format",
                                                               "track_count",
                                                               "declared_tracks",
                                                               "division",
                                                               "ppq",
                                                               "smpte_fps",
                                                               "ticks_per_frame",
                                                               "duration_ticks",
                                                               "duration_seconds",
                                                               "tempo_first_bpm",
                                                               "tempo_min_bpm",
                                                               "tempo_max_bpm",
                                                               "tempo_mean_bpm",
                                                               "tempo_events",
                                                               "time_signatures",
                                                               "key_signatures",
                                                               "note_count",
                                                               "channels_used",
                                                               "programs",
                                                               "track_names",
                                                               "texts",
                                                               "lyrics",
                                                               "copyrights",
                                                               "markers",
                                                               "warnings"});

/// file_analysis (without file_id and analyzed_at); stage_analysis has hash before them.
constexpr auto ANALYSIS_COLUMNS = std::to_array<std::string_view>({"analyzer_version",
                                                                   "key_tonic",
                                                                   "key_mode",
                                                                   "key_name",
                                                                   "key_confidence",
                                                                   "key_clear",
                                                                   "key_runner_up",
                                                                   "modulations",
                                                                   "tempo_declared",
                                                                   "tempo_bpm",
                                                                   "tempo_estimated_bpm",
                                                                   "tempo_estimate_confidence",
                                                                   "tempo_changes",
                                                                   "chord_progression",
                                                                   "chords_distinct",
                                                                   "chord_changes_per_minute",
                                                                   "has_drums",
                                                                   "drum_kit",
                                                                   "drum_hits_per_bar",
                                                                   "groove",
                                                                   "swing",
                                                                   "note_count",
                                                                   "pitch_min",
                                                                   "pitch_max",
                                                                   "velocity_mean",
                                                                   "velocity_stdev",
                                                                   "polyphony_max",
                                                                   "polyphony_mean",
                                                                   "notes_per_second",
                                                                   "monophonic",
                                                                   "instruments",
                                                                   "instrument_families",
                                                                   "bars",
                                                                   "print_kind",
                                                                   "print",
                                                                   "print_slots",
                                                                   "features"});

/// stage_paths: a path (its display text, and its key: the identity), and the content it holds.
constexpr auto PATH_COLUMNS = std::to_array<std::string_view>({"path", "hash", "size_bytes", "mtime_us", "key"});

/// stage_errors: a file that could not be imported.
constexpr auto ERROR_COLUMNS = std::to_array<std::string_view>(
    {"path", "size_bytes", "mtime_us", "stage", "reason", "key"});

/// @p columns comma-separated, each after @p prefix ("EXCLUDED.", "s.").
std::string column_list(std::span<std::string_view const> columns, std::string_view prefix = {});

} // namespace midilib
