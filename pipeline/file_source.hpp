#pragma once
/// The start of the import graph: walks the user's folders and hands out files not yet imported.

#include "db/connection_pool.hpp"
#include "db/library_writer.hpp"
#include "pipeline/import_stats.hpp"
#include "pipeline/item_pool.hpp"

#include <oneapi/tbb/flow_graph.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <optional>
#include <vector>

namespace midilib {

/// True for the file names the importer picks up inside folders (.mid .midi .kar .rmi .smf, any case).
bool is_midi_file_name(std::filesystem::path const &path);

/// Folds the roots: absolute, normalized, without those inside another root. \throws std::runtime_error for a missing root.
std::vector<std::filesystem::path> normalize_roots(std::vector<std::filesystem::path> const &roots);

/// Counts the MIDI files under @p roots (for the ETA), stopping early when @p stop is set.
std::uint64_t count_files(std::vector<std::filesystem::path> const &roots, std::atomic<bool> const &stop);

/**
 * Walks the roots in order, stats each MIDI file, asks the library in chunks
 * which paths are unchanged since an earlier import (those are counted as
 * skipped and never read), and yields the others one by one as pooled items.
 * Used as the body of the graph's input_node, so it runs serially.
 */
class file_source
{
public:
    file_source(std::vector<std::filesystem::path> roots, connection_pool &pool, item_pool &items,
                import_stats &stats, std::atomic<bool> const &stop);

    /// The next file to import, or nullptr (and fc.stop()) when done or stopped.
    file_item *operator()(tbb::flow_control &fc);

private:
    void refill();
    bool next_candidate(std::string &fs_path);
    void emit_scan_error(std::filesystem::path const &where, std::string const &reason);

    std::vector<std::filesystem::path> m_roots;
    std::size_t m_root = 0;
    std::optional<std::filesystem::recursive_directory_iterator> m_walk;
    connection_pool &m_pool;
    item_pool &m_items;
    import_stats &m_stats;
    std::atomic<bool> const &m_stop;
    std::deque<file_item *> m_ready;
    bool m_exhausted = false; ///< every root has been walked
};

} // namespace midilib
