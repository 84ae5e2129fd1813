#include "db/session.hpp"

#include "db/connection_pool.hpp"

namespace midilib {

session::session(std::string const &conninfo, std::string const &label) : m_cx(open_connection(conninfo, label)) {}

session::~session() = default;

search_page session::search(search_request const &request) { return search_library(*m_cx, request); }

similar_result session::similar(similar_request const &request) { return find_similar(*m_cx, request); }

std::optional<file_details> session::show(std::int64_t id) { return show_file(*m_cx, id); }

std::vector<work_group> session::dupes(dupes_request const &request) { return list_dupes(*m_cx, request); }

queue_status session::read_queue_status() { return midilib::read_queue_status(*m_cx); }

std::size_t session::requeue_analysis(int version, bool all) { return midilib::requeue_analysis(*m_cx, version, all); }

int session::migrate_up(std::vector<migration> const &known) { return midilib::migrate_up(*m_cx, known); }

std::vector<applied_migration> session::applied_migrations() { return midilib::applied_migrations(*m_cx); }

forgotten session::remove(std::vector<std::string> const &roots, bool dry_run)
{
    return remove_paths(*m_cx, roots, dry_run);
}

pruned session::prune(std::int64_t older_than_seconds, bool dry_run)
{
    return prune_missing(*m_cx, older_than_seconds, dry_run);
}

} // namespace midilib
