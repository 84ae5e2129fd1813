#include "db/similar.hpp"

#include "db/search_params.hpp"
#include "db/search_sql.hpp"
#include "db/sql_text.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace midilib {

namespace {

/// Facets that hold fewer rows than this are ranked exactly (each row's distance, then a sort)
/// instead of walking the GiST index nearest first past the rows they filter out. In 24 dimensions
/// the walk reads much of the index whatever the facet (about 0.12 s at 100,000 files) and far more
/// when the facet shuns the file's neighbourhood; the exact ranking costs about 25 µs a row
/// (docs/works.md, "Similar"). Counting up to the cap costs one capped index read.
constexpr int EXACT_ROWS = 5000;

/// The content's features (cube text, null when none) and work; no row when there is no such content.
constexpr char const *SOURCE_SQL = "SELECT a.features::text, w.work_id FROM midi_files f"
                                   " LEFT JOIN file_analysis a ON a.file_id = f.id"
                                   " LEFT JOIN file_works w ON w.file_id = f.id WHERE f.id = $1";

/// Rows of file_search s passing @p facets, counted up to EXACT_ROWS.
std::string capped_count(std::string const &facets)
{
    return fmt::format("SELECT count(*) FROM (SELECT 1 FROM file_search s WHERE {} LIMIT {}) c", facets, EXACT_ROWS);
}

/**
 * The neighbours: file_search rows (live contents) and their distance, nearest first, ties by id.
 * Walked: the GiST index of file_analysis gives the vectors nearest first, each checked against
 * the facets until limit pass; ordered by the distance alone, which the index gives (with the id
 * too the planner sorts the whole table). Exact: the facets' rows, each one's vector looked up by
 * its key (a subquery per row: as a join, 4,378 rows read all of file_analysis), then a sort.
 */
std::string neighbours(std::string const &target, std::string const &others, std::string const &facets, int limit,
                       bool exact)
{
    if (exact) {
        return fmt::format("SELECT * FROM (SELECT {0}, (SELECT a.features FROM file_analysis a"
                           " WHERE a.file_id = s.file_id) <-> {1} AS distance"
                           " FROM file_search s WHERE {2} AND {3}) h"
                           " WHERE h.distance IS NOT NULL ORDER BY h.distance, h.file_id LIMIT {4}",
                           HIT_COLUMNS, target, facets, others, limit);
    }
    return fmt::format("SELECT * FROM (SELECT {0}, a.features <-> {1} AS distance"
                       " FROM file_analysis a JOIN file_search s ON s.file_id = a.file_id"
                       " WHERE a.features IS NOT NULL AND {2} AND {3} ORDER BY a.features <-> {1} LIMIT {4}) h"
                       " ORDER BY h.distance, h.file_id",
                       HIT_COLUMNS, target, others, facets, limit);
}

} // namespace

similar_result find_similar(pqxx::connection &cx, similar_request const &request)
{
    search_request const r = normalized(request.facets);
    if (r.limit < 1 || r.limit > 10000) {
        throw std::invalid_argument{"--limit must be between 1 and 10000"};
    }
    pqxx::read_transaction tx{cx}; // one snapshot: the source row and its neighbours
    log_sql("similar", SOURCE_SQL);
    auto const source = tx.exec_params(SOURCE_SQL, request.id);
    similar_result out;
    if (source.empty()) {
        out.outcome = similar_outcome::no_file;
        return out;
    }
    if (source[0][0].is_null()) {
        out.outcome = similar_outcome::no_features;
        return out;
    }
    search_params st;
    std::string const facets = facet_conditions(r, st);
    auto const facet_values = st.params(); // the count takes these alone: an unused parameter has no type
    std::string const target = st.param(source[0][0].as<std::string>()) + "::cube";
    std::string others = "s.file_id <> " + st.param(std::to_string(request.id)) + "::bigint";
    if (!request.versions && !source[0][1].is_null()) {
        others += " AND NOT EXISTS (SELECT 1 FROM file_works w WHERE w.file_id = s.file_id AND w.work_id = " +
                  st.param(source[0][1].as<std::string>()) + "::bigint)";
    }
    if (facets != "true") {
        auto const sql = capped_count(facets);
        log_sql("similar", sql);
        out.exact = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(facet_values))[0][0].as<int>() < EXACT_ROWS;
    }
    auto const sql = neighbours(target, others, facets, r.limit, out.exact);
    log_sql("similar", sql);
    for (auto const &row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(st.params()))) {
        out.hits.push_back({hit_of_row(row), row[8].as<double>()});
    }
    return out;
}

} // namespace midilib
