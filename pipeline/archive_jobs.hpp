#pragma once
/// A claimed batch's jobs grouped by the archive that holds their member, and which member is whose:
/// the worker reads each archive once per batch, in member order.

#include "db/queue_types.hpp"
#include "pipeline/archive_reader.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace midilib {

/// Where a stored path points inside an archive.
struct member_address
{
    std::string archive; ///< the archive file, as the file system spells it
    std::string member;  ///< the member's key (member_key(): the archive, NUL, the name, ...)
};

/**
 * The archive member that the key @p key names, or nothing for a file on disk: a key with a NUL
 * is a member, of the archive file named by the bytes before the first NUL.
 */
std::optional<member_address> member_address_of(std::string const &key);

/// The jobs of a batch waiting for members of one archive file.
class archive_jobs
{
public:
    explicit archive_jobs(std::string archive) : m_archive(std::move(archive)) {}

    /// The archive file, as the file system spells it.
    [[nodiscard]] std::string const &archive() const noexcept { return m_archive; }

    /// Job @p job (its index in the batch) waits for the member at @p where.
    void add(std::size_t job, member_address const &where);

    /// True for a member some job waits for, and for an archive inside this one that holds one (by key).
    [[nodiscard]] bool wants(std::string const &key) const;

    /// The job waiting for @p member (read, or its error), taken off the list; nothing when none is.
    std::optional<std::size_t> take(archive_member const &member);

    /// True when no job waits any more.
    [[nodiscard]] bool served() const noexcept { return m_waiting.empty(); }

    /// Notes that @p failed (this archive, or one inside it) ended with an error: its jobs' reason.
    void failed(archive_member const &failed);

    /// The jobs still waiting, each with why its member was not read.
    [[nodiscard]] std::vector<std::pair<std::size_t, std::string>> unserved() const;

private:
    std::string m_archive;
    std::unordered_map<std::string, std::size_t> m_waiting; ///< member key -> job
    std::unordered_set<std::string> m_nested;               ///< keys of archives inside that hold a wanted member
    /// An archive that failed (this one or one inside it): its key, its path, its error.
    struct failure
    {
        std::string key;
        std::string path;
        std::string error;
    };
    std::vector<failure> m_failed;
};

/// A claimed batch split by where each job's first stored path is.
struct batch_plan
{
    std::vector<archive_jobs> archives; ///< in the order the batch first names them
    std::vector<std::size_t> loose;     ///< jobs whose first path is a file (or that have no path)
};

/// Groups @p jobs by the archive that holds their first stored path.
batch_plan plan_batch(std::span<claimed_job const> jobs);

} // namespace midilib
