#pragma once
/// The oneTBB flow graph of an import: source -> limiter -> read -> hash -> parse -> batch -> write
/// (large files take a serial parse node beside the parallel one).

#include "db/connection_pool.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/file_source.hpp"
#include "pipeline/import_stats.hpp"
#include "pipeline/item_pool.hpp"
#include "pipeline/stages.hpp"

#include <atomic>
#include <oneapi/tbb/flow_graph.h>

#include <cstddef>
#include <tuple>

namespace midilib {

/// Files between the source and a committed batch, for @p writers connections: a batch being
/// written on each, one filling, and one being read and parsed, so the writers never wait for a
/// batch to fill. Each holds its encoded rows, so this bounds most of the import's memory
/// whatever the corpus size.
constexpr std::size_t files_in_flight(std::size_t writers) noexcept { return (writers + 2) * MAX_BATCH_ROWS; }

/// Files at least this large (about 0.5 % of a library) go through a serial node that reads, hashes,
/// parses and analyzes them one at a time: analysis holds a few times a file's size, so memory peaks
/// with one large file, not several, while the small files keep the other cores busy.
constexpr std::size_t HEAVY_FILE_BYTES = 64 * 1024;

/// What the stages share.
struct import_context
{
    connection_pool &pool;
    item_pool &items;
    import_stats &stats;
    known_hashes &hashes;
    batcher &batches;
    file_source &source;
    std::atomic<bool> const &stop; ///< set by SIGINT/SIGTERM: files not yet read are left for the next run
    byte_budget &archive_bytes;    ///< archive members' bytes in memory, returned after parsing
    bool analyze;                  ///< run the analyzers in the parse stage
};

/// The graph and its nodes; built in the constructor, run once.
class import_graph
{
public:
    /// Builds the nodes and edges; @p readers file reads and pool.size() writers run at once.
    import_graph(import_context ctx, std::size_t readers);

    import_graph(import_graph const &) = delete;
    import_graph &operator=(import_graph const &) = delete;
    import_graph(import_graph &&) = delete;
    import_graph &operator=(import_graph &&) = delete;
    ~import_graph() = default;

    /** Runs until the source is exhausted and every batch is committed. \throws what a stage threw (the graph is cancelled). */
    void run();

private:
    using limiter_type = tbb::flow::limiter_node<file_item *, std::size_t>;
    using stage_type = tbb::flow::function_node<file_item *, file_item *>;
    using route_node_type = tbb::flow::multifunction_node<file_item *, std::tuple<file_item *, file_item *>>;
    using batch_node_type = tbb::flow::multifunction_node<file_item *, std::tuple<file_batch>>;
    using write_node_type = tbb::flow::function_node<file_batch, std::size_t>;

    file_item *read(file_item *item);
    file_item *parse(file_item *item);
    std::size_t write(file_batch const &batch);

    import_context m_ctx;
    tbb::flow::graph m_graph;
    tbb::flow::input_node<file_item *> m_source;
    limiter_type m_limiter;
    /// port 0: to m_read (then m_hash, m_parse); port 1: files of HEAVY_FILE_BYTES or more, to m_heavy
    route_node_type m_route;
    stage_type m_read;
    stage_type m_hash;
    stage_type m_parse;
    stage_type m_heavy; ///< read, hash and parse, one file at a time
    batch_node_type m_batch;
    write_node_type m_write;
};

} // namespace midilib
