#include "db/file_details.hpp"

namespace midilib {

namespace {

constexpr char const *FILE_ROW = "SELECT * FROM midi_files WHERE id = $1";

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
    for (pqxx::row::size_type i = 0; i < row.columns(); ++i) {
        auto const f = row[0][i];
        d.fields.emplace_back(row.column_name(i), f.is_null() ? std::string{} : f.as<std::string>());
    }
    for (auto const &p : tx.exec_params(FILE_PATHS, id)) {
        d.paths.push_back({p[0].as<std::string>(), p[1].as<std::int64_t>(), p[2].as<std::string>(),
                           p[3].is_null() ? std::string{} : p[3].as<std::string>()});
    }
    return d;
}

} // namespace midilib
