#include "db/work_list.hpp"

#include "db/sql_text.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace midilib {

namespace {

/// A version's facts, as search shows them (s: file_search, f: midi_files, a: file_analysis), after
/// its path.
#define VERSION_FACTS                                                                    \
    " (SELECT count(*) FROM midi_file_paths p WHERE p.file_id = s.file_id), s.key_name," \
    " s.tempo_bpm, s.duration_seconds, f.format, f.track_count, f.ppq, a.print_kind"

/// Works with at least $3 live versions (those under the folder [$1, $2) when given), most first;
/// then their versions, each shown by a path under the folder. A version's facts are those search
/// shows (file_search).
constexpr char const *DUPES =
    "WITH v AS (SELECT w.work_id, w.file_id FROM file_works w JOIN file_search s ON s.file_id = w.file_id"
    "           WHERE $1::text IS NULL OR w.file_id IN"
    "                 (SELECT file_id FROM midi_file_paths WHERE path >= $1 AND path < $2)),"
    " top AS (SELECT work_id, count(*) AS n FROM v GROUP BY work_id HAVING count(*) >= $3"
    "         ORDER BY count(*) DESC, work_id LIMIT $4)"
    " SELECT top.work_id, s.file_id, coalesce((SELECT min(path) FROM midi_file_paths p"
    "        WHERE p.file_id = s.file_id AND p.path >= $1 AND p.path < $2), s.path)," VERSION_FACTS
    " FROM top JOIN v USING (work_id) JOIN file_search s ON s.file_id = v.file_id"
    " JOIN midi_files f ON f.id = s.file_id LEFT JOIN file_analysis a ON a.file_id = s.file_id"
    " ORDER BY top.n DESC, top.work_id, s.file_id";

/// The other live versions of the work of content $1.
constexpr char const *OTHER_VERSIONS =
    "SELECT w.work_id, s.file_id, s.path," VERSION_FACTS
    " FROM file_works w JOIN file_works o ON o.work_id = w.work_id AND o.file_id <> w.file_id"
    " JOIN file_search s ON s.file_id = o.file_id JOIN midi_files f ON f.id = s.file_id"
    " LEFT JOIN file_analysis a ON a.file_id = s.file_id WHERE w.file_id = $1 ORDER BY s.file_id";

template <typename T>
std::optional<T> optional_field(pqxx::field const &f)
{
    return f.is_null() ? std::nullopt : std::optional<T>{f.as<T>()};
}

/// A row's columns from the second on (VERSION_COLUMNS), as a version.
work_version version_of(pqxx::row const &row)
{
    work_version v;
    v.id = row[1].as<std::int64_t>();
    v.path = row[2].as<std::string>();
    v.paths = row[3].as<std::int64_t>();
    v.key = optional_field<std::string>(row[4]);
    v.tempo_bpm = row[5].is_null() ? 0.0 : row[5].as<double>();
    v.duration_seconds = row[6].is_null() ? 0.0 : row[6].as<double>();
    v.format = row[7].as<int>();
    v.tracks = row[8].as<int>();
    v.ppq = optional_field<int>(row[9]);
    v.print_kind = optional_field<std::string>(row[10]);
    return v;
}

} // namespace

std::vector<work_group> list_dupes(pqxx::connection &cx, dupes_request const &r)
{
    if (r.min_versions < 2) {
        throw std::invalid_argument{"--min-versions: a work with duplicates has 2 versions or more"};
    }
    std::optional<std::string> lo;
    std::optional<std::string> hi;
    if (r.folder) {
        if (r.folder->empty()) {
            throw std::invalid_argument{"--folder needs a folder"};
        }
        lo = *r.folder;
        if (lo->back() != '/') {
            *lo += '/';
        }
        hi = *lo;
        hi->back() = static_cast<char>(hi->back() + 1); // "/" -> "0": every path below, in byte order
    }
    pqxx::read_transaction tx{cx};
    log_sql("dupes", DUPES);
    std::vector<work_group> out;
    for (auto const &row :
         tx.exec_params(DUPES, lo ? lo->c_str() : nullptr, hi ? hi->c_str() : nullptr, r.min_versions, r.limit)) {
        auto const work = row[0].as<std::int64_t>();
        if (out.empty() || out.back().work_id != work) {
            out.push_back({work, {}});
        }
        out.back().versions.push_back(version_of(row));
    }
    return out;
}

std::vector<work_version> other_versions(pqxx::transaction_base &tx, std::int64_t id)
{
    log_sql("show", OTHER_VERSIONS);
    std::vector<work_version> out;
    for (auto const &row : tx.exec_params(OTHER_VERSIONS, id)) {
        out.push_back(version_of(row));
    }
    return out;
}

std::string version_difference(work_version const &first, work_version const &v)
{
    std::string out;
    auto const add = [&out](std::string const &part) { out += (out.empty() ? "" : ", ") + part; };
    if (v.key != first.key && v.key) {
        add(*v.key);
    }
    if (std::abs(v.tempo_bpm - first.tempo_bpm) >= 0.5) {
        add(fmt::format("{:.0f} bpm", v.tempo_bpm));
    }
    if (v.format != first.format) {
        add(fmt::format("format {}", v.format));
    }
    if (v.ppq != first.ppq && v.ppq) {
        add(fmt::format("{} ppq", *v.ppq));
    }
    if (v.tracks != first.tracks) {
        add(fmt::format("{} tracks", v.tracks));
    }
    if (first.duration_seconds > 0 && std::abs(v.duration_seconds / first.duration_seconds - 1.0) >= 0.02) {
        add(fmt::format("{:.0f} s", v.duration_seconds));
    }
    return out;
}

} // namespace midilib
