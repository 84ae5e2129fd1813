#include "db/connection_pool.hpp"

#include "db/sql_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace midilib {

std::unique_ptr<pqxx::connection> open_connection(std::string const &conninfo, std::string const &label)
{
    auto cx = std::make_unique<pqxx::connection>(conninfo);
    // application_name is set by statement, not conninfo, so that URIs and keyword strings both work.
    // esc() between quotes is what quote() returns; quote()'s own `"'" + ...` makes GCC 12 at -O2
    // warn (-Wrestrict, a false positive) in every Release build.
    std::string sql{"SET application_name TO '"};
    sql += cx->esc(label);
    sql += '\'';
    log_sql(label, sql);
    pqxx::nontransaction tx{*cx};
    tx.exec0(sql);
    return cx;
}

connection_pool::connection_pool(std::string conninfo, std::size_t size, std::string const &role)
: m_conninfo(std::move(conninfo))
{
    if (size == 0) {
        throw std::invalid_argument{"connection pool needs at least one connection"};
    }
    m_slots.resize(size);
    for (std::size_t i = 0; i < size; ++i) {
        m_slots[i].label = fmt::format("midilib.{}/C{}", role, i + 1);
        m_free.push_back(size - 1 - i); // C1 is handed out first, and again after each release
    }
    // Connections open on first lease: a run that needs one never pays for the others, and
    // the first opens on the thread that needs it while the caller goes on.
    spdlog::debug("connection pool: {} connection(s) for {}", size, role);
}

void connection_pool::open(std::size_t index) { m_slots[index].cx = open_connection(m_conninfo, m_slots[index].label); }

connection_pool::lease connection_pool::acquire(std::chrono::milliseconds timeout)
{
    std::size_t index = 0;
    {
        std::unique_lock lock{m_mutex};
        if (!m_freed.wait_for(lock, timeout, [this] { return !m_free.empty(); })) {
            throw std::runtime_error{
                fmt::format("no database connection became free within {:g} s (pool of {}); "
                            "raise --connections or check for stuck statements in pg_stat_activity",
                            static_cast<double>(timeout.count()) / 1000.0, m_slots.size())};
        }
        index = m_free.back();
        m_free.pop_back();
    }
    if (!m_slots[index].cx || !m_slots[index].cx->is_open()) {
        try {
            open(index);
        } catch (...) {
            release(index);
            throw;
        }
    }
    return lease{*this, index};
}

void connection_pool::release(std::size_t index) noexcept
{
    {
        std::lock_guard lock{m_mutex};
        m_free.push_back(index);
    }
    m_freed.notify_one();
}

connection_pool::lease::~lease()
{
    if (m_pool != nullptr) {
        m_pool->release(m_index);
    }
}

} // namespace midilib
