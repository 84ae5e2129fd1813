#include "db/library_search.hpp"

#include "db/sql_text.hpp"

namespace midilib {

namespace {

constexpr char const *SEARCH =
    "SELECT f.id, p.path, f.duration_seconds, f.tempo_mean_bpm, f.track_count, f.note_count"
    " FROM midi_file_paths p JOIN midi_files f ON f.id = p.file_id"
    " WHERE p.path ILIKE $1 ESCAPE '\\' OR array_to_string(f.track_names, ' ') ILIKE $1 ESCAPE '\\'"
    " ORDER BY p.path LIMIT $2";

constexpr char const *COUNT = "SELECT (SELECT count(*) FROM midi_files), (SELECT count(*) FROM midi_file_paths),"
                              " (SELECT count(*) FROM import_errors)";

std::string like_pattern(std::string const &text)
{
    std::string out{"%"};
    for (char const c : text) {
        if (c == '%' || c == '_' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '%';
    return out;
}

} // namespace

std::vector<search_hit> search_library(pqxx::connection &cx, std::string const &text, int limit)
{
    pqxx::read_transaction tx{cx};
    log_sql("search", SEARCH);
    std::vector<search_hit> hits;
    for (auto const &row : tx.exec_params(SEARCH, like_pattern(text), limit)) {
        hits.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<double>(),
                        row[3].as<double>(), row[4].as<std::int64_t>(), row[5].as<std::int64_t>()});
    }
    return hits;
}

library_totals count_library(pqxx::connection &cx)
{
    pqxx::read_transaction tx{cx};
    log_sql("count", COUNT);
    auto const row = tx.exec1(COUNT);
    return {row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>()};
}

std::optional<file_details> show_file(pqxx::connection &cx, std::int64_t id)
{
    pqxx::read_transaction tx{cx};
    auto const row = tx.exec_params("SELECT * FROM midi_files WHERE id = $1", id);
    if (row.empty()) {
        return std::nullopt;
    }
    file_details d;
    for (pqxx::row::size_type i = 0; i < row.columns(); ++i) {
        auto const f = row[0][i];
        d.fields.emplace_back(row.column_name(i), f.is_null() ? std::string{} : f.as<std::string>());
    }
    auto const paths = tx.exec_params(
        "SELECT p.path, p.size_bytes, to_char(p.mtime, 'YYYY-MM-DD HH24:MI:SS TZ'),"
        " (SELECT a.path FROM archives a WHERE starts_with(p.path, a.path || '!/')"
        "  ORDER BY length(a.path) DESC LIMIT 1)"
        " FROM midi_file_paths p WHERE p.file_id = $1 ORDER BY p.path",
        id);
    for (auto const &p : paths) {
        d.paths.push_back({p[0].as<std::string>(), p[1].as<std::int64_t>(), p[2].as<std::string>(),
                           p[3].is_null() ? std::string{} : p[3].as<std::string>()});
    }
    return d;
}

} // namespace midilib
