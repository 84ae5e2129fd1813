#include "pipeline/import_run.hpp"

#include "db/connection_pool.hpp"
#include "db/library_writer.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/file_source.hpp"
#include "pipeline/import_graph.hpp"
#include "pipeline/import_stats.hpp"
#include "pipeline/item_pool.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/stages.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

namespace midilib {

namespace {

/// Archive members decompressed and not yet parsed, at most (besides one larger member).
/// 32 MiB keeps the parsers fed (thousands of typical members) at a fixed memory cost.
constexpr std::uint64_t MAX_ARCHIVE_BYTES_IN_FLIGHT = std::uint64_t{32} << 20U;

/// Starts the look-ahead count that gives the progress line its ETA (a second walk of the
/// folders, so only when the line is shown).
std::thread start_counting(std::vector<std::filesystem::path> const &roots, import_stats &stats,
                           std::atomic<bool> const &stop)
{
    return std::thread{[&roots, &stats, &stop] {
        stats.expected = count_files(roots, stop);
        stats.expected_final = true;
    }};
}

void finish_counting(std::thread &counter, std::atomic<bool> &stop)
{
    stop = true;
    if (counter.joinable()) {
        counter.join();
    }
}

import_summary summarize(import_stats const &stats, double seconds, bool interrupted)
{
    import_summary s;
    s.scanned = stats.scanned;
    s.skipped = stats.skipped;
    s.imported = stats.imported;
    s.duplicates = stats.duplicates;
    s.failed = stats.failed;
    s.stopped = stats.stopped;
    s.bytes = stats.bytes_read;
    s.batches = stats.batches;
    s.seconds = seconds;
    s.files_per_sec = seconds > 0 ? static_cast<double>(s.scanned) / seconds : 0.0;
    s.mb_per_sec = seconds > 0 ? static_cast<double>(s.bytes) / 1e6 / seconds : 0.0;
    s.peak_rss_mb = peak_rss_mb();
    s.interrupted = interrupted;
    return s;
}

} // namespace

std::size_t default_connections() noexcept
{
    return std::max<std::size_t>(2, std::thread::hardware_concurrency());
}

double peak_rss_mb()
{
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stod(line.substr(6)) / 1024.0;
        }
    }
    return 0.0;
}

import_summary run_import(import_options const &options, std::atomic<bool> &stop)
{
    auto const start = std::chrono::steady_clock::now();
    spdlog::trace("import: start");
    auto const roots = normalize_roots(options.paths);
    std::size_t const writers = options.connections > 0 ? options.connections : default_connections();
    std::size_t const cores = std::max(1U, std::thread::hardware_concurrency());

    connection_pool pool{options.conninfo, writers, "import"};
    import_stats stats;
    item_pool items;
    known_hashes hashes;
    batcher batches;
    byte_budget archive_bytes{MAX_ARCHIVE_BYTES_IN_FLIGHT};
    file_source source{roots, pool, items, stats, stop, archive_bytes, options.archives};

    std::atomic<bool> counting_stop{false};
    std::thread counter;
    std::optional<progress_line> progress;
    if (options.progress) {
        counter = start_counting(roots, stats, counting_stop);
        progress.emplace(stats);
    }

    try {
        // The graph starts with the first file to import: a re-run with nothing new walks
        // the folders on this thread alone, without worker threads spinning beside it.
        if (source.has_work()) {
            // Writers block on the network, so the arena has a thread per core plus one per
            // writer: CPU stages keep every core busy while COPYs are in flight.
            std::size_t const threads = cores + writers;
            tbb::global_control parallelism{tbb::global_control::max_allowed_parallelism, threads};
            tbb::task_arena arena{static_cast<int>(threads)};
            arena.execute([&] {
                import_graph graph{{pool, items, stats, hashes, batches, source, stop, archive_bytes, options.analyze}, cores};
                graph.run();
            });
        }
    } catch (...) {
        finish_counting(counter, counting_stop);
        throw;
    }
    finish_counting(counter, counting_stop);
    progress.reset();
    if (auto const changed = stats.imported.load() + stats.duplicates.load(); changed > 0) {
        try {
            auto const t0 = std::chrono::steady_clock::now();
            finish_import(*pool.acquire(), changed);
            spdlog::debug("import: search indexes merged and statistics checked in {:.3f} s",
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        } catch (std::exception const &e) { // the rows are committed: searches are slower until autovacuum
            spdlog::warn("import: the search indexes were not tidied up after the import: {}", e.what());
        }
    }
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::debug("import: {} item objects, {} batches", items.created(), stats.batches.load());
    return summarize(stats, seconds, stop.load());
}

} // namespace midilib
