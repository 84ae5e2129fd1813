#pragma once
/// One labelled connection for a command that runs a few statements (search, show, status,
/// analyze, migrate), so that the command-line tool never handles a pqxx type itself.

#include "db/file_details.hpp"
#include "db/job_queue.hpp"
#include "db/library_paths.hpp"
#include "db/library_search.hpp"
#include "db/migrator.hpp"
#include "db/similar.hpp"
#include "db/work_list.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/// A connection opened by open_connection(), and the library's one-call queries on it.
class session
{
public:
    /** Opens a connection labelled @p label (application_name). \throws pqxx::broken_connection */
    session(std::string const &conninfo, std::string const &label);
    session(session const &) = delete;
    session &operator=(session const &) = delete;
    session(session &&) = delete;
    session &operator=(session &&) = delete;
    ~session();

    /// search_library() on this connection.
    search_page search(search_request const &request);
    /// find_similar() on this connection.
    similar_result similar(similar_request const &request);
    /// show_file() on this connection.
    std::optional<file_details> show(std::int64_t id);
    /// list_dupes() on this connection.
    std::vector<work_group> dupes(dupes_request const &request);
    /// read_queue_status() on this connection.
    queue_status read_queue_status();
    /// requeue_analysis() on this connection.
    std::size_t requeue_analysis(int version, bool all);
    /// migrate_up() on this connection.
    int migrate_up(std::vector<migration> const &known);
    /// applied_migrations() on this connection.
    std::vector<applied_migration> applied_migrations();
    /// remove_paths() on this connection.
    forgotten remove(std::vector<std::string> const &roots, bool dry_run);
    /// prune_missing() on this connection.
    pruned prune(std::int64_t older_than_seconds, bool dry_run);

private:
    std::unique_ptr<pqxx::connection> m_cx;
};

} // namespace midilib
