#pragma once
/// The message that travels the import graph: one file, from its path to its rows.

#include "analyzers/analysis.hpp"
#include "analyzers/file_facts.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace midilib {

/// What became of a file on its way through the graph.
enum class item_state : std::uint8_t {
    pending,   ///< not yet parsed
    parsed,    ///< facts extracted; becomes a midi_files row (unless its hash exists) and a path row
    duplicate, ///< content already in the library: only a path row
    failed,    ///< an import_errors row
    stopped    ///< not read: the import was stopped first; the next run picks it up
};

/**
 * Tracks one archive whose members travel the graph, so that the archive is recorded
 * as imported only once every member's batch has committed (and none was lost).
 */
class archive_progress
{
public:
    archive_progress(std::string path, std::uint64_t size, std::int64_t mtime_us)
    : path(std::move(path)), size(size), mtime_us(mtime_us)
    {}

    std::string const path; ///< stored form
    std::uint64_t const size;
    std::int64_t const mtime_us;

    /// A member entered the graph.
    void add_member()
    {
        std::lock_guard lock{m_mutex};
        ++m_emitted;
    }
    /// A member's batch committed (@p written false: it was not written, e.g. stopped).
    /// \returns true once, when this completes the archive: record it then.
    bool member_done(bool written)
    {
        std::lock_guard lock{m_mutex};
        ++m_settled;
        m_complete = m_complete && written;
        return take_record();
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
};

/**
 * Bytes of archive members held in memory between the source (which decompresses them)
 * and the parser (which frees them): the source waits when the budget is spent, so an
 * archive of big members cannot fill memory.
 */
class byte_budget
{
public:
    explicit byte_budget(std::uint64_t limit) : m_limit(limit) {}

    /// Waits until @p n bytes fit (a single larger request waits for an empty budget), or @p stop.
    template <typename Stop>
    void acquire(std::uint64_t n, Stop const &stop)
    {
        std::unique_lock lock{m_mutex};
        while (m_used > 0 && m_used + n > m_limit && !stop()) {
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
    std::string fs_path;       ///< path as the OS spells it (bytes), for opening the file
    std::string path;          ///< absolute path as stored (valid UTF-8)
    std::uint64_t size = 0;    ///< from stat
    std::int64_t mtime_us = 0; ///< modification time, microseconds since the epoch

    std::vector<std::uint8_t> bytes;    ///< file content; released after parsing
    std::array<std::uint8_t, 16> hash{}; ///< XXH3-128, big-endian digest bytes

    item_state state = item_state::pending;
    file_facts facts;          ///< valid when state == parsed, until encode_rows() turns it into file_row
    bool analyzed = false;     ///< analysis is valid (parsed, and the import analyzes), then analysis_row
    analysis_result analysis;
    /// The midi_files and file_analysis rows in COPY text (encode_rows(), db/library_writer.hpp),
    /// encoded as soon as the facts and the analysis exist, which are then freed: the item waits
    /// for its batch's commit holding one string of a few hundred bytes for each row, and the
    /// writer (or a worker's ack) sends them as they are.
    std::string file_row;
    std::string analysis_row;
    char const *error_stage = ""; ///< when failed: "scan", "read", "parse", ...
    std::string error_reason;  ///< when failed: one sentence

    bool preloaded = false;    ///< bytes came out of an archive: nothing to read from disk
    std::uint64_t budgeted = 0; ///< bytes held against the archive byte_budget until parsed
    std::shared_ptr<archive_progress> archive; ///< the archive this member came from

    /// Marks the item failed at @p stage with @p reason.
    void fail(char const *stage, std::string reason)
    {
        state = item_state::failed;
        error_stage = stage;
        error_reason = std::move(reason);
    }
};

} // namespace midilib
