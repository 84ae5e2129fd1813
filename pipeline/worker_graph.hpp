#pragma once
/// The oneTBB flow graph of `midilib worker`: claim -> limiter -> analyze -> ack.

#include "db/queue_connection.hpp"
#include "pipeline/batch_analysis.hpp"
#include "pipeline/worker_run.hpp"

#include <oneapi/tbb/flow_graph.h>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace midilib {

/// Batches between claim and ack: one being analyzed while the previous is written and the next
/// is claimed.
constexpr std::size_t BATCHES_IN_FLIGHT = 2;

/// What the nodes share.
struct worker_context
{
    worker_options const &options;
    queue_connection &claimer;      ///< the source's: reaps, claims, waits for a NOTIFY
    queue_connection &writer;       ///< the ack node's
    std::atomic<std::size_t> &held; ///< batches claimed and not acked yet (for the lease heartbeat)
    std::atomic<bool> const &stop;  ///< set by SIGINT/SIGTERM: claim no more, ack what is in hand
    worker_summary &summary;        ///< counts of the acks
};

/// The graph and its nodes; built in the constructor, run once.
class worker_graph
{
public:
    explicit worker_graph(worker_context ctx);

    worker_graph(worker_graph const &) = delete;
    worker_graph &operator=(worker_graph const &) = delete;
    worker_graph(worker_graph &&) = delete;
    worker_graph &operator=(worker_graph &&) = delete;
    ~worker_graph() = default;

    /** Runs until stop (with once: until the queue is empty) and every batch claimed is acked. \throws what a node threw. */
    void run();

private:
    using clock_type = std::chrono::steady_clock;

    job_batch *claim(tbb::flow_control &fc);
    static job_batch *analyze(job_batch *batch);
    tbb::flow::continue_msg ack(job_batch *raw);

    worker_context m_ctx;
    clock_type::time_point m_last_reap;
    tbb::flow::graph m_graph;
    tbb::flow::input_node<job_batch *> m_source;
    tbb::flow::limiter_node<job_batch *> m_limiter;
    tbb::flow::function_node<job_batch *, job_batch *> m_analyze;
    tbb::flow::function_node<job_batch *, tbb::flow::continue_msg> m_ack;
};

} // namespace midilib
