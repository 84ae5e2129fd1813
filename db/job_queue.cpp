#include "db/job_queue.hpp"

#include "analyzers/analysis.hpp"
#include "db/library_columns.hpp"
#include "db/library_writer.hpp"
#include "db/sql_text.hpp"
#include "db/works.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace midilib {

namespace {

constexpr char const *CLAIM =
    "UPDATE analysis_jobs j SET state = 'running', lease_owner = $1,"
    " lease_expires = now() + $3 * interval '1 second', attempts = j.attempts + 1"
    " WHERE j.id IN (SELECT id FROM analysis_jobs WHERE state = 'queued' AND run_after <= now()"
    "                ORDER BY run_after, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " RETURNING j.id, j.file_id, j.attempts, encode((SELECT hash FROM midi_files f WHERE f.id = j.file_id), 'hex'),"
    " (SELECT coalesce(json_agg(json_build_array(p.path, encode(p.key, 'hex')) ORDER BY p.key), '[]')"
    "  FROM midi_file_paths p WHERE p.file_id = j.file_id)";

constexpr char const *RELEASE_EXPIRED =
    "UPDATE analysis_jobs j SET state = CASE WHEN j.attempts >= $1 THEN 'dead' ELSE 'queued' END,"
    " last_error = 'lease expired: worker ' || j.lease_owner || ' stopped or lost its connection',"
    " finished_at = CASE WHEN j.attempts >= $1 THEN now() END,"
    " lease_owner = NULL, lease_expires = NULL, run_after = now()"
    " WHERE j.id IN (SELECT id FROM analysis_jobs WHERE state = 'running' AND lease_expires < now()"
    "                FOR UPDATE SKIP LOCKED)";

// SKIP LOCKED: never waits for (or deadlocks with) this worker's own ack, which locks the jobs it
// finishes, nor for another worker releasing jobs whose lease expired already.
constexpr char const *RENEW_LEASES =
    "UPDATE analysis_jobs SET lease_expires = now() + $2 * interval '1 second'"
    " WHERE id IN (SELECT id FROM analysis_jobs WHERE state = 'running' AND lease_owner = $1"
    "              FOR UPDATE SKIP LOCKED)";

constexpr char const *FAIL_JOBS =
    "UPDATE analysis_jobs j SET state = CASE WHEN j.attempts >= $3 THEN 'dead' ELSE 'queued' END,"
    " run_after = now() + least(300000, $5 * power(2, j.attempts - 1)) * interval '1 millisecond',"
    " last_error = e.reason, lease_owner = NULL, lease_expires = NULL,"
    " finished_at = CASE WHEN j.attempts >= $3 THEN now() END"
    " FROM unnest($1::bigint[], $2::text[]) AS e(id, reason)"
    " WHERE j.id = e.id AND j.lease_owner = $4 AND j.state = 'running'"
    " RETURNING j.state";

constexpr char const *REFRESH_SEARCH =
    "SELECT midilib_refresh_search(ARRAY(SELECT file_id FROM analysis_jobs WHERE id = ANY($1::bigint[])"
    " AND state = 'done'))";

constexpr char const *REQUEUE =
    "WITH jobs AS (INSERT INTO analysis_jobs (file_id)"
    " SELECT f.id FROM midi_files f LEFT JOIN file_analysis a ON a.file_id = f.id"
    " WHERE $2 OR a.file_id IS NULL OR a.analyzer_version < $1 ORDER BY f.id"
    " ON CONFLICT (file_id, kind) WHERE state IN ('queued', 'running') DO NOTHING RETURNING 1)"
    " SELECT count(*) FROM jobs";

constexpr char const *STATUS = "SELECT (SELECT count(*) FROM midi_files),"
                               " (SELECT count(*) FROM file_analysis WHERE analyzer_version = $1),"
                               " count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running'),"
                               " count(*) FILTER (WHERE state = 'dead'), count(*) FILTER (WHERE state = 'done'),"
                               " count(*) FILTER (WHERE state = 'done' AND finished_at > now() - interval '1 minute'),"
                               " extract(epoch FROM now() - min(enqueued_at) FILTER (WHERE state = 'queued'))::float8"
                               " FROM analysis_jobs";

/// The ack: the analysis rows of the jobs still leased to this worker, and those jobs done.
std::string const &ack_done_sql()
{
    static std::string const sql = fmt::format(
        "WITH acked AS (UPDATE analysis_jobs SET state = 'done', finished_at = now(), lease_owner = NULL,"
        " lease_expires = NULL, last_error = NULL"
        " WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND state = 'running' RETURNING file_id),"
        " written AS (INSERT INTO file_analysis (file_id, {0})"
        " SELECT DISTINCT ON (x.file_id) x.file_id, {0} FROM (SELECT f.id AS file_id, s.* FROM stage_analysis s"
        " JOIN midi_files f USING (hash)) x JOIN acked USING (file_id) ORDER BY x.file_id"
        " ON CONFLICT (file_id) DO UPDATE SET ({0}, analyzed_at) = ({1}, now()) RETURNING 1)"
        " SELECT (SELECT count(*) FROM acked), (SELECT count(*) FROM written)",
        column_list(ANALYSIS_COLUMNS), column_list(ANALYSIS_COLUMNS, "EXCLUDED."));
    return sql;
}

std::array<std::uint8_t, 16> parse_hash(std::string const &hex)
{
    std::array<std::uint8_t, 16> h{};
    auto const bytes = bytes_of_hex(hex);
    std::copy_n(bytes.begin(), std::min(bytes.size(), h.size()), h.begin());
    return h;
}

} // namespace

std::vector<claimed_job> claim_jobs(pqxx::connection &cx, queue_settings const &settings, std::size_t n)
{
    pqxx::work tx{cx};
    log_sql("worker", CLAIM);
    auto const r = tx.exec_params(CLAIM, settings.owner, static_cast<std::int64_t>(n),
                                  static_cast<std::int64_t>(settings.lease.count()));
    tx.commit();
    std::vector<claimed_job> jobs;
    jobs.reserve(r.size());
    for (auto const &row : r) {
        claimed_job j;
        j.id = row[0].as<std::int64_t>();
        j.file_id = row[1].as<std::int64_t>();
        j.attempts = row[2].as<int>();
        j.hash = parse_hash(row[3].is_null() ? std::string{} : row[3].as<std::string>());
        for (auto const &p : nlohmann::json::parse(row[4].as<std::string>())) {
            j.paths.push_back(p[0].get<std::string>());
            j.keys.push_back(bytes_of_hex(p[1].get<std::string>()));
        }
        jobs.push_back(std::move(j));
    }
    return jobs;
}

std::size_t release_expired(pqxx::connection &cx, queue_settings const &settings)
{
    pqxx::work tx{cx};
    log_sql("worker", RELEASE_EXPIRED);
    auto const r = tx.exec_params(RELEASE_EXPIRED, settings.max_attempts);
    tx.commit();
    return static_cast<std::size_t>(r.affected_rows());
}

std::size_t renew_leases(pqxx::connection &cx, queue_settings const &settings)
{
    pqxx::work tx{cx};
    log_sql("worker", RENEW_LEASES);
    auto const r = tx.exec_params(RENEW_LEASES, settings.owner, static_cast<std::int64_t>(settings.lease.count()));
    tx.commit();
    return static_cast<std::size_t>(r.affected_rows());
}

ack_result ack_jobs(pqxx::connection &cx, queue_settings const &settings, std::span<stored_file const *const> analyzed,
                    std::span<std::int64_t const> done_ids, std::span<job_failure const> failures)
{
    ack_result result;
    pqxx::work tx{cx};
    if (!done_ids.empty()) {
        stage_analysis_rows(tx, analyzed);
        log_sql("worker", ack_done_sql());
        auto const r = tx.exec_params1(ack_done_sql(), int_array_literal(done_ids), settings.owner);
        result.done = r[0].as<std::size_t>();
        log_sql("worker", REFRESH_SEARCH);
        tx.exec_params(REFRESH_SEARCH, int_array_literal(done_ids)); // facets now include the analysis
    }
    if (!failures.empty()) {
        std::vector<std::int64_t> ids;
        std::vector<std::string> reasons;
        for (auto const &f : failures) {
            ids.push_back(f.id);
            reasons.push_back(f.reason);
        }
        log_sql("worker", FAIL_JOBS);
        for (auto const &row :
             tx.exec_params(FAIL_JOBS, int_array_literal(ids), text_array_literal(reasons), settings.max_attempts,
                            settings.owner, static_cast<std::int64_t>(settings.retry_base.count()))) {
            ++(row[0].as<std::string>() == "dead" ? result.dead : result.retried);
        }
    }
    if (!done_ids.empty()) {
        join_works(tx); // last: its lock is held to the commit
    }
    tx.commit();
    return result;
}

std::size_t requeue_analysis(pqxx::connection &cx, int version, bool all)
{
    pqxx::work tx{cx};
    log_sql("analyze", REQUEUE);
    auto const n = tx.exec_params1(REQUEUE, version, all)[0].as<std::size_t>();
    if (n > 0) {
        tx.exec0("NOTIFY midilib_jobs");
    }
    tx.commit();
    return n;
}

queue_status read_queue_status(pqxx::connection &cx)
{
    pqxx::read_transaction tx{cx};
    auto const r = tx.exec_params1(STATUS, ANALYZER_VERSION);
    queue_status s;
    s.files = r[0].as<std::int64_t>();
    s.analyzed = r[1].as<std::int64_t>();
    s.queued = r[2].as<std::int64_t>();
    s.running = r[3].as<std::int64_t>();
    s.dead = r[4].as<std::int64_t>();
    s.done = r[5].as<std::int64_t>();
    s.done_last_minute = r[6].as<std::int64_t>();
    if (!r[7].is_null()) {
        s.oldest_queued_seconds = r[7].as<double>();
    }
    return s;
}

} // namespace midilib
