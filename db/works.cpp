#include "db/works.hpp"

#include "analyzers/fingerprint.hpp"
#include "db/sql_text.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
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

/// The last works step committed so far.
constexpr char const *LAST_STEP = "SELECT coalesce(max(seq), 0) FROM works_log";

/// The staged contents (the analysis rows of this transaction).
#define STAGED                                                                                    \
    "n AS (SELECT DISTINCT a.file_id, a.print_kind, a.print, a.print_slots FROM stage_analysis s" \
    "      JOIN midi_files f USING (hash) JOIN file_analysis a ON a.file_id = f.id)"

/// Each staged content, and every content visible now that it is the same work as: a shared band key
/// (the GIN index), the same kind, similarity >= $1 and a band equal at the same place (same_work()).
/// OFFSET 0 keeps the lookup a subquery per content, through the index: flattened into a join, the
/// planner chose a hash join on the kind over every fingerprint (0.8 s for 250 contents, 21 ms through the index).
constexpr char const *EDGES =
    "WITH " STAGED " SELECT n.file_id, c.file_id FROM n"
    " LEFT JOIN LATERAL (SELECT c.file_id FROM file_analysis c"
    "    WHERE n.print IS NOT NULL AND c.print IS NOT NULL AND c.print && n.print AND c.file_id <> n.file_id"
    "      AND c.print_kind = n.print_kind AND midilib_print_similarity(c.print_slots, n.print_slots) >= $1"
    "      AND EXISTS (SELECT 1 FROM unnest(c.print, n.print) AS b(x, y) WHERE x = y)"
    "    OFFSET 0) c ON true";

/// The fingerprints of the contents of the works steps committed after step $1.
constexpr char const *LATE_PRINTS =
    "SELECT a.file_id, a.print_kind, a.print::text"
    " FROM (SELECT DISTINCT unnest(file_ids) AS file_id FROM works_log WHERE seq > $1) l"
    " JOIN file_analysis a USING (file_id) WHERE a.print IS NOT NULL";

/// The fingerprints of the staged contents.
constexpr char const *STAGED_PRINTS = "WITH " STAGED
                                      " SELECT file_id, print_kind, print::text FROM n WHERE print IS NOT NULL";

/// The work of each content in $1 now (a content without a row is a work of its own).
constexpr char const *WORKS_OF = "SELECT i.id, coalesce(w.work_id, i.id) FROM unnest($1::bigint[]) AS i(id)"
                                 " LEFT JOIN file_works w ON w.file_id = i.id";

/// Every content of a work in $1 moves to the work in $2 beside it.
constexpr char const *MERGE = "UPDATE file_works w SET work_id = m.target FROM unnest($1::bigint[], $2::bigint[])"
                              " AS m(work, target) WHERE w.work_id = m.work";

/// The staged contents' works; in content order, so concurrent writers lock rows in one order.
constexpr char const *PLACE = "INSERT INTO file_works (file_id, work_id)"
                              " SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS p(file_id, work_id) ORDER BY 1"
                              " ON CONFLICT (file_id) DO UPDATE SET work_id = EXCLUDED.work_id"
                              " WHERE file_works.work_id <> EXCLUDED.work_id";

/// This step, numbered after the last (under the lock, so in commit order); a day's steps are kept.
constexpr char const *LOG_STEP = "WITH old AS (DELETE FROM works_log WHERE at < now() - interval '1 day')"
                                 " INSERT INTO works_log (seq, file_ids)"
                                 " SELECT coalesce(max(seq), 0) + 1, $1::bigint[] FROM works_log";

/// A stored fingerprint ("pitched" or "drums", and its band keys as array text) read back.
fingerprint print_of(std::string const &kind, std::string const &keys)
{
    std::array<std::int64_t, BANDS> k{};
    char const *p = keys.c_str() + 1; // after '{'
    for (std::size_t b = 0; b < BANDS; ++b) {
        char *end = nullptr;
        k[b] = std::strtoll(p, &end, 10);
        p = end + 1; // after ',' or '}'
    }
    return fingerprint_of_keys(kind == "pitched" ? fingerprint_kind::pitched : fingerprint_kind::drums, k);
}

/// Pairs (staged content, late content) that same_work() joins: the staged fingerprints indexed by
/// band key and place, each late one looked up there.
std::vector<std::pair<std::int64_t, std::int64_t>> late_edges(pqxx::result const &staged, pqxx::result const &late)
{
    std::vector<std::pair<std::int64_t, fingerprint>> ours;
    std::unordered_multimap<std::int64_t, std::size_t> by_band;
    for (auto const &row : staged) {
        ours.emplace_back(row[0].as<std::int64_t>(), print_of(row[1].as<std::string>(), row[2].as<std::string>()));
        auto const keys = band_keys(ours.back().second);
        for (std::size_t b = 0; b < BANDS; ++b) {
            by_band.emplace(keys[b] ^ static_cast<std::int64_t>(b), ours.size() - 1);
        }
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (auto const &row : late) {
        auto const id = row[0].as<std::int64_t>();
        auto const print = print_of(row[1].as<std::string>(), row[2].as<std::string>());
        auto const keys = band_keys(print);
        std::vector<std::size_t> seen;
        for (std::size_t b = 0; b < BANDS; ++b) {
            auto const [lo, hi] = by_band.equal_range(keys[b] ^ static_cast<std::int64_t>(b));
            for (auto it = lo; it != hi; ++it) {
                auto const &[own, own_print] = ours[it->second];
                if (own != id && std::find(seen.begin(), seen.end(), it->second) == seen.end()) {
                    seen.push_back(it->second);
                    if (same_work(own_print, print)) {
                        out.emplace_back(own, id);
                    }
                }
            }
        }
    }
    return out;
}

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
    tx.exec0(NO_JIT);
    log_sql("works", LAST_STEP);
    auto const seen = tx.exec1(LAST_STEP)[0].as<std::int64_t>();
    // The index lookups run before the lock, beside other batches; under it only the contents
    // committed meanwhile are checked, and the works read and written.
    std::vector<std::pair<std::int64_t, std::int64_t>> edges; // staged content, same-work content (or 0)
    log_sql("works", EDGES);
    for (auto const &row : tx.exec_params(EDGES, SAME_WORK_SIMILARITY)) {
        edges.emplace_back(row[0].as<std::int64_t>(), row[1].is_null() ? 0 : row[1].as<std::int64_t>());
    }
    log_sql("works", LOCK);
    tx.exec_params(LOCK, WORKS_LOCK);
    log_sql("works", LATE_PRINTS);
    auto const late = tx.exec_params(LATE_PRINTS, seen);
    if (!late.empty()) {
        log_sql("works", STAGED_PRINTS);
        auto const more = late_edges(tx.exec(STAGED_PRINTS), late);
        edges.insert(edges.end(), more.begin(), more.end());
    }

    std::vector<std::int64_t> ids;
    for (auto const &[file, other] : edges) {
        ids.push_back(file);
        if (other != 0) {
            ids.push_back(other);
        }
    }
    std::unordered_map<std::int64_t, std::int64_t> work_of;
    log_sql("works", WORKS_OF);
    for (auto const &row : tx.exec_params(WORKS_OF, int_array_literal(ids))) {
        work_of.emplace(row[0].as<std::int64_t>(), row[1].as<std::int64_t>());
    }
    work_sets sets;
    std::vector<std::int64_t> staged;
    for (auto const &[file, other] : edges) {
        staged.push_back(file);
        sets.find(work_of.at(file));
        if (other != 0) {
            sets.unite(work_of.at(file), work_of.at(other));
        }
    }
    std::sort(staged.begin(), staged.end());
    staged.erase(std::unique(staged.begin(), staged.end()), staged.end());

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
    std::vector<std::int64_t> works;
    for (auto const file : staged) {
        works.push_back(sets.find(work_of.at(file)));
    }
    result.contents = staged.size();
    log_sql("works", PLACE);
    tx.exec_params(PLACE, int_array_literal(staged), int_array_literal(works));
    log_sql("works", LOG_STEP);
    tx.exec_params(LOG_STEP, int_array_literal(staged));
    return result;
}

} // namespace midilib
