#include "tests/common/library_fingerprint.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <utility>

namespace midilib::testing {

std::string paths_fingerprint(temp_database const &db)
{
    return db.scalar<std::string>(
        "SELECT md5(coalesce(string_agg(p.path || ':' || encode(f.hash, 'hex'), ',' ORDER BY p.path), ''))"
        " FROM midi_file_paths p JOIN midi_files f ON f.id = p.file_id");
}

std::string contents_fingerprint(temp_database const &db)
{
    return db.scalar<std::string>(
        "SELECT md5(string_agg(row(hash, size_bytes, format, track_count, declared_tracks, division, ppq,"
        " duration_ticks, duration_seconds, tempo_mean_bpm, time_signatures, key_signatures, note_count,"
        " channels_used, programs, track_names, texts, lyrics, warnings)::text, ',' ORDER BY hash))"
        " FROM midi_files");
}

std::string analysis_fingerprint(temp_database const &db)
{
    return db.scalar<std::string>(
        "SELECT md5(coalesce(string_agg(row(f.hash, a.analyzer_version, a.key_name,"
        " a.tempo_bpm, a.chord_progression, a.has_drums, a.note_count, a.instruments)::text,"
        " ',' ORDER BY f.hash), '')) FROM file_analysis a JOIN midi_files f ON f.id = a.file_id");
}

std::string errors_fingerprint(temp_database const &db)
{
    return db.scalar<std::string>(
        "SELECT md5(coalesce(string_agg(path || ':' || stage || ':' || reason, ',' ORDER BY path), ''))"
        " FROM import_errors");
}

namespace {

/// One text per row of each table, without surrogate ids and timestamps (contents are named
/// by their hash), so that two databases with the same library give the same rows.
constexpr std::pair<char const *, char const *> LIBRARY_ROWS[] = {
    {"midi_files", "SELECT (to_jsonb(f) - 'id' - 'imported_at' - 'missing_since'"
                   " || jsonb_build_object('missing', f.missing_since IS NOT NULL))::text FROM midi_files f"},
    {"midi_file_paths", "SELECT (to_jsonb(p) - 'file_id' - 'seen_at' || jsonb_build_object('hash', f.hash))::text"
                        " FROM midi_file_paths p JOIN midi_files f ON f.id = p.file_id"},
    {"file_analysis", "SELECT (to_jsonb(a) - 'file_id' - 'analyzed_at' || jsonb_build_object('hash', f.hash))::text"
                      " FROM file_analysis a JOIN midi_files f ON f.id = a.file_id"},
    // How often and since when a path failed depend on the runs, not on the library.
    {"import_errors", "SELECT (to_jsonb(e) - 'id' - 'at' - 'first_at' - 'failures')::text FROM import_errors e"},
    {"file_search", "SELECT (to_jsonb(s) - 'file_id' || jsonb_build_object('hash', f.hash))::text"
                    " FROM file_search s JOIN midi_files f ON f.id = s.file_id"},
    // A work as its contents' hashes (work ids name contents, which are numbered as they arrive).
    {"file_works", "SELECT array_agg(encode(f.hash, 'hex') ORDER BY f.hash)::text"
                   " FROM file_works w JOIN midi_files f ON f.id = w.file_id GROUP BY w.work_id"},
    {"archives", "SELECT (to_jsonb(a) - 'imported_at')::text FROM archives a"},
    {"analysis_jobs", "SELECT jsonb_build_object('hash', f.hash, 'kind', j.kind, 'state', j.state)::text"
                      " FROM analysis_jobs j JOIN midi_files f ON f.id = j.file_id"},
};

} // namespace

std::map<std::string, std::string> library_rows(std::string const &conninfo)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    tx.exec0("SET TimeZone = 'UTC'"); // timestamptz as text
    std::map<std::string, std::string> out;
    for (auto const &[table, rows] : LIBRARY_ROWS) {
        out[table] = tx.exec1(fmt::format("SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(r, E'\\n'"
                                          " ORDER BY r COLLATE \"C\"), '')) FROM ({}) t(r)",
                                          rows))[0]
                         .as<std::string>();
    }
    return out;
}

void expect_same_library(std::string const &got, std::string const &want)
{
    auto const got_rows = library_rows(got);
    auto const want_rows = library_rows(want);
    for (auto const &[table, rows] : want_rows) {
        EXPECT_EQ(got_rows.at(table), rows) << "table " << table << " differs from a clean run";
    }
    // The clean run is not empty where it matters (else equality would prove little).
    for (char const *table : {"midi_files", "midi_file_paths", "file_analysis", "import_errors", "file_search"}) {
        EXPECT_FALSE(want_rows.at(table).starts_with("0 rows")) << table;
    }
}

} // namespace midilib::testing
