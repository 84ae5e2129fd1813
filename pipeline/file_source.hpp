#pragma once
/// The start of the import graph: walks the user's folders and hands out files not yet imported.

#include "db/connection_pool.hpp"
#include "db/library_paths.hpp"
#include "db/library_writer.hpp"
#include "pipeline/archive_reader.hpp"
#include "pipeline/folder_walk.hpp"
#include "pipeline/import_stats.hpp"
#include "pipeline/item_pool.hpp"

#include <oneapi/tbb/flow_graph.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

namespace midilib {

/// The stored form of a file system path: valid UTF-8 as it is, else each component decoded on
/// its own (one Latin-1 file name does not re-decode the valid UTF-8 folder names around it).
std::string path_to_utf8(std::string const &fs_path);

/// Folds the roots: absolute, normalized, without those inside another root. \throws std::runtime_error for a missing root.
std::vector<std::filesystem::path> normalize_roots(std::vector<std::filesystem::path> const &roots);

/// Counts the MIDI files under @p roots (for the ETA), stopping early when @p stop is set.
std::uint64_t count_files(std::vector<std::filesystem::path> const &roots, std::atomic<bool> const &stop);

/**
 * Walks the roots (folder_walk), stats each MIDI file, asks the library in
 * chunks which paths are unchanged since an earlier import (those are counted
 * as skipped and never read), and yields the others one by one as pooled
 * items. The library is asked about one chunk on another thread while the
 * next chunk is walked, so a re-run costs about one walk of the folders.
 * Used as the body of the graph's input_node, so it runs serially.
 */
class file_source
{
public:
    file_source(std::vector<std::filesystem::path> roots, connection_pool &pool, item_pool &items, import_stats &stats,
                std::atomic<bool> const &stop, byte_budget &archive_bytes, archive_limits limits);

    /// Walks until a file needs importing; false when none is left (or on stop).
    bool has_work();

    /// The next file to import, or nullptr (and fc.stop()) when done or stopped.
    file_item *operator()(tbb::flow_control &fc);

    ~file_source();
    file_source(file_source const &) = delete;
    file_source &operator=(file_source const &) = delete;

    /// A root's key and the range [lo, hi) of keys under it.
    struct root_range
    {
        std::string key;
        std::string lo;
        std::string hi;
    };

private:
    /// A range of keys [lo, hi) the walk covered, under one root.
    struct walked_range
    {
        std::string lo;
        std::string hi;
        std::size_t root = 0;
    };
    /// Files walked but not yet checked against the library, and the ranges of paths they cover:
    /// what the library holds there and the walk did not find is looked for on the disk.
    struct chunk
    {
        std::vector<path_candidate> candidates; ///< a walked file's key is its path's bytes
        std::vector<walked_range> ranges;
    };

    /// The archive being read.
    struct open_archive
    {
        open_archive(path_candidate const &file, archive_limits limits, std::int64_t read_since_us,
                     archive_reader::hold_bytes hold)
        : reader(file.key, file.key, file.size, file.mtime_us, limits, std::move(hold)), // member paths in bytes
          progress(std::make_shared<archive_progress>(file, read_since_us, limits.max_member_bytes))
        {}
        archive_reader reader;
        std::shared_ptr<archive_progress> progress;
    };

    void refill();
    chunk walk_chunk();
    void settle(chunk &c, std::vector<std::uint64_t> const &known);
    /// Closes the range of the root being walked and of every root before @p next_root (roots without files).
    void close_roots(chunk &c, std::size_t next_root);
    /// Asks the library about @p c and forgets what it holds in the walked ranges that is gone from the disk.
    std::vector<std::uint64_t> check(chunk const &c);
    void next_member();

    std::vector<root_range> m_roots;
    folder_walk m_walk;
    std::size_t m_range_root = 0; ///< the root being walked
    std::string m_range_lo;       ///< where the walked range of the next chunk begins
    walk_entry m_entry;
    bool m_entry_held = false; ///< m_entry belongs to the next chunk (another root)
    std::size_t m_chunk_size;
    /// A chunk and the library's answer about it, being computed on another thread.
    struct pending_chunk
    {
        explicit pending_chunk(chunk c) : files(std::move(c)) {}
        chunk files;
        std::future<std::vector<std::uint64_t>> known;
    };
    std::deque<pending_chunk> m_pending; ///< in walk order
    std::size_t m_pending_files = 0;
    std::mutex m_check_mutex;
    connection_pool &m_pool;
    item_pool &m_items;
    import_stats &m_stats;
    std::atomic<bool> const &m_stop;
    /// Files to read. They get their item (over 1 KB each) only when sent: a chunk of 1,024 files
    /// waiting here while the limiter is full does not add 1,024 items to the pool.
    std::deque<path_candidate> m_to_read;
    std::deque<file_item *> m_ready; ///< items made already: archive members, scan errors
    bool m_exhausted = false;        ///< every root has been walked
    byte_budget &m_archive_bytes;
    archive_limits m_limits;
    std::deque<path_candidate> m_archives; ///< found, not known, not opened yet
    std::optional<open_archive> m_archive;
};

} // namespace midilib
