#include "db/queue_connection.hpp"

#include "db/connection_pool.hpp"
#include "db/job_queue.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace midilib {

namespace {

/// True for errors after which the connection is gone (server stopped or restarted).
bool connection_lost(std::exception const &e)
{
    if (dynamic_cast<pqxx::broken_connection const *>(&e) != nullptr ||
        dynamic_cast<pqxx::in_doubt_error const *>(&e) != nullptr) {
        return true;
    }
    if (auto const *sql = dynamic_cast<pqxx::sql_error const *>(&e)) {
        auto const state = sql->sqlstate();
        return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
    }
    return false;
}

std::string first_line(std::string const &s) { return s.substr(0, s.find('\n')); }

/// LISTEN midilib_jobs for as long as it exists; the notifications only wake await_notification().
struct job_listener : pqxx::notification_receiver
{
    explicit job_listener(pqxx::connection &cx) : pqxx::notification_receiver{cx, "midilib_jobs"} {}
    void operator()(std::string const &, int) override {}
};

} // namespace

struct queue_connection::state
{
    std::string conninfo;
    std::string label;
    queue_settings settings;
    std::atomic<bool> const &stop;
    std::size_t reconnects = 0; // each connection its own count: a worker's connections run on different threads
    std::unique_ptr<pqxx::connection> cx;
    std::unique_ptr<job_listener> listener;

    /// Runs @p f, reopening the connection and trying again after it is lost, until stop.
    template <typename F>
    auto run(F &&f) -> decltype(f(std::declval<pqxx::connection &>()))
    {
        auto pause = std::chrono::milliseconds{100};
        while (true) {
            bool lost = false;
            try {
                return attempt(f, lost);
            } catch (std::exception const &e) {
                if (!lost || stop) {
                    throw;
                }
                spdlog::warn("{}: database connection lost ({}); retrying in {} ms", label, first_line(e.what()),
                             pause.count());
                ++reconnects;
                std::this_thread::sleep_for(pause);
                pause = std::min(pause * 2, std::chrono::milliseconds{2000});
            }
        }
    }

    /// Runs @p f once, opening the connection if needed; after a lost connection, rethrows and
    /// leaves it to be opened again by the next call.
    template <typename F>
    auto attempt(F &f, bool &lost) -> decltype(f(std::declval<pqxx::connection &>()))
    {
        try {
            if (!cx) {
                cx = open_connection(conninfo, label);
            }
            return f(*cx);
        } catch (std::exception const &e) {
            // Whatever the error says, a connection that is no longer open was lost.
            lost = connection_lost(e) || (cx && !cx->is_open());
            if (lost) {
                listener.reset(); // before its connection
                cx.reset();
            }
            throw;
        }
    }
};

queue_connection::queue_connection(std::string conninfo, std::string label, queue_settings settings,
                                   std::atomic<bool> const &stop)
: m_state{std::make_unique<state>(
      state{std::move(conninfo), std::move(label), std::move(settings), stop, 0, nullptr, nullptr})}
{}

queue_connection::~queue_connection() = default;

std::vector<claimed_job> queue_connection::claim(std::size_t n)
{
    return m_state->run([&](pqxx::connection &cx) { return claim_jobs(cx, m_state->settings, n); });
}

std::size_t queue_connection::release_expired()
{
    return m_state->run([&](pqxx::connection &cx) { return midilib::release_expired(cx, m_state->settings); });
}

ack_result queue_connection::ack(std::span<stored_file const *const> analyzed, std::span<std::int64_t const> done_ids,
                                 std::span<job_failure const> failures)
{
    return m_state->run(
        [&](pqxx::connection &cx) { return ack_jobs(cx, m_state->settings, analyzed, done_ids, failures); });
}

queue_status queue_connection::status()
{
    return m_state->run([](pqxx::connection &cx) { return read_queue_status(cx); });
}

void queue_connection::wait_for_jobs(std::chrono::seconds timeout)
{
    m_state->run([&](pqxx::connection &cx) {
        if (!m_state->listener) {
            m_state->listener = std::make_unique<job_listener>(cx);
        }
        cx.await_notification(static_cast<long>(timeout.count()), 0);
        return 0;
    });
}

std::size_t queue_connection::renew_leases()
{
    bool lost = false;
    auto renew = [&](pqxx::connection &cx) { return midilib::renew_leases(cx, m_state->settings); };
    return m_state->attempt(renew, lost);
}

std::size_t queue_connection::reconnects() const noexcept { return m_state->reconnects; }

} // namespace midilib
