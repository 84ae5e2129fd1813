#include "db/works.hpp"

#include "analyzers/fingerprint.hpp"
#include "db/sql_text.hpp"

#include <unordered_map>
#include <vector>

namespace midilib {

namespace {

/// Advisory lock key held by the works step of every batch and ack (one works step at a time).
constexpr std::int64_t WORKS_LOCK = 0x6d69646977726b73; // "midiwrks"

constexpr char const *LOCK = "SELECT pg_advisory_xact_lock($1)";

/// The lookup's estimated cost (a subquery per content) passes jit_above_cost: compiling it took
/// 0.8 s of a 0.85 s statement for 250 contents.
constexpr char const *NO_JIT = "SET LOCAL jit = off";

/// For each staged content, its work now, and every other content it is the same work as (with that
/// content's work): a shared band key (the GIN index), the same kind, and similarity >= $1.
/// OFFSET 0 keeps the lookup a subquery per content, through the index: flattened into a join, the
/// planner chose a hash join on the kind over every fingerprint (0.8 s for 250 contents, 21 ms through the index).
constexpr char const *EDGES =
    "WITH n AS (SELECT DISTINCT a.file_id, a.print_kind, a.print FROM stage_analysis s"
    "           JOIN midi_files f USING (hash) JOIN file_analysis a ON a.file_id = f.id)"
    " SELECT n.file_id, coalesce(nw.work_id, n.file_id), c.file_id, coalesce(cw.work_id, c.file_id)"
    " FROM n LEFT JOIN file_works nw ON nw.file_id = n.file_id"
    " LEFT JOIN LATERAL (SELECT c.file_id FROM file_analysis c"
    "    WHERE n.print IS NOT NULL AND c.print IS NOT NULL AND c.print && n.print AND c.file_id <> n.file_id"
    "      AND c.print_kind = n.print_kind AND midilib_print_similarity(c.print, n.print) >= $1"
    "      AND EXISTS (SELECT 1 FROM unnest(c.print, n.print) AS b(x, y) WHERE x = y)"
    "    OFFSET 0) c ON true"
    " LEFT JOIN file_works cw ON cw.file_id = c.file_id";

/// Every content of a work in $1 moves to the work in $2 beside it.
constexpr char const *MERGE = "UPDATE file_works w SET work_id = m.target FROM unnest($1::bigint[], $2::bigint[])"
                              " AS m(work, target) WHERE w.work_id = m.work";

/// The staged contents' works; in content order, so concurrent writers lock rows in one order.
constexpr char const *PLACE = "INSERT INTO file_works (file_id, work_id)"
                              " SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS p(file_id, work_id) ORDER BY 1"
                              " ON CONFLICT (file_id) DO UPDATE SET work_id = EXCLUDED.work_id"
                              " WHERE file_works.work_id <> EXCLUDED.work_id";

/// Union-find over work ids; a set is named by its smallest id.
class work_sets
{
public:
    std::int64_t find(std::int64_t w)
    {
        auto it = m_parent.try_emplace(w, w).first;
        while (it->second != it->first) {
            auto up = m_parent.find(it->second);
            it->second = up->second; // halve the path
            it = up;
        }
        return it->first;
    }

    void unite(std::int64_t a, std::int64_t b)
    {
        a = find(a);
        b = find(b);
        if (a != b) {
            m_parent[std::max(a, b)] = std::min(a, b);
        }
    }

    std::unordered_map<std::int64_t, std::int64_t> const &all() const noexcept { return m_parent; }

private:
    std::unordered_map<std::int64_t, std::int64_t> m_parent;
};

} // namespace

works_result join_works(pqxx::dbtransaction &tx)
{
    log_sql("works", LOCK);
    tx.exec_params(LOCK, WORKS_LOCK);
    tx.exec0(NO_JIT);
    log_sql("works", EDGES);
    auto const edges = tx.exec_params(EDGES, SAME_WORK_SIMILARITY);

    work_sets sets;
    std::unordered_map<std::int64_t, std::int64_t> own_work; // staged content -> its work before
    for (auto const &row : edges) {
        auto const file = row[0].as<std::int64_t>();
        auto const work = row[1].as<std::int64_t>();
        own_work.emplace(file, work);
        sets.find(work);
        if (!row[2].is_null()) {
            sets.unite(work, row[3].as<std::int64_t>());
        }
    }

    works_result result;
    std::vector<std::int64_t> from;
    std::vector<std::int64_t> into;
    for (auto const &entry : sets.all()) {
        std::int64_t const root = sets.find(entry.first);
        if (root != entry.first) {
            from.push_back(entry.first);
            into.push_back(root);
        }
    }
    if (!from.empty()) {
        log_sql("works", MERGE);
        result.moved = static_cast<std::uint64_t>(
            tx.exec_params(MERGE, int_array_literal(from), int_array_literal(into)).affected_rows());
    }

    std::vector<std::int64_t> files;
    std::vector<std::int64_t> works;
    for (auto const &[file, work] : own_work) {
        files.push_back(file);
        works.push_back(sets.find(work));
    }
    result.contents = files.size();
    if (!files.empty()) {
        log_sql("works", PLACE);
        tx.exec_params(PLACE, int_array_literal(files), int_array_literal(works));
    }
    return result;
}

} // namespace midilib
