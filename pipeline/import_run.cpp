#include "pipeline/import_run.hpp"

#include "db/connection_pool.hpp"
#include "db/library_writer.hpp"
#include "pipeline/arena.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/file_source.hpp"
#include "pipeline/import_graph.hpp"
#include "pipeline/import_stats.hpp"
#include "pipeline/item_pool.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/stages.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

namespace midilib {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Archive members decompressed and not yet parsed, at most (besides one larger member).
/// 32 MiB keeps the parsers fed (thousands of typical members) at a fixed memory cost.
constexpr std::uint64_t MAX_ARCHIVE_BYTES_IN_FLIGHT = std::uint64_t{32} << 20U;

std::size_t core_count() noexcept { return std::max(1U, std::thread::hardware_concurrency()); }

/**
 * The progress line, when shown, and the look-ahead count that gives it its ETA (a second walk of
 * the folders, on a thread of its own, so only when the line is shown). Destroyed, it stops the
 * count, then draws the final line.
 */
class progress_display
{
public:
    progress_display(std::vector<std::filesystem::path> const &roots, import_stats &stats, bool shown)
    {
        if (shown) {
            m_counter = std::thread{[&roots, &stats, this] {
                stats.expected = count_files(roots, m_counting_stop);
                stats.expected_final = true;
            }};
            m_line.emplace(stats);
        }
    }
    progress_display(progress_display const &) = delete;
    progress_display &operator=(progress_display const &) = delete;
    progress_display(progress_display &&) = delete;
    progress_display &operator=(progress_display &&) = delete;
    ~progress_display()
    {
        m_counting_stop = true;
        if (m_counter.joinable()) {
            m_counter.join();
        }
        m_line.reset();
    }

private:
    std::atomic<bool> m_counting_stop{false};
    std::thread m_counter;
    std::optional<progress_line> m_line;
};

/// Runs the graph over the files @p source finds, if there is one to import: a re-run with nothing
/// new walks the folders on this thread alone, without worker threads spinning beside it.
void run_graph(connection_pool &pool, item_pool &items, import_stats &stats, file_source &source,
               std::atomic<bool> const &stop, byte_budget &archive_bytes, bool analyze)
{
    if (!source.has_work()) {
        return;
    }
    known_hashes hashes;
    batcher batches;
    std::size_t const readers = core_count();
    // Writers block on the network, so the arena has a thread per core plus one per writer: CPU
    // stages keep every core busy while COPYs are in flight.
    run_in_arena(readers + pool.size(), [&] {
        import_graph graph{{pool, items, stats, hashes, batches, source, stop, archive_bytes, analyze}, readers};
        graph.run();
    });
}

/// After the last batch: tidies the search indexes up when the import changed the library.
void finish_library(connection_pool &pool, import_stats const &stats)
{
    auto const changed = stats.imported.load() + stats.duplicates.load();
    if (changed == 0) {
        return;
    }
    try {
        auto const t0 = std::chrono::steady_clock::now();
        finish_import(*pool.acquire(), changed);
        spdlog::debug("import: search indexes merged and statistics checked in {:.3f} s", seconds_since(t0));
    } catch (std::exception const &e) { // the rows are committed: searches are slower until autovacuum
        spdlog::warn("import: the search indexes were not tidied up after the import: {}", e.what());
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
    s.removed = stats.removed;
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

std::size_t default_connections() noexcept { return std::max<std::size_t>(2, std::thread::hardware_concurrency()); }

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
    connection_pool pool{options.conninfo, options.connections > 0 ? options.connections : default_connections(),
                         "import"};
    import_stats stats;
    item_pool items;
    byte_budget archive_bytes{MAX_ARCHIVE_BYTES_IN_FLIGHT};
    file_source source{roots, pool, items, stats, stop, archive_bytes, options.archives};
    {
        progress_display const progress{roots, stats, options.progress};
        run_graph(pool, items, stats, source, stop, archive_bytes, options.analyze);
    }
    finish_library(pool, stats);
    spdlog::debug("import: {} item objects, {} batches", items.created(), stats.batches.load());
    return summarize(stats, seconds_since(start), stop.load());
}

} // namespace midilib
