#include "db/file_details.hpp"

namespace midilib {

namespace {

/// The row and its analysis as JSON, typed by PostgreSQL. The facets search prints are computed as
/// the search rows compute them (migration 0005's refresh), so that both commands agree.
constexpr char const *FILE_ROW =
    "SELECT ((to_jsonb(f) - 'hash') || jsonb_build_object("
    "  'hash', encode(f.hash, 'hex'),"
    "  'tempo_bpm', coalesce(a.tempo_bpm, f.tempo_mean_bpm),"
    "  'key', a.key_name,"
    "  'time_signature', nullif(split_part(f.time_signatures[1], '@', 1), ''),"
    "  'tracks', f.track_count,"
    "  'drums', a.has_drums,"
    "  'work_id', (SELECT work_id FROM file_works WHERE file_id = f.id)))::text,"
    " CASE WHEN a.file_id IS NULL THEN NULL ELSE (to_jsonb(a) - 'file_id' - 'print')::text END"
    " FROM midi_files f LEFT JOIN file_analysis a ON a.file_id = f.id WHERE f.id = $1";

/// Every path of a content, with the innermost archive that holds it.
constexpr char const *FILE_PATHS = "SELECT p.path, p.size_bytes, to_char(p.mtime, 'YYYY-MM-DD HH24:MI:SS TZ'),"
                                   " (SELECT a.path FROM archives a WHERE starts_with(p.path, a.path || '!/')"
                                   "  ORDER BY length(a.path) DESC LIMIT 1)"
                                   " FROM midi_file_paths p WHERE p.file_id = $1 ORDER BY p.path";

} // namespace

std::optional<file_details> show_file(pqxx::connection &cx, std::int64_t id)
{
    pqxx::read_transaction tx{cx};
    auto const row = tx.exec_params(FILE_ROW, id);
    if (row.empty()) {
        return std::nullopt;
    }
    file_details d;
    d.file = nlohmann::json::parse(row[0][0].as<std::string>());
    d.analysis = row[0][1].is_null() ? nlohmann::json{} : nlohmann::json::parse(row[0][1].as<std::string>());
    for (auto const &p : tx.exec_params(FILE_PATHS, id)) {
        d.paths.push_back({p[0].as<std::string>(), p[1].as<std::int64_t>(), p[2].as<std::string>(),
                           p[3].is_null() ? std::nullopt : std::optional{p[3].as<std::string>()}});
    }
    d.versions = other_versions(tx, id);
    return d;
}

} // namespace midilib
