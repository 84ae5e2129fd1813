#include "pipeline/worker_run.hpp"

#include "db/queue_connection.hpp"
#include "pipeline/arena.hpp"
#include "pipeline/worker_graph.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace midilib {

namespace {

using clock_type = std::chrono::steady_clock;

std::string first_line(std::string const &s) { return s.substr(0, s.find('\n')); }

/**
 * While the worker holds claimed jobs, extends their lease every lease/3 on a connection of
 * its own (midilib.worker/lease), so that a batch that takes longer than the lease (huge
 * files, a slow disk) is not handed to another worker. A failed renewal is logged once and
 * tried again the next period. Stops (and joins) when destroyed.
 */
class lease_heartbeat
{
public:
    lease_heartbeat(std::string const &conninfo, queue_settings const &queue, std::atomic<std::size_t> const &held,
                    std::atomic<bool> const &stop)
    : m_cx{conninfo, "midilib.worker/lease", queue, stop}, m_lease(queue.lease),
      m_held(held), m_thread{[this](std::stop_token const &st) { beat(st); }}
    {}

    lease_heartbeat(lease_heartbeat const &) = delete;
    lease_heartbeat &operator=(lease_heartbeat const &) = delete;
    lease_heartbeat(lease_heartbeat &&) = delete;
    lease_heartbeat &operator=(lease_heartbeat &&) = delete;
    ~lease_heartbeat() = default; // m_thread, destroyed first, requests stop and joins

private:
    void beat(std::stop_token const &st)
    {
        // A third of the lease: two renewals can fail (or come late) before a lease runs out.
        auto const period = std::chrono::duration_cast<std::chrono::milliseconds>(m_lease) / 3;
        std::mutex m;
        std::condition_variable_any wake; // only by the stop request
        std::unique_lock lock{m};
        bool failing = false;
        while (!wake.wait_for(lock, st, period, [&st] { return st.stop_requested(); })) {
            if (m_held == 0) {
                continue;
            }
            try {
                m_cx.renew_leases();
                if (failing) {
                    spdlog::info("worker: leases renewed again");
                }
                failing = false;
            } catch (std::exception const &e) {
                if (!failing) {
                    spdlog::warn("worker: could not renew the leases of its jobs ({}); trying again every {} ms",
                                 first_line(e.what()), period.count());
                }
                failing = true;
            }
        }
    }

    queue_connection m_cx;
    std::chrono::seconds const m_lease;
    std::atomic<std::size_t> const &m_held;
    std::jthread m_thread; // last: started when everything it uses exists
};

/// Threads that analyze at once: --jobs, or one per core.
std::size_t analysis_threads(worker_options const &options)
{
    return options.jobs > 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
}

} // namespace

worker_summary run_worker(worker_options const &options, std::atomic<bool> &stop)
{
    auto const start = clock_type::now();
    queue_connection claimer{options.conninfo, "midilib.worker/claim", options.queue, stop};
    queue_connection writer{options.conninfo, "midilib.worker/ack", options.queue, stop};
    std::atomic<std::size_t> held{0};
    lease_heartbeat const heartbeat{options.conninfo, options.queue, held, stop};
    worker_summary summary;
    // Besides the analysis threads, one for the source and one for the ack, which wait on the database.
    run_in_arena(analysis_threads(options) + 2, [&] {
        worker_graph graph{{options, claimer, writer, held, stop, summary}};
        graph.run();
    });
    summary.reconnects = claimer.reconnects() + writer.reconnects();
    summary.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return summary;
}

} // namespace midilib
