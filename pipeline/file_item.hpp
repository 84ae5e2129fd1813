#pragma once
/// The message that travels the import graph: one file, from its path to its rows.

#include "analyzers/analysis.hpp"
#include "analyzers/file_facts.hpp"
#include "db/library_paths.hpp"
#include "db/stored_file.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/**
 * Tracks one archive whose members travel the graph, so that the archive is recorded
 * as imported only once every member's batch has committed (and none was lost).
 */
class archive_progress
{
public:
    archive_progress(path_candidate file, std::int64_t read_since_us, std::uint64_t member_limit)
    : file(std::move(file)), read_since_us(read_since_us), member_limit(member_limit)
    {}

    path_candidate const file;        ///< the archive file
    std::int64_t const read_since_us; ///< the server's clock when the reading began (server_now_us())
    std::uint64_t const member_limit; ///< the member size limit of the reading

    /// A member entered the graph.
    void add_member()
    {
        std::lock_guard lock{m_mutex};
        ++m_emitted;
    }
    /// A member's batch committed (@p written false: it was not written, e.g. stopped; @p failed:
    /// written as an error row). \returns true once, when this completes the archive: record it then.
    bool member_done(bool written, bool failed = false)
    {
        std::lock_guard lock{m_mutex};
        ++m_settled;
        m_complete = m_complete && written;
        m_failed = m_failed || failed;
        return take_record();
    }
    /// The member limit when a member failed (the archive is read again when the limit changes).
    [[nodiscard]] std::optional<std::uint64_t> failed_under_limit() const
    {
        std::lock_guard lock{m_mutex};
        return m_failed ? std::optional{member_limit} : std::nullopt;
    }
    /// The reader reached the end (@p complete: without an error that ended it).
    /// \returns true once, when this completes the archive: record it then.
    bool finish(bool complete)
    {
        std::lock_guard lock{m_mutex};
        m_finished = true;
        m_complete = m_complete && complete;
        return take_record();
    }
    /// Members found so far.
    [[nodiscard]] std::uint64_t members() const
    {
        std::lock_guard lock{m_mutex};
        return m_emitted;
    }

private:
    bool take_record()
    {
        if (m_finished && m_complete && m_settled == m_emitted && !m_recorded) {
            m_recorded = true;
            return true;
        }
        return false;
    }

    mutable std::mutex m_mutex;
    std::uint64_t m_emitted = 0;
    std::uint64_t m_settled = 0;
    bool m_finished = false;
    bool m_complete = true;
    bool m_recorded = false;
    bool m_failed = false;
};

/**
 * Bytes of archive members held in memory between the source (which decompresses them)
 * and the parser (which frees them): the source takes a member's bytes from the budget
 * before it decompresses them, and waits when the budget is spent, so an archive of big
 * members cannot fill memory.
 */
class byte_budget
{
public:
    explicit byte_budget(std::uint64_t limit) : m_limit(limit) {}

    /// Waits until @p n more bytes fit, or until the caller's own @p held bytes are all that is taken
    /// (so a member larger than the whole budget goes through alone), or @p stop.
    template <typename Stop>
    void acquire(std::uint64_t n, std::uint64_t held, Stop const &stop)
    {
        std::unique_lock lock{m_mutex};
        while (m_used > held && m_used + n > m_limit && !stop()) {
            m_freed.wait_for(lock, std::chrono::milliseconds{50});
        }
        m_used += n;
    }
    void release(std::uint64_t n)
    {
        {
            std::lock_guard lock{m_mutex};
            m_used -= n;
        }
        m_freed.notify_all();
    }

private:
    std::uint64_t const m_limit;
    std::uint64_t m_used = 0;
    std::mutex m_mutex;
    std::condition_variable m_freed;
};

/// One file in flight. Items are pooled and reused: buffers keep their capacity.
struct file_item
{
    /// What the library gets: path, size, mtime, hash, state, and the encoded rows or the error.
    /// The writer is handed a pointer to it, so the rows are written without a copy.
    stored_file stored;

    std::vector<std::uint8_t> bytes; ///< file content; released after parsing
    file_facts facts;                ///< valid when parsed, until encode_rows() turns it into stored.file_row
    bool analyzed = false;           ///< analysis is valid (parsed, and the import analyzes), until encoded
    analysis_result analysis;

    bool preloaded = false;                    ///< bytes came out of an archive: nothing to read from disk
    std::uint64_t budgeted = 0;                ///< bytes held against the archive byte_budget until parsed
    std::shared_ptr<archive_progress> archive; ///< the archive this member came from
};

} // namespace midilib
