#pragma once
/// `midilib import`: the phases of one import run.

#include "pipeline/archive_reader.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace midilib {

/// What the user asked for.
struct import_options
{
    std::vector<std::filesystem::path> paths; ///< folders and files
    std::string conninfo;                     ///< resolved database
    std::size_t connections = 0;              ///< writer concurrency = pool size (0: from core count)
    bool progress = false;                    ///< draw the progress line on stderr
    archive_limits archives;                  ///< member size caps and nesting depth
    bool analyze = true;                      ///< run the musical analyzers (file_analysis rows)
};

/// The outcome: scanned = skipped + imported + duplicates + failed + stopped.
struct import_summary
{
    std::uint64_t scanned = 0;
    std::uint64_t skipped = 0; ///< unchanged since an earlier run, not read
    std::uint64_t imported = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t failed = 0;
    std::uint64_t stopped = 0; ///< found but not read because of a stop; the next run takes them
    std::uint64_t removed = 0; ///< paths forgotten because they are gone from the disk (not in scanned)
    std::uint64_t bytes = 0;
    std::uint64_t batches = 0;
    double seconds = 0.0;
    double files_per_sec = 0.0; ///< files processed (scanned) per second
    double mb_per_sec = 0.0;
    double peak_rss_mb = 0.0;
    bool interrupted = false; ///< stopped by SIGINT/SIGTERM after committing the batches in flight
};

/// Default writer concurrency: one connection per core, at least two.
std::size_t default_connections() noexcept;

/**
 * Runs an import: normalize the paths, open the pool, build the graph, feed it,
 * wait for all batches, summarize. Stops early (cleanly) when @p stop becomes true.
 * \throws std::exception on a database failure (after cancelling the graph).
 */
import_summary run_import(import_options const &options, std::atomic<bool> &stop);

/// Peak resident set size of this process in MiB (VmHWM).
double peak_rss_mb();

} // namespace midilib
