#include "db/library_writer.hpp"

#include "db/copy_buffer.hpp"
#include "db/sql_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>

namespace midilib {

namespace {

/// Attempts for a batch that hits a deadlock or serialization failure (concurrent importers).
constexpr int MAX_BATCH_ATTEMPTS = 5;

constexpr char const *PREPARE_SESSION = "SELECT midilib_prepare_import_session()";

#define MIDILIB_FILE_COLUMNS                                                                            \
    "hash, size_bytes, format, track_count, declared_tracks, division, ppq, smpte_fps, ticks_per_frame, " \
    "duration_ticks, duration_seconds, tempo_first_bpm, tempo_min_bpm, tempo_max_bpm, tempo_mean_bpm, "   \
    "tempo_events, time_signatures, key_signatures, note_count, channels_used, programs, track_names, "   \
    "texts, lyrics, copyrights, markers, warnings"

constexpr char const *STAGE_FILES = "stage_files (" MIDILIB_FILE_COLUMNS ")";
constexpr char const *STAGE_PATHS = "stage_paths (path, hash, size_bytes, mtime_us, fs_path)";
constexpr char const *STAGE_ERRORS = "stage_errors (path, size_bytes, mtime_us, stage, reason)";

#define MIDILIB_ANALYSIS_COLUMNS                                                                           \
    "analyzer_version, key_tonic, key_mode, key_name, key_confidence, key_clear, key_runner_up, modulations, " \
    "tempo_declared, tempo_bpm, tempo_estimated_bpm, tempo_estimate_confidence, tempo_changes, "           \
    "chord_progression, chords_distinct, chord_changes_per_minute, has_drums, drum_kit, drum_hits_per_bar, " \
    "groove, swing, note_count, pitch_min, pitch_max, velocity_mean, velocity_stdev, polyphony_max, "      \
    "polyphony_mean, notes_per_second, monophonic, instruments, instrument_families, bars"

constexpr char const *STAGE_ANALYSIS = "stage_analysis (hash, " MIDILIB_ANALYSIS_COLUMNS ")";

/// Contents stored without analysis (import --no-analyze) get a job for the workers.
constexpr char const *ENQUEUE_ANALYSIS =
    "WITH jobs AS (INSERT INTO analysis_jobs (file_id)"
    " SELECT f.id FROM stage_files s JOIN midi_files f USING (hash)"
    " WHERE NOT EXISTS (SELECT 1 FROM file_analysis a WHERE a.file_id = f.id) ORDER BY f.id"
    " ON CONFLICT (file_id, kind) WHERE state IN ('queued', 'running') DO NOTHING RETURNING 1)"
    " SELECT count(*) FROM jobs";

/// Analysis rows of the contents this batch stored (a content already analyzed keeps its row).
constexpr char const *MERGE_ANALYSIS = "INSERT INTO file_analysis (file_id, " MIDILIB_ANALYSIS_COLUMNS ")"
                                       " SELECT DISTINCT ON (file_id) file_id, " MIDILIB_ANALYSIS_COLUMNS
                                       " FROM (SELECT f.id AS file_id, s.* FROM stage_analysis s"
                                       "       JOIN midi_files f USING (hash)) x ORDER BY file_id"
                                       " ON CONFLICT (file_id) DO NOTHING";

/// New contents; ORDER BY hash takes the unique-index locks in one order in every session (no deadlock).
constexpr char const *MERGE_FILES = "WITH inserted AS ("
                                    " INSERT INTO midi_files (" MIDILIB_FILE_COLUMNS ")"
                                    " SELECT DISTINCT ON (hash) " MIDILIB_FILE_COLUMNS " FROM stage_files ORDER BY hash"
                                    " ON CONFLICT (hash) DO NOTHING RETURNING 1)"
                                    " SELECT count(*) FROM inserted";

#define MIDILIB_MTIME "'epoch'::timestamptz + mtime_us * interval '1 microsecond'"

constexpr char const *MERGE_PATHS =
    "WITH upserted AS ("
    " INSERT INTO midi_file_paths (path, file_id, size_bytes, mtime, fs_path)"
    " SELECT DISTINCT ON (s.path) s.path, f.id, s.size_bytes, " MIDILIB_MTIME ", s.fs_path"
    " FROM stage_paths s JOIN midi_files f ON f.hash = s.hash ORDER BY s.path"
    " ON CONFLICT (path) DO UPDATE SET file_id = EXCLUDED.file_id, size_bytes = EXCLUDED.size_bytes,"
    " mtime = EXCLUDED.mtime, fs_path = EXCLUDED.fs_path, seen_at = now() RETURNING 1)"
    " SELECT (SELECT count(*) FROM upserted), (SELECT count(DISTINCT path) FROM stage_paths)";

/// The search rows of every content this batch gave a path (new, or seen again elsewhere).
constexpr char const *REFRESH_SEARCH =
    "SELECT midilib_refresh_search(ARRAY(SELECT DISTINCT f.id FROM stage_paths s JOIN midi_files f USING (hash)))";

/// A path whose file now fails no longer holds the content it held before.
constexpr char const *FORGET_FAILED_PATHS =
    "DELETE FROM midi_file_paths p USING stage_errors e WHERE p.path = e.path";

constexpr char const *MERGE_ERRORS =
    "INSERT INTO import_errors (path, size_bytes, mtime, stage, reason)"
    " SELECT DISTINCT ON (path, size_bytes, mtime_us) path, size_bytes, " MIDILIB_MTIME ", stage, reason"
    " FROM stage_errors ORDER BY path, size_bytes, mtime_us"
    " ON CONFLICT (path, size_bytes, mtime) DO UPDATE SET stage = EXCLUDED.stage, reason = EXCLUDED.reason, at = now()";

/// Everything the library holds in a range of paths: a walked chunk is a run of paths in
/// byte order, so this is two index range scans (path is COLLATE "C").
constexpr char const *SELECT_KNOWN =
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 1 FROM midi_file_paths"
    " WHERE path BETWEEN $1 AND $2"
    " UNION ALL "
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, 1 FROM import_errors"
    " WHERE path BETWEEN $1 AND $2"
    " UNION ALL "
    "SELECT path, size_bytes, round(date_part('epoch', mtime) * 1e6)::bigint, members FROM archives"
    " WHERE path BETWEEN $1 AND $2";

constexpr char const *RECORD_ARCHIVE =
    "INSERT INTO archives (path, size_bytes, mtime, members)"
    " VALUES ($1, $2, 'epoch'::timestamptz + $3 * interval '1 microsecond', $4)"
    " ON CONFLICT (path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, mtime = EXCLUDED.mtime,"
    " members = EXCLUDED.members, imported_at = now()";

void encode_file(copy_buffer &out, file_item const &item)
{
    auto const &f = item.facts;
    out.bytea(item.hash);
    out.integer(static_cast<std::int64_t>(item.size));
    out.integer(f.format);
    out.integer(f.track_count);
    out.integer(f.declared_tracks);
    if (f.division == division_kind::ppq) {
        out.text("ppq");
        out.integer(f.ppq);
        out.null();
        out.null();
    } else {
        out.text("smpte");
        out.null();
        out.integer(f.smpte_fps);
        out.integer(f.ticks_per_frame);
    }
    out.integer(static_cast<std::int64_t>(f.duration_ticks));
    out.real(f.duration_seconds);
    out.real(f.tempo.first_bpm);
    out.real(f.tempo.min_bpm);
    out.real(f.tempo.max_bpm);
    out.real(f.tempo.mean_bpm);
    out.integer(f.tempo.tempo_events);
    out.text_array(f.time_signatures);
    out.text_array(f.key_signatures);
    out.integer(static_cast<std::int64_t>(f.note_count));
    std::array<std::int16_t, 16> channels{};
    std::size_t n = 0;
    for (std::int16_t ch = 0; ch < 16; ++ch) {
        if ((f.channels_used >> ch) & 1U) {
            channels[n++] = static_cast<std::int16_t>(ch + 1);
        }
    }
    out.int_array(std::span{channels.data(), n}, false);
    out.int_array(f.programs, true);
    out.text_array(f.track_names);
    out.text_array(f.texts);
    out.text_array(f.lyrics);
    out.text_array(f.copyrights);
    out.text_array(f.markers);
    out.text_array(f.warnings);
}

std::string key_text(key_estimate const &k)
{
    return k.tonic < 0 ? std::string{} : fmt::format("{} {}", pitch_class_name(k.tonic), k.minor ? "minor" : "major");
}

void encode_analysis(copy_buffer &out, file_item const &item)
{
    auto const &a = item.analysis;
    out.bytea(item.hash);
    out.integer(ANALYZER_VERSION);
    if (a.key.key.tonic < 0) {
        for (int i = 0; i < 6; ++i) {
            out.null(); // tonic, mode, name, confidence, clear, runner-up
        }
    } else {
        out.integer(a.key.key.tonic);
        out.text(a.key.key.minor ? "minor" : "major");
        out.text(key_text(a.key.key));
        out.real(a.key.confidence);
        out.text(a.key.clear ? "t" : "f");
        out.text(key_text(a.key.runner_up));
    }
    std::vector<std::string> modulations;
    for (auto const &m : a.key.modulations) {
        modulations.push_back(fmt::format("{}@{:.1f}s", key_text(m.key), m.seconds));
    }
    out.text_array(modulations);
    out.text(a.tempo.declared.declared ? "t" : "f");
    bool const estimated = a.tempo.estimate_needed && a.tempo.estimate.valid;
    out.real(estimated ? a.tempo.estimate.bpm : a.tempo.declared.mean_bpm);
    if (estimated) {
        out.real(a.tempo.estimate.bpm);
        out.real(a.tempo.estimate.confidence);
    } else {
        out.null();
        out.null();
    }
    out.integer(a.tempo.declared.changes);
    std::vector<std::string> progression;
    progression.reserve(a.chords.bars.size());
    for (auto const &c : a.chords.bars) {
        progression.push_back(c.root < 0 ? std::string{"-"} : chord_name(c));
    }
    out.text_array(progression);
    out.integer(a.chords.distinct);
    out.real(a.chords.changes_per_minute);
    out.text(a.drums.has_drums ? "t" : "f");
    std::vector<std::string> kit;
    for (auto const &piece : a.drums.kit) {
        kit.emplace_back(*piece.name != '\0' ? piece.name : fmt::format("key {}", piece.note));
    }
    out.text_array(kit);
    out.real(a.drums.hits_per_bar);
    out.real_array(a.drums.groove);
    if (a.drums.swing_8th > 0) {
        out.real(a.drums.swing_8th);
    } else {
        out.null();
    }
    out.integer(static_cast<std::int64_t>(a.notes.count));
    if (a.notes.count > 0) {
        out.integer(a.notes.min_pitch);
        out.integer(a.notes.max_pitch);
    } else {
        out.null();
        out.null();
    }
    out.real(a.notes.mean_velocity);
    out.real(a.notes.stdev_velocity);
    out.integer(a.notes.max_polyphony);
    out.real(a.notes.mean_polyphony);
    out.real(a.notes.notes_per_second);
    out.text(a.notes.monophonic ? "t" : "f");
    std::vector<std::string> instruments;
    std::vector<std::string> families;
    for (auto const &ch : a.notes.channels) {
        if (!ch.drums && *ch.program_name != '\0') {
            instruments.emplace_back(ch.program_name);
        }
        if (*ch.family != '\0' && std::find(families.begin(), families.end(), ch.family) == families.end()) {
            families.emplace_back(ch.family);
        }
    }
    out.text_array(instruments);
    out.text_array(families);
    out.integer(a.bars);
}

void encode_path(copy_buffer &out, file_item const &item)
{
    out.text(item.path);
    out.bytea(item.hash);
    out.integer(static_cast<std::int64_t>(item.size));
    out.integer(item.mtime_us);
    if (item.fs_path.empty() || item.fs_path == item.path) {
        out.null(); // the stored path is the file's own name
    } else {
        out.bytea({reinterpret_cast<std::uint8_t const *>(item.fs_path.data()), item.fs_path.size()});
    }
}

void encode_error(copy_buffer &out, file_item const &item)
{
    out.text(item.path);
    out.integer(static_cast<std::int64_t>(item.size));
    out.integer(item.mtime_us);
    out.text(item.error_stage);
    out.text(item.error_reason);
}

/// The files of one batch, by the table their rows go to.
struct batch_rows
{
    std::vector<file_item const *> files;  ///< parsed: a content row and a path row
    std::vector<file_item const *> paths;  ///< parsed or known duplicate: a path row
    std::vector<file_item const *> errors; ///< failed: an error row
    std::vector<file_item const *> analyses; ///< parsed and analyzed: an analysis row
    std::uint64_t known_duplicates = 0;
};

batch_rows sort_batch(std::span<file_item *const> items)
{
    batch_rows rows;
    for (file_item const *item : items) {
        switch (item->state) {
        case item_state::parsed:
            rows.files.push_back(item);
            rows.paths.push_back(item);
            if (item->analyzed) {
                rows.analyses.push_back(item);
            }
            break;
        case item_state::duplicate:
            rows.paths.push_back(item);
            ++rows.known_duplicates;
            break;
        case item_state::failed:
        case item_state::pending: // never reaches the writer unparsed; counted as failed if it did
            rows.errors.push_back(item);
            break;
        case item_state::stopped: // left for the next run: no row at all
            break;
        }
    }
    return rows;
}

/// COPYs one row per item into @p target, encoding while the server parses.
void copy_items(pqxx::dbtransaction &tx, char const *target, std::vector<file_item const *> const &items,
                void (*encode)(copy_buffer &, file_item const &))
{
    copy_stream stream{tx, target};
    for (file_item const *item : items) {
        encode(stream.row(), *item);
        stream.end_row();
    }
    stream.complete();
}

/// COPYs each item's row encoded by encode_rows() (@p row: &file_item::file_row or analysis_row).
void copy_encoded(pqxx::dbtransaction &tx, char const *target, std::span<file_item const *const> items,
                  std::string file_item::*row)
{
    copy_stream stream{tx, target};
    for (file_item const *item : items) {
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
        copy_encoded(tx, STAGE_FILES, rows.files, &file_item::file_row);
        log_sql("batch", MERGE_FILES);
        result.imported = tx.exec1(MERGE_FILES)[0].as<std::uint64_t>();
    }
    if (!rows.analyses.empty()) {
        copy_encoded(tx, STAGE_ANALYSIS, rows.analyses, &file_item::analysis_row);
        log_sql("batch", MERGE_ANALYSIS);
        tx.exec0(MERGE_ANALYSIS);
    }
    if (rows.analyses.size() < rows.files.size()) {
        log_sql("batch", ENQUEUE_ANALYSIS);
        if (tx.exec1(ENQUEUE_ANALYSIS)[0].as<long>() > 0) {
            tx.exec0("NOTIFY midilib_jobs"); // delivered at commit: wakes idle workers
        }
    }
    if (!rows.paths.empty()) {
        copy_items(tx, STAGE_PATHS, rows.paths, encode_path);
        log_sql("batch", MERGE_PATHS);
        auto const r = tx.exec1(MERGE_PATHS);
        if (r[0].as<std::uint64_t>() != r[1].as<std::uint64_t>()) {
            throw pqxx::data_exception{fmt::format("batch lost paths: {} of {} path rows written; rolled back",
                                                   r[0].as<std::uint64_t>(), r[1].as<std::uint64_t>())};
        }
        log_sql("batch", REFRESH_SEARCH);
        tx.exec(REFRESH_SEARCH);
    }
    if (!rows.errors.empty()) {
        copy_items(tx, STAGE_ERRORS, rows.errors, encode_error);
        log_sql("batch", FORGET_FAILED_PATHS);
        tx.exec0(FORGET_FAILED_PATHS);
        log_sql("batch", MERGE_ERRORS);
        tx.exec0(MERGE_ERRORS);
    }
    tx.commit();
    result.duplicates = rows.known_duplicates + (rows.files.size() - result.imported);
    result.failed = rows.errors.size();
    return result;
}

} // namespace

batch_result write_batch(pqxx::connection &cx, std::span<file_item *const> items)
{
    auto const rows = sort_batch(items);
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
            spdlog::debug("batch of {} files: {} (attempt {}), retrying", items.size(), e.what(), attempt);
        }
    }
}

void record_archive(pqxx::connection &cx, path_candidate const &archive, std::uint64_t members)
{
    pqxx::work tx{cx};
    log_sql("archive", RECORD_ARCHIVE);
    tx.exec_params0(RECORD_ARCHIVE, archive.path, static_cast<std::int64_t>(archive.size), archive.mtime_us,
                    static_cast<std::int64_t>(members));
    tx.commit();
}

void finish_import(pqxx::connection &cx, std::uint64_t changed_files)
{
    constexpr char const *FINISH = "SELECT midilib_finish_import($1)";
    pqxx::nontransaction tx{cx};
    log_sql("finish", FINISH);
    tx.exec_params1(FINISH, static_cast<std::int64_t>(changed_files));
}

void encode_rows(file_item &item)
{
    // Encoded in a buffer of its own, then copied at its size: the item holds no spare capacity.
    copy_buffer row;
    if (item.state == item_state::parsed) {
        encode_file(row, item);
        row.end_row();
        item.file_row.assign(row.data());
        item.facts = file_facts{};
    }
    if (item.analyzed) {
        row.clear();
        encode_analysis(row, item);
        row.end_row();
        item.analysis_row.assign(row.data());
        item.analysis = analysis_result{};
    }
}

void stage_analysis_rows(pqxx::dbtransaction &tx, std::span<file_item const *const> items)
{
    tx.exec(PREPARE_SESSION);
    copy_encoded(tx, STAGE_ANALYSIS, items, &file_item::analysis_row);
}

std::string const &analysis_columns()
{
    static std::string const columns{MIDILIB_ANALYSIS_COLUMNS};
    return columns;
}

std::vector<std::uint64_t> known_paths(pqxx::connection &cx, std::span<path_candidate const> candidates)
{
    std::vector<std::uint64_t> known(candidates.size(), 0);
    if (candidates.empty()) {
        return known;
    }
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(candidates.size());
    auto lo = std::string_view{candidates.front().path};
    auto hi = lo;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        std::string_view const p = candidates[i].path;
        index.emplace(p, i);
        lo = std::min(lo, p);
        hi = std::max(hi, p);
    }
    pqxx::read_transaction tx{cx};
    log_sql("resume", SELECT_KNOWN);
    auto const r = tx.exec_params(SELECT_KNOWN, std::string{lo}, std::string{hi});
    for (auto const &row : r) {
        auto const it = index.find(std::string_view{row[0].c_str(), row[0].size()});
        if (it == index.end()) {
            continue; // in the library, not in this walk (moved or deleted since)
        }
        auto const &c = candidates[it->second];
        if (row[1].as<std::int64_t>() == static_cast<std::int64_t>(c.size) && row[2].as<std::int64_t>() == c.mtime_us) {
            known[it->second] = std::max<std::uint64_t>(row[3].as<std::uint64_t>(), 1);
        }
    }
    return known;
}

} // namespace midilib
