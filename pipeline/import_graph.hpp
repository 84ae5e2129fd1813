#pragma once
/// The oneTBB flow graph of an import: source -> limiter -> read -> hash -> parse -> batch -> write.

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

/// Files between the source and a committed batch. Must exceed (writers + 2) x
/// MAX_BATCH_ROWS so that batches fill while others are written; each item in flight
/// holds its facts and analysis (file bytes are freed after parsing), a few KiB. Measured:
/// 6,000 with batches of 1,000 imports the corpus 1.2x faster than 12,000 with batches of
/// 2,000 (smaller batches keep both writers busy) at 10 MB less peak memory.
constexpr std::size_t MAX_FILES_IN_FLIGHT = 6000;

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
    using batch_node_type = tbb::flow::multifunction_node<file_item *, std::tuple<file_batch>>;
    using write_node_type = tbb::flow::function_node<file_batch, std::size_t>;

    std::size_t write(file_batch const &batch);

    import_context m_ctx;
    tbb::flow::graph m_graph;
    tbb::flow::input_node<file_item *> m_source;
    limiter_type m_limiter;
    stage_type m_read;
    stage_type m_hash;
    stage_type m_parse;
    batch_node_type m_batch;
    write_node_type m_write;
};

} // namespace midilib
