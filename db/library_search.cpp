#include "db/library_search.hpp"

#include "db/sql_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>

namespace midilib {

namespace {

/// A text with facets is read through the facets' rows when the planner expects more than this
/// many times as many rows for the text as for the facets (text_access). Measured at 1,000,000
/// generated files, EXPLAIN ANALYZE, both ways, 3 words x 4 facets: at a ratio of 1.7 and 3.4 the
/// text index was faster (2.2 against 2.8 ms, 2.4 against 2.8); at 2.3 and 2.7 the facets'
/// rows (4.2 against 3.3, 2.0 against 1.5); from 4.5 up the facets' rows, 1.3-6x (11 against 1.9 ms).
constexpr double TEXT_TO_FACET_ROWS = 2.0;

/// Trigram similarity below which a word of the file names is not offered as a typo fix
/// (pg_trgm's own default: "housse" finds "house" at 0.62, "amazinggrase" "amazinggrace" at 0.6).
constexpr char const *FUZZY_THRESHOLD = "0.3";

/// The hits of @p rows (columns as sql_statement lists them), each with a cursor of @p kind;
/// none without one.
std::vector<search_hit> read_hits(pqxx::result const &rows, std::optional<cursor_kind> kind)
{
    std::vector<search_hit> hits;
    for (auto const &row : rows) {
        search_hit h = hit_of_row(row);
        h.rank = row.size() > 8 ? row[8].as<double>() : 0.0;
        if (kind == cursor_kind::rank) {
            h.cursor = cursor_text({*kind, row[8].as<std::string>(), h.id});
        } else if (kind == cursor_kind::value) {
            h.cursor = cursor_text({*kind, row[9].as<std::string>(), h.id});
        } else if (kind == cursor_kind::id) {
            h.cursor = cursor_text({*kind, {}, h.id});
        }
        hits.push_back(std::move(h));
    }
    return hits;
}

} // namespace

search_hit hit_of_row(pqxx::row const &row)
{
    search_hit h;
    h.id = row[0].as<std::int64_t>();
    h.path = row[1].as<std::string>();
    h.duration_seconds = row[2].as<double>();
    h.tempo_bpm = row[3].as<double>();
    h.key_name = row[4].as<std::string>();
    h.time_signature = row[5].as<std::string>();
    h.tracks = row[6].as<std::int64_t>();
    h.drums = row[7].as<bool>();
    return h;
}

library_searcher::library_searcher(pqxx::connection &cx) : m_cx(cx) {}

search_page search_library(pqxx::connection &cx, search_request const &r) { return library_searcher{cx}.find(r); }

search_page library_searcher::find(search_request const &request)
{
    search_request const r = normalized(request); // what is sent: the estimates and the typo fallback use it too
    auto const access = chooses_text_access(r) ? choose_text_access(r) : text_access::word_index;
    search_page page;
    page.hits = read_hits(run(search_statement(r, access), planned_per_call(r)), page_order(r));
    if (page.hits.empty()) {
        // Nothing: perhaps a typo.
        if (auto const fuzzy = fuzzy_statement(r)) {
            pqxx::read_transaction tx{m_cx};
            tx.exec(std::string{"SET LOCAL pg_trgm.similarity_threshold = "} + FUZZY_THRESHOLD);
            log_sql("search", fuzzy->first);
            auto const rows = tx.exec_params(fuzzy->first, pqxx::prepare::make_dynamic_params(fuzzy->second));
            page.hits = read_hits(rows, std::nullopt); // a typo list has one page
            page.fuzzy = !page.hits.empty();
        }
    }
    return page;
}

pqxx::result library_searcher::run(sql_statement const &statement, bool per_call)
{
    auto const &[sql, params] = statement;
    if (per_call) {
        pqxx::nontransaction one{m_cx};
        log_sql("search", sql);
        return one.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    }
    // A text, or one facet, or a text with one facet: one plan serves every value (the text
    // index; the facet's; the one text_access names), so the statement is prepared once per
    // connection, and PostgreSQL keeps its generic plan: planning the partitions of file_search
    // (migrations 0011, 0013) on each call cost more than it chose better (docs/search.md).
    // Named by the statement, not by a count: another searcher on this connection (each
    // search_library() call is one) may have prepared other statements under the same count.
    auto [it, added] = m_prepared.try_emplace(sql,
                                              fmt::format("midilib_search_{:016x}", std::hash<std::string>{}(sql)));
    if (added) {
        m_cx.prepare(it->second, sql);
    }
    pqxx::nontransaction one{m_cx}; // a single statement: no BEGIN/COMMIT round trips
    log_sql("search", sql);
    return one.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(params));
}

text_access library_searcher::choose_text_access(search_request const &r)
{
    pqxx::nontransaction one{m_cx};
    if (m_sample_table.empty()) {
        // One partition is enough: each holds a random share of the library (a hash of
        // file_id), and planning one costs a fraction of planning them all. The largest (the
        // one nearest the root: half the library, migration 0013) gives the finest estimates.
        // Not partitioned: the table.
        m_sample_table = one.exec("SELECT relid::regclass::text FROM pg_partition_tree('file_search'::regclass)"
                                  " WHERE isleaf ORDER BY level, relid LIMIT 1")[0][0]
                             .as<std::string>();
    }
    auto const [sql, params] = text_access_estimate(r, m_sample_table);
    log_sql("search", sql);
    auto const row = one.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    try {
        auto const plan = nlohmann::json::parse(row[0][0].c_str());
        auto const &branches = plan.at(0).at("Plan").at("Plans");
        auto const facet_rows = branches.at(0).at("Plan Rows").get<double>();
        auto const text_rows = branches.at(1).at("Plan Rows").get<double>();
        return text_rows > TEXT_TO_FACET_ROWS * facet_rows ? text_access::facet_rows : text_access::word_index;
    } catch (nlohmann::json::exception const &) {
        // Another shape (a branch proven empty is left out of the plan): the planner chooses.
        return text_access::word_index;
    }
}

} // namespace midilib
