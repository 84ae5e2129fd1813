#pragma once
/// Counters shared by the import stages, read by the progress line and the summary.

#include <atomic>
#include <cstdint>

namespace midilib {

/// Every file found is counted once in scanned and once in exactly one of the other five.
struct import_stats
{
    std::atomic<std::uint64_t> scanned{0};    ///< files found by the source
    std::atomic<std::uint64_t> skipped{0};    ///< unchanged since an earlier import (not read)
    std::atomic<std::uint64_t> imported{0};   ///< new contents written (committed)
    std::atomic<std::uint64_t> duplicates{0}; ///< content already in the library (committed)
    std::atomic<std::uint64_t> failed{0};     ///< import_errors rows (committed)
    std::atomic<std::uint64_t> stopped{0};    ///< not read because the import was stopped
    std::atomic<std::uint64_t> removed{0};    ///< paths forgotten: gone from the disk (not counted in scanned)
    std::atomic<std::uint64_t> bytes_read{0}; ///< bytes read from disk
    std::atomic<std::uint64_t> batches{0};    ///< committed batches
    std::atomic<std::uint64_t> expected{0};   ///< files counted by the look-ahead walk (for the ETA)
    std::atomic<bool> expected_final{false};  ///< the look-ahead walk has finished

    /// Files that reached a final state.
    [[nodiscard]] std::uint64_t done() const noexcept { return skipped + imported + duplicates + failed + stopped; }
};

} // namespace midilib
