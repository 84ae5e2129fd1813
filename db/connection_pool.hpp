#pragma once
/// A fixed set of PostgreSQL connections, each used by one thread at a time.

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace midilib {

/// One pooled connection and its label ("midilib.import/C1").
struct pooled_connection
{
    std::unique_ptr<pqxx::connection> cx;
    std::string label;
};

/**
 * Up to N connections, each labelled with application_name
 * "midilib.<role>/C<n>". acquire() hands one out by RAII lease, opening it
 * on first use: a run that needs one connection (a re-run with nothing new)
 * never pays for the rest. A broken connection is reopened on the next lease.
 */
class connection_pool
{
public:
    /// Returned to the pool when destroyed.
    class lease
    {
    public:
        lease(connection_pool &pool, std::size_t index) noexcept : m_pool(&pool), m_index(index) {}
        lease(lease &&other) noexcept : m_pool(other.m_pool), m_index(other.m_index) { other.m_pool = nullptr; }
        lease(lease const &) = delete;
        lease &operator=(lease const &) = delete;
        lease &operator=(lease &&) = delete;
        ~lease();

        /// The connection.
        pqxx::connection &operator*() const { return *m_pool->m_slots[m_index].cx; }
        /// The connection.
        pqxx::connection *operator->() const { return m_pool->m_slots[m_index].cx.get(); }
        /// Its label, for log lines.
        std::string const &label() const { return m_pool->m_slots[m_index].label; }

    private:
        connection_pool *m_pool;
        std::size_t m_index;
    };

    /// A pool of up to @p size connections, none open yet.
    connection_pool(std::string conninfo, std::size_t size, std::string const &role);

    connection_pool(connection_pool const &) = delete;
    connection_pool &operator=(connection_pool const &) = delete;
    connection_pool(connection_pool &&) = delete;
    connection_pool &operator=(connection_pool &&) = delete;
    ~connection_pool() = default;

    /**
     * Waits up to @p timeout for a free connection, and opens it if needed.
     * \throws std::runtime_error when none frees up in time.
     * \throws pqxx::broken_connection when the server cannot be reached.
     */
    lease acquire(std::chrono::milliseconds timeout = std::chrono::minutes{5});

    /// Number of connections.
    [[nodiscard]] std::size_t size() const noexcept { return m_slots.size(); }

private:
    void open(std::size_t index);
    void release(std::size_t index) noexcept;

    std::string m_conninfo;
    std::vector<pooled_connection> m_slots;
    std::vector<std::size_t> m_free;
    std::mutex m_mutex;
    std::condition_variable m_freed;
};

/** Opens one labelled connection (for single-statement commands). \throws pqxx::broken_connection */
std::unique_ptr<pqxx::connection> open_connection(std::string const &conninfo, std::string const &label);

} // namespace midilib
