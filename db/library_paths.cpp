#include "db/library_paths.hpp"

#include "db/sql_text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace midilib {

namespace {

/// Attempts for a transaction that meets a deadlock with a concurrent import.
constexpr int MAX_ATTEMPTS = 5;

/// Everything the library holds in a walked range of paths (path is COLLATE "C": index range
/// scans). The fourth column is what a match with the same size and mtime means: 1 for a
/// stored file, the member count for an archive, 0 for an error (a failed path is retried) and
/// for an archive whose members failed under another member size limit than $3 (the current one).
constexpr char const *SELECT_KNOWN =
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 1, fs_path FROM midi_file_paths"
    " WHERE path >= $1 AND path < $2"
    " UNION ALL "
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 0, NULL FROM import_errors"
    " WHERE path >= $1 AND path < $2"
    " UNION ALL "
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint,"
    " CASE WHEN failed_under_limit IS NULL OR failed_under_limit = $3 THEN greatest(members, 1) ELSE 0 END, NULL"
    " FROM archives WHERE path >= $1 AND path < $2";

/// Deletes the rows of the paths in $1 (one text[]): paths, errors, archives. The last column
/// lists the contents whose paths went, for midilib_refresh_search().
constexpr char const *FORGET =
    "WITH p AS (DELETE FROM midi_file_paths WHERE path = ANY ($1::text[]) RETURNING file_id),"
    " e AS (DELETE FROM import_errors WHERE path = ANY ($1::text[]) RETURNING 1),"
    " a AS (DELETE FROM archives WHERE path = ANY ($1::text[]) RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), (SELECT count(*) FROM a),"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

/// The same for everything at or under the roots in $1: a root itself, "root/..." and "root!/...".
constexpr char const *REMOVE =
    "WITH r AS (SELECT root, root || '/' AS lo1, root || '0' AS hi1, root || '!/' AS lo2, root || '!0' AS hi2"
    "           FROM unnest($1::text[]) AS u(root)),"
    " p AS (DELETE FROM midi_file_paths x USING r WHERE x.path = r.root OR (x.path >= r.lo1 AND x.path < r.hi1)"
    "       OR (x.path >= r.lo2 AND x.path < r.hi2) RETURNING x.file_id),"
    " e AS (DELETE FROM import_errors x USING r WHERE x.path = r.root OR (x.path >= r.lo1 AND x.path < r.hi1)"
    "       OR (x.path >= r.lo2 AND x.path < r.hi2) RETURNING 1),"
    " a AS (DELETE FROM archives x USING r WHERE x.path = r.root OR (x.path >= r.lo1 AND x.path < r.hi1)"
    "       OR (x.path >= r.lo2 AND x.path < r.hi2) RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), (SELECT count(*) FROM a),"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

/// Members of archive $1 (and their errors) that no batch wrote since $2 (µs since the epoch).
constexpr char const *FORGET_STALE_MEMBERS =
    "WITH p AS (DELETE FROM midi_file_paths WHERE path >= $1 || '!/' AND path < $1 || '!0'"
    "           AND seen_at < 'epoch'::timestamptz + $2 * interval '1 microsecond' RETURNING file_id),"
    " e AS (DELETE FROM import_errors WHERE path >= $1 || '!/' AND path < $1 || '!0'"
    "       AND at < 'epoch'::timestamptz + $2 * interval '1 microsecond' RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), 0,"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

constexpr char const *RECORD_ARCHIVE =
    "INSERT INTO archives (path, size_bytes, mtime, members, failed_under_limit)"
    " VALUES ($1, $2, 'epoch'::timestamptz + $3 * interval '1 microsecond', $4, $5)"
    " ON CONFLICT (path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, mtime = EXCLUDED.mtime,"
    " members = EXCLUDED.members, failed_under_limit = EXCLUDED.failed_under_limit, imported_at = now()";

/// Search rows refreshed for the contents in $1; those without a path leave search and are missing.
constexpr char const *REFRESH = "SELECT midilib_refresh_search($1::bigint[])";
constexpr char const *COUNT_MISSING =
    "SELECT count(*) FROM midi_files WHERE id = ANY ($1::bigint[]) AND missing_since IS NOT NULL";

constexpr char const *PRUNE =
    "WITH gone AS (DELETE FROM midi_files f"
    "  WHERE f.missing_since <= now() - $1 * interval '1 second'"
    "  AND NOT EXISTS (SELECT 1 FROM midi_file_paths p WHERE p.file_id = f.id) RETURNING f.size_bytes)"
    " SELECT count(*), coalesce(sum(size_bytes), 0) FROM gone";

/// Runs @p statement (its parameters @p args), then refreshes the search rows of the contents it names.
template <typename... Args>
forgotten forget_in(pqxx::dbtransaction &tx, char const *statement, Args &&...args)
{
    log_sql("forget", statement);
    pqxx::row const r = tx.exec_params1(statement, std::forward<Args>(args)...);
    forgotten f;
    f.paths = r[0].as<std::uint64_t>();
    f.errors = r[1].as<std::uint64_t>();
    f.archives = r[2].as<std::uint64_t>();
    auto const ids = r[3].as<std::string>();
    if (f.paths > 0) {
        log_sql("forget", REFRESH);
        tx.exec_params(REFRESH, ids);
        f.missing = tx.exec_params1(COUNT_MISSING, ids)[0].as<std::uint64_t>();
    }
    return f;
}

/// Runs @p body in a transaction, again when it meets a deadlock with a concurrent import.
template <typename Body>
auto retried(char const *what, Body body)
{
    for (int attempt = 1;; ++attempt) {
        try {
            return body();
        } catch (pqxx::transaction_rollback const &e) {
            if (attempt == MAX_ATTEMPTS) {
                throw;
            }
            spdlog::debug("{}: {} (attempt {}), retrying", what, e.what(), attempt);
        }
    }
}

} // namespace

known_answer known_paths(pqxx::connection &cx, std::span<path_candidate const> candidates, std::string const &lo,
                         std::string const &hi, std::uint64_t member_limit)
{
    known_answer answer;
    answer.known.assign(candidates.size(), 0);
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        index.emplace(candidates[i].path, i);
    }
    pqxx::read_transaction tx{cx};
    log_sql("resume", SELECT_KNOWN);
    auto const r = tx.exec_params(SELECT_KNOWN, lo, hi, static_cast<std::int64_t>(member_limit));
    for (auto const &row : r) {
        std::string_view const path{row[0].c_str(), row[0].size()};
        auto const it = index.find(path);
        if (it == index.end()) {
            auto fs_path = row[4].is_null() ? std::string{path} : pqxx::binarystring{row[4]}.str();
            answer.unwalked.push_back({std::string{path}, std::move(fs_path)});
            continue;
        }
        auto const &c = candidates[it->second];
        auto const value = row[3].as<std::uint64_t>();
        if (value > 0 && row[1].as<std::int64_t>() == static_cast<std::int64_t>(c.size) &&
            row[2].as<std::int64_t>() == c.mtime_us) {
            answer.known[it->second] = std::max(answer.known[it->second], value);
        }
    }
    return answer;
}

forgotten forget_paths(pqxx::connection &cx, std::span<std::string const> paths)
{
    if (paths.empty()) {
        return {};
    }
    auto const list = text_array_literal(paths);
    return retried("forgetting paths", [&] {
        pqxx::work tx{cx};
        auto const f = forget_in(tx, FORGET, list);
        tx.commit();
        return f;
    });
}

forgotten remove_paths(pqxx::connection &cx, std::span<std::string const> roots, bool dry_run)
{
    auto const list = text_array_literal(roots);
    return retried("removing paths", [&] {
        pqxx::work tx{cx};
        auto const f = forget_in(tx, REMOVE, list);
        if (!dry_run) {
            tx.commit();
        }
        return f;
    });
}

std::int64_t server_now_us(pqxx::connection &cx)
{
    pqxx::read_transaction tx{cx};
    return tx.exec1("SELECT round(date_part('epoch', now()) * 1e6)::bigint")[0].as<std::int64_t>();
}

forgotten record_archive(pqxx::connection &cx, path_candidate const &archive, std::uint64_t members,
                         std::int64_t read_since_us, std::optional<std::uint64_t> failed_under_limit)
{
    return retried("recording an archive", [&] {
        pqxx::work tx{cx};
        log_sql("archive", RECORD_ARCHIVE);
        std::optional<std::int64_t> limit;
        if (failed_under_limit) {
            limit = static_cast<std::int64_t>(*failed_under_limit);
        }
        tx.exec_params0(RECORD_ARCHIVE, archive.path, static_cast<std::int64_t>(archive.size), archive.mtime_us,
                        static_cast<std::int64_t>(members), limit);
        auto const f = forget_in(tx, FORGET_STALE_MEMBERS, archive.path, read_since_us);
        tx.exec_params0("DELETE FROM import_errors WHERE path = $1", archive.path); // it was read to the end
        tx.commit();
        return f;
    });
}

pruned prune_missing(pqxx::connection &cx, std::int64_t older_than_seconds, bool dry_run)
{
    pqxx::work tx{cx};
    log_sql("prune", PRUNE);
    auto const r = tx.exec_params1(PRUNE, older_than_seconds);
    pruned p{r[0].as<std::uint64_t>(), r[1].as<std::uint64_t>()};
    if (!dry_run) {
        tx.commit();
    }
    return p;
}

} // namespace midilib
