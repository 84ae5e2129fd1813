#pragma once
/// One file as the library stores it: what write_batch() and ack_jobs() write for it.

#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace midilib {

/// Which rows a file becomes.
enum class file_state : std::uint8_t {
    pending,   ///< not yet parsed (written as an error if it ever reached the writer so)
    parsed,    ///< a midi_files row (unless its hash exists) and a path row
    duplicate, ///< content already in the library: only a path row
    failed,    ///< an import_errors row
    stopped    ///< not read: the import was stopped first; no row, the next run picks it up
};

/**
 * A file's rows before they are written. The content and analysis rows arrive encoded in COPY
 * text (by the importer's parse stage or a worker's job), so that the writer sends them as they
 * are and a file waiting for its batch holds a few hundred bytes per row.
 */
struct stored_file
{
    /// The identity: the path's bytes as the OS spells them (to open a file); an archive member's is
    /// its archive's key, NUL, its name (then NUL NUL and an ordinal when the name repeats).
    std::string key;
    std::string path;                    ///< absolute path as shown and searched (valid UTF-8)
    std::uint64_t size = 0;              ///< from stat, then the bytes read
    std::int64_t mtime_us = 0;           ///< modification time, microseconds since the epoch
    std::array<std::uint8_t, 16> hash{}; ///< XXH3-128, big-endian digest bytes
    file_state state = file_state::pending;
    std::string file_row;         ///< when parsed: the stage_files row, one field per FILE_COLUMNS
    std::string analysis_row;     ///< when analyzed: the stage_analysis row, hash then ANALYSIS_COLUMNS
    char const *error_stage = ""; ///< when failed: "scan", "read", "parse", ...
    std::string error_reason;     ///< when failed: one sentence

    /// Marks the file failed at @p stage with @p reason.
    void fail(char const *stage, std::string reason)
    {
        state = file_state::failed;
        error_stage = stage;
        error_reason = std::move(reason);
    }
};

} // namespace midilib
