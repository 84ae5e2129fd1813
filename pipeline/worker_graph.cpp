#include "pipeline/worker_graph.hpp"

#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>

#include <thread>

namespace midilib {

namespace {

namespace flow = tbb::flow;

/// How often a worker looks for jobs whose worker died (expired leases).
constexpr auto REAP_EVERY = std::chrono::seconds{1};

/// Longest wait for a NOTIFY before looking at the queue again.
constexpr auto IDLE_WAIT = std::chrono::seconds{1};

} // namespace

worker_graph::worker_graph(worker_context ctx)
: m_ctx(ctx), m_last_reap(clock_type::now() - REAP_EVERY),
  m_source(m_graph, [this](tbb::flow_control &fc) { return claim(fc); }), m_limiter(m_graph, BATCHES_IN_FLIGHT),
  m_analyze(m_graph, flow::serial, [](job_batch *batch) { return analyze(batch); }),
  m_ack(m_graph, flow::serial, [this](job_batch *batch) { return ack(batch); })
{
    flow::make_edge(m_source, m_limiter);
    flow::make_edge(m_limiter, m_analyze);
    flow::make_edge(m_analyze, m_ack);
    flow::make_edge(m_ack, m_limiter.decrementer());
}

void worker_graph::run()
{
    m_source.activate();
    m_graph.wait_for_all();
}

/// The next batch: reaps expired leases now and then, claims, or waits for a NOTIFY.
job_batch *worker_graph::claim(tbb::flow_control &fc)
{
    auto &queue = m_ctx.claimer;
    while (!m_ctx.stop) {
        if (clock_type::now() - m_last_reap >= REAP_EVERY) {
            m_last_reap = clock_type::now();
            if (auto const n = queue.release_expired(); n > 0) {
                spdlog::info("worker: {} job(s) of stopped workers back in the queue", n);
            }
        }
        auto jobs = queue.claim(m_ctx.options.batch);
        if (!jobs.empty()) {
            auto batch = std::make_unique<job_batch>();
            batch->items.resize(jobs.size());
            for (auto &item : batch->items) {
                item = std::make_unique<file_item>();
            }
            batch->errors.resize(jobs.size());
            batch->jobs = std::move(jobs);
            ++m_ctx.held;
            return batch.release();
        }
        if (m_ctx.options.once) {
            auto const s = queue.status();
            if (s.queued == 0 && s.running == 0) {
                break; // nothing left to wait for (jobs in backoff count as queued)
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
            continue;
        }
        queue.wait_for_jobs(IDLE_WAIT);
    }
    fc.stop();
    return nullptr;
}

/// Reads, verifies and analyzes the batch's files, as many at once as the arena has threads.
job_batch *worker_graph::analyze(job_batch *batch)
{
    // Isolated: while it waits for the batch's jobs, this thread must not take up the source's
    // claim loop, which with --once waits for this batch's ack (a deadlock).
    tbb::this_task_arena::isolate(
        [batch] { analyze_batch(*batch, static_cast<std::size_t>(tbb::this_task_arena::max_concurrency())); });
    return batch;
}

/// Writes the batch's analyses and acks its jobs in one transaction; failed jobs go back to the queue.
flow::continue_msg worker_graph::ack(job_batch *raw)
{
    std::unique_ptr<job_batch> const b{raw};
    std::vector<stored_file const *> analyzed;
    std::vector<std::int64_t> done_ids;
    std::vector<job_failure> failures;
    for (std::size_t i = 0; i < b->jobs.size(); ++i) {
        if (b->errors[i].empty()) {
            analyzed.push_back(&b->items[i]->stored);
            done_ids.push_back(b->jobs[i].id);
        } else {
            failures.push_back({b->jobs[i].id, b->errors[i]});
            spdlog::warn("job {} (file {}), attempt {}: {}", b->jobs[i].id, b->jobs[i].file_id, b->jobs[i].attempts,
                         b->errors[i]);
        }
    }
    auto const r = m_ctx.writer.ack(analyzed, done_ids, failures);
    --m_ctx.held;
    m_ctx.summary.done += r.done;
    m_ctx.summary.retried += r.retried;
    m_ctx.summary.dead += r.dead;
    m_ctx.summary.archive_opens += b->archive_opens;
    ++m_ctx.summary.batches;
    return flow::continue_msg{};
}

} // namespace midilib
