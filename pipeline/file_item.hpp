#pragma once
/// The message that travels the import graph: one file, from its path to its rows.

#include "analyzers/file_facts.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace midilib {

/// What became of a file on its way through the graph.
enum class item_state : std::uint8_t {
    pending,   ///< not yet parsed
    parsed,    ///< facts extracted; becomes a midi_files row (unless its hash exists) and a path row
    duplicate, ///< content already in the library: only a path row
    failed,    ///< an import_errors row
    stopped    ///< not read: the import was stopped first; the next run picks it up
};

/// One file in flight. Items are pooled and reused: buffers keep their capacity.
struct file_item
{
    std::string fs_path;       ///< path as the OS spells it (bytes), for opening the file
    std::string path;          ///< absolute path as stored (valid UTF-8)
    std::uint64_t size = 0;    ///< from stat
    std::int64_t mtime_us = 0; ///< modification time, microseconds since the epoch

    std::vector<std::uint8_t> bytes;    ///< file content; released after parsing
    std::array<std::uint8_t, 16> hash{}; ///< XXH3-128, big-endian digest bytes

    item_state state = item_state::pending;
    file_facts facts;          ///< valid when state == parsed
    char const *error_stage = ""; ///< when failed: "scan", "read", "parse", ...
    std::string error_reason;  ///< when failed: one sentence

    /// Marks the item failed at @p stage with @p reason.
    void fail(char const *stage, std::string reason)
    {
        state = item_state::failed;
        error_stage = stage;
        error_reason = std::move(reason);
    }
};

} // namespace midilib
