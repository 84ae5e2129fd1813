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

/// Everything the library holds in a walked range of keys (bytea: index range scans in byte
/// order). The fourth column is what a match with the same size and mtime means: 1 for a stored
/// file, the member count for an archive, 0 for an error (a failed path is retried) and for an
/// archive whose members failed under another member size limit than $3 (the current one).
constexpr char const *SELECT_KNOWN =
    "SELECT encode(key, 'hex'), size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 1, path"
    " FROM midi_file_paths WHERE key >= $1::bytea AND key < $2::bytea"
    " UNION ALL "
    "SELECT encode(key, 'hex'), size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 0, path"
    " FROM import_errors WHERE key >= $1::bytea AND key < $2::bytea"
    " UNION ALL "
    "SELECT encode(key, 'hex'), size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint,"
    " CASE WHEN failed_under_limit IS NULL OR failed_under_limit = $3 THEN greatest(members, 1) ELSE 0 END, path"
    " FROM archives WHERE key >= $1::bytea AND key < $2::bytea";

/// Deletes the rows of the keys in $1 (one bytea[]): paths, errors, archives. The last column
/// lists the contents whose paths went, for midilib_refresh_search().
constexpr char const *FORGET =
    "WITH p AS (DELETE FROM midi_file_paths WHERE key = ANY ($1::bytea[]) RETURNING file_id),"
    " e AS (DELETE FROM import_errors WHERE key = ANY ($1::bytea[]) RETURNING 1),"
    " a AS (DELETE FROM archives WHERE key = ANY ($1::bytea[]) RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), (SELECT count(*) FROM a),"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

/// The same for everything at or under the roots in $1: a root itself, "root/..." (below
/// "root0": '0' follows '/') and its members "root\0..." (below "root\1").
constexpr char const *REMOVE =
    "WITH r AS (SELECT root, root || '/'::bytea AS lo1, root || '0'::bytea AS hi1,"
    "           root || '\\x00'::bytea AS lo2, root || '\\x01'::bytea AS hi2 FROM unnest($1::bytea[]) AS u(root)),"
    " p AS (DELETE FROM midi_file_paths x USING r WHERE x.key = r.root OR (x.key >= r.lo1 AND x.key < r.hi1)"
    "       OR (x.key >= r.lo2 AND x.key < r.hi2) RETURNING x.file_id),"
    " e AS (DELETE FROM import_errors x USING r WHERE x.key = r.root OR (x.key >= r.lo1 AND x.key < r.hi1)"
    "       OR (x.key >= r.lo2 AND x.key < r.hi2) RETURNING 1),"
    " a AS (DELETE FROM archives x USING r WHERE x.key = r.root OR (x.key >= r.lo1 AND x.key < r.hi1)"
    "       OR (x.key >= r.lo2 AND x.key < r.hi2) RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), (SELECT count(*) FROM a),"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

/// Members of the archive with key $1 (and their errors) that no batch wrote since $2 (µs since the epoch).
constexpr char const *FORGET_STALE_MEMBERS =
    "WITH p AS (DELETE FROM midi_file_paths WHERE key > $1::bytea || '\\x00'::bytea"
    "           AND key < $1::bytea || '\\x01'::bytea"
    "           AND seen_at < 'epoch'::timestamptz + $2 * interval '1 microsecond' RETURNING file_id),"
    " e AS (DELETE FROM import_errors WHERE key > $1::bytea || '\\x00'::bytea AND key < $1::bytea || '\\x01'::bytea"
    "       AND at < 'epoch'::timestamptz + $2 * interval '1 microsecond' RETURNING 1)"
    " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM e), 0,"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM p)::text";

constexpr char const *RECORD_ARCHIVE =
    "INSERT INTO archives (key, path, size_bytes, mtime, members, failed_under_limit)"
    " VALUES ($1::bytea, $2, $3, 'epoch'::timestamptz + $4 * interval '1 microsecond', $5, $6)"
    " ON CONFLICT (key) DO UPDATE SET path = EXCLUDED.path, size_bytes = EXCLUDED.size_bytes,"
    " mtime = EXCLUDED.mtime, members = EXCLUDED.members, failed_under_limit = EXCLUDED.failed_under_limit,"
    " imported_at = now()";

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
        index.emplace(candidates[i].key, i);
    }
    pqxx::read_transaction tx{cx};
    log_sql("resume", SELECT_KNOWN);
    auto const r = tx.exec_params(SELECT_KNOWN, bytea_literal(lo), bytea_literal(hi),
                                  static_cast<std::int64_t>(member_limit));
    for (auto const &row : r) {
        auto key = bytes_of_hex({row[0].c_str(), row[0].size()});
        auto const it = index.find(key);
        if (it == index.end()) {
            answer.unwalked.push_back({std::move(key), row[4].as<std::string>()});
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

forgotten forget_paths(pqxx::connection &cx, std::span<std::string const> keys)
{
    if (keys.empty()) {
        return {};
    }
    auto const list = bytea_array_literal(keys);
    return retried("forgetting paths", [&] {
        pqxx::work tx{cx};
        auto const f = forget_in(tx, FORGET, list);
        tx.commit();
        return f;
    });
}

forgotten remove_paths(pqxx::connection &cx, std::span<std::string const> roots, bool dry_run)
{
    auto const list = bytea_array_literal(roots);
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
        auto const key = bytea_literal(archive.key);
        tx.exec_params0(RECORD_ARCHIVE, key, archive.path, static_cast<std::int64_t>(archive.size), archive.mtime_us,
                        static_cast<std::int64_t>(members), limit);
        auto const f = forget_in(tx, FORGET_STALE_MEMBERS, key, read_since_us);
        tx.exec_params0("DELETE FROM import_errors WHERE key = $1::bytea", key); // it was read to the end
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
