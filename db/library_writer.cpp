#include "db/library_writer.hpp"

#include "db/copy_buffer.hpp"
#include "db/library_columns.hpp"
#include "db/sql_text.hpp"
#include "db/works.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace midilib {

namespace {

/// Attempts for a batch that hits a deadlock or serialization failure (concurrent importers).
constexpr int MAX_BATCH_ATTEMPTS = 5;

constexpr char const *PREPARE_SESSION = "SELECT midilib_prepare_import_session()";

/// Contents stored without analysis (import --no-analyze) get a job for the workers.
constexpr char const *ENQUEUE_ANALYSIS =
    "WITH jobs AS (INSERT INTO analysis_jobs (file_id)"
    " SELECT f.id FROM stage_files s JOIN midi_files f USING (hash)"
    " WHERE NOT EXISTS (SELECT 1 FROM file_analysis a WHERE a.file_id = f.id) ORDER BY f.id"
    " ON CONFLICT (file_id, kind) WHERE state IN ('queued', 'running') DO NOTHING RETURNING 1)"
    " SELECT count(*) FROM jobs";

/// The COPY targets and the statements that name the columns of db/library_columns.hpp, built once.
struct column_sql
{
    std::string stage_files = fmt::format("stage_files ({})", column_list(FILE_COLUMNS));
    std::string stage_paths = fmt::format("stage_paths ({})", column_list(PATH_COLUMNS));
    std::string stage_errors = fmt::format("stage_errors ({})", column_list(ERROR_COLUMNS));
    std::string stage_analysis = fmt::format("stage_analysis (hash, {})", column_list(ANALYSIS_COLUMNS));

    /// New contents; ORDER BY hash takes the unique-index locks in one order in every session (no deadlock).
    std::string merge_files = fmt::format("WITH inserted AS ("
                                          " INSERT INTO midi_files ({0})"
                                          " SELECT DISTINCT ON (hash) {0} FROM stage_files ORDER BY hash"
                                          " ON CONFLICT (hash) DO NOTHING RETURNING 1)"
                                          " SELECT count(*) FROM inserted",
                                          column_list(FILE_COLUMNS));

    /// Analysis rows of the contents this batch stored (a content already analyzed keeps its row).
    std::string merge_analysis = fmt::format("INSERT INTO file_analysis (file_id, {0})"
                                             " SELECT DISTINCT ON (file_id) file_id, {0}"
                                             " FROM (SELECT f.id AS file_id, s.* FROM stage_analysis s"
                                             "       JOIN midi_files f USING (hash)) x ORDER BY file_id"
                                             " ON CONFLICT (file_id) DO NOTHING",
                                             column_list(ANALYSIS_COLUMNS));
};

column_sql const &sql()
{
    static column_sql const statements;
    return statements;
}

#define MIDILIB_MTIME "'epoch'::timestamptz + mtime_us * interval '1 microsecond'"

/// New and changed path rows, by key; the third column lists the contents these paths held
/// before, when another content: they may have no path left.
constexpr char const *MERGE_PATHS =
    "WITH previous AS (SELECT p.file_id FROM midi_file_paths p JOIN stage_paths s USING (key)"
    "                  JOIN midi_files f ON f.hash = s.hash WHERE p.file_id <> f.id),"
    " upserted AS ("
    " INSERT INTO midi_file_paths (key, path, file_id, size_bytes, mtime)"
    " SELECT DISTINCT ON (s.key) s.key, s.path, f.id, s.size_bytes, " MIDILIB_MTIME
    " FROM stage_paths s JOIN midi_files f ON f.hash = s.hash ORDER BY s.key"
    " ON CONFLICT (key) DO UPDATE SET path = EXCLUDED.path, file_id = EXCLUDED.file_id,"
    " size_bytes = EXCLUDED.size_bytes, mtime = EXCLUDED.mtime, seen_at = now() RETURNING 1)"
    " SELECT (SELECT count(*) FROM upserted), (SELECT count(DISTINCT key) FROM stage_paths),"
    " (SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}') FROM previous)::text";

/// The search rows of every content this batch gave a path (new, or seen again elsewhere), and
/// of the contents in $1 that paths of this batch held before (those left without a path leave search).
constexpr char const *REFRESH_SEARCH =
    "SELECT midilib_refresh_search(ARRAY(SELECT DISTINCT f.id FROM stage_paths s JOIN midi_files f USING (hash))"
    " || $1::bigint[])";

/// A path that imports cleanly has no error any more.
constexpr char const *CLEAR_ERRORS = "DELETE FROM import_errors e USING stage_paths s WHERE e.key = s.key";

/// A path whose file now fails no longer holds the content it held before (which may have no path left).
constexpr char const *FORGET_FAILED_PATHS =
    "WITH gone AS (DELETE FROM midi_file_paths p USING stage_errors e WHERE p.key = e.key RETURNING p.file_id)"
    " SELECT coalesce(array_agg(DISTINCT file_id ORDER BY file_id), '{}')::text FROM gone";

/// The latest error of each path, counted.
constexpr char const *MERGE_ERRORS =
    "INSERT INTO import_errors AS x (key, path, size_bytes, mtime, stage, reason)"
    " SELECT DISTINCT ON (key) key, path, size_bytes, " MIDILIB_MTIME ", stage, reason"
    " FROM stage_errors ORDER BY key"
    " ON CONFLICT (key) DO UPDATE SET path = EXCLUDED.path, size_bytes = EXCLUDED.size_bytes, mtime = EXCLUDED.mtime,"
    " stage = EXCLUDED.stage, reason = EXCLUDED.reason, at = now(), failures = x.failures + 1";

/// The path's key (stored_file::key), as bytea.
void encode_key(copy_buffer &out, stored_file const &item)
{
    out.bytea({reinterpret_cast<std::uint8_t const *>(item.key.data()), item.key.size()});
}

/// A stage_paths row: one field per PATH_COLUMNS, in that order.
void encode_path(copy_buffer &out, stored_file const &item)
{
    out.text(item.path);
    out.bytea(item.hash);
    out.integer(static_cast<std::int64_t>(item.size));
    out.integer(item.mtime_us);
    encode_key(out, item);
}

/// A stage_errors row: one field per ERROR_COLUMNS, in that order.
void encode_error(copy_buffer &out, stored_file const &item)
{
    out.text(item.path);
    out.integer(static_cast<std::int64_t>(item.size));
    out.integer(item.mtime_us);
    out.text(item.error_stage);
    out.text(item.error_reason);
    encode_key(out, item);
}

/// The files of one batch, by the table their rows go to.
struct batch_rows
{
    std::vector<stored_file const *> files;    ///< parsed: a content row and a path row
    std::vector<stored_file const *> paths;    ///< parsed or known duplicate: a path row
    std::vector<stored_file const *> errors;   ///< failed: an error row
    std::vector<stored_file const *> analyses; ///< parsed and analyzed: an analysis row
    std::uint64_t known_duplicates = 0;
};

batch_rows sort_batch(std::span<stored_file const *const> files)
{
    batch_rows rows;
    for (stored_file const *item : files) {
        switch (item->state) {
        case file_state::parsed:
            rows.files.push_back(item);
            rows.paths.push_back(item);
            if (!item->analysis_row.empty()) {
                rows.analyses.push_back(item);
            }
            break;
        case file_state::duplicate:
            rows.paths.push_back(item);
            ++rows.known_duplicates;
            break;
        case file_state::failed:
        case file_state::pending: // never reaches the writer unparsed; counted as failed if it did
            rows.errors.push_back(item);
            break;
        case file_state::stopped: // left for the next run: no row at all
            break;
        }
    }
    return rows;
}

/// COPYs one row per file into @p target, encoding while the server parses.
void copy_items(pqxx::dbtransaction &tx, std::string const &target, std::vector<stored_file const *> const &items,
                void (*encode)(copy_buffer &, stored_file const &))
{
    copy_stream stream{tx, target};
    for (stored_file const *item : items) {
        encode(stream.row(), *item);
        stream.end_row();
    }
    stream.complete();
}

/// COPYs each file's row as it was encoded (@p row: &stored_file::file_row or analysis_row).
void copy_encoded(pqxx::dbtransaction &tx, std::string const &target, std::span<stored_file const *const> items,
                  std::string stored_file::*row)
{
    copy_stream stream{tx, target};
    for (stored_file const *item : items) {
        stream.add_row(item->*row);
    }
    stream.complete();
}

batch_result write_once(pqxx::connection &cx, batch_rows const &rows)
{
    pqxx::work tx{cx};
    log_sql("batch", PREPARE_SESSION);
    tx.exec(PREPARE_SESSION);
    batch_result result;
    if (!rows.files.empty()) {
        copy_encoded(tx, sql().stage_files, rows.files, &stored_file::file_row);
        log_sql("batch", sql().merge_files);
        result.imported = tx.exec1(sql().merge_files)[0].as<std::uint64_t>();
    }
    if (!rows.analyses.empty()) {
        copy_encoded(tx, sql().stage_analysis, rows.analyses, &stored_file::analysis_row);
        log_sql("batch", sql().merge_analysis);
        tx.exec0(sql().merge_analysis);
    }
    if (rows.analyses.size() < rows.files.size()) {
        log_sql("batch", ENQUEUE_ANALYSIS);
        if (tx.exec1(ENQUEUE_ANALYSIS)[0].as<long>() > 0) {
            tx.exec0("NOTIFY midilib_jobs"); // delivered at commit: wakes idle workers
        }
    }
    if (!rows.paths.empty()) {
        copy_items(tx, sql().stage_paths, rows.paths, encode_path);
        log_sql("batch", MERGE_PATHS);
        auto const r = tx.exec1(MERGE_PATHS);
        if (r[0].as<std::uint64_t>() != r[1].as<std::uint64_t>()) {
            throw pqxx::data_exception{fmt::format("batch lost paths: {} of {} path rows written; rolled back",
                                                   r[0].as<std::uint64_t>(), r[1].as<std::uint64_t>())};
        }
        log_sql("batch", REFRESH_SEARCH);
        tx.exec_params(REFRESH_SEARCH, r[2].as<std::string>());
        log_sql("batch", CLEAR_ERRORS);
        tx.exec0(CLEAR_ERRORS);
    }
    if (!rows.errors.empty()) {
        copy_items(tx, sql().stage_errors, rows.errors, encode_error);
        log_sql("batch", FORGET_FAILED_PATHS);
        auto const previous = tx.exec1(FORGET_FAILED_PATHS)[0].as<std::string>();
        if (previous != "{}") {
            log_sql("batch", REFRESH_SEARCH);
            tx.exec_params("SELECT midilib_refresh_search($1::bigint[])", previous);
        }
        log_sql("batch", MERGE_ERRORS);
        tx.exec0(MERGE_ERRORS);
    }
    if (!rows.analyses.empty()) {
        join_works(tx); // last: its lock is held to the commit
    }
    tx.commit();
    result.duplicates = rows.known_duplicates + (rows.files.size() - result.imported);
    result.failed = rows.errors.size();
    return result;
}

} // namespace

batch_result write_batch(pqxx::connection &cx, std::span<stored_file const *const> files)
{
    auto const rows = sort_batch(files);
    if (rows.paths.empty() && rows.errors.empty()) {
        return {};
    }
    for (int attempt = 1;; ++attempt) {
        try {
            return write_once(cx, rows);
        } catch (pqxx::transaction_rollback const &e) {
            if (attempt == MAX_BATCH_ATTEMPTS) {
                throw;
            }
            spdlog::debug("batch of {} files: {} (attempt {}), retrying", files.size(), e.what(), attempt);
        }
    }
}

void finish_import(pqxx::connection &cx, std::uint64_t changed_files)
{
    constexpr char const *FINISH = "SELECT midilib_finish_import($1)";
    pqxx::nontransaction tx{cx};
    log_sql("finish", FINISH);
    tx.exec_params1(FINISH, static_cast<std::int64_t>(changed_files));
}

void stage_analysis_rows(pqxx::dbtransaction &tx, std::span<stored_file const *const> files)
{
    tx.exec(PREPARE_SESSION);
    copy_encoded(tx, sql().stage_analysis, files, &stored_file::analysis_row);
}

} // namespace midilib
