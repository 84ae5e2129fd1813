// Search over an imported library: name tokens (underscores, camelCase, digits), phrases,
// exclusions, prefixes, facets, keyset pages, the typo fallback, and the plans of every
// documented filter combination.

#include "db/library_search.hpp"
#include "db/search_sql.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// The rows of an EXPLAIN, as one text.
std::string plan_text(pqxx::result const &rows)
{
    std::string plan;
    for (auto const &row : rows) {
        plan += row[0].as<std::string>() + "\n";
    }
    return plan;
}

class search_test : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        if (corpus_dir().empty()) {
            return;
        }
        s_db = new temp_database;
        s_dir = new temp_dir;
        // Distinct contents under names users give their loops.
        auto const nott = corpus_dir() / "nottingham" / "MIDI";
        std::vector<fs::path> sources;
        for (auto const &e : fs::directory_iterator{nott}) {
            if (e.is_regular_file()) {
                sources.push_back(e.path());
            }
        }
        std::sort(sources.begin(), sources.end());
        // The copies must not be duplicates of the nottingham files imported beside them (a
        // hit shows one path per content, and which one depends on where the corpus lies), so
        // each gets an alien chunk, which SMF readers skip, with its own name in it.
        auto const put = [&](std::size_t i, std::string const &rel) {
            auto const to = s_dir->path() / rel;
            fs::create_directories(to.parent_path());
            copy_writable(sources.at(i), to);
            std::ofstream out{to, std::ios::binary | std::ios::app};
            auto const len = static_cast<std::uint32_t>(rel.size());
            out << "MLtx" << static_cast<char>(len >> 24) << static_cast<char>(len >> 16) << static_cast<char>(len >> 8)
                << static_cast<char>(len) << rel;
        };
        put(0, "Deep House Pack/Deep_House_Kick_128_C.mid");
        put(1, "Deep House Pack/SynthBassLoop140.mid");
        put(2, "hymns/AmazingGrace-Piano.mid");
        put(3, "hymns/Deep-Blue-Sea.mid");
        put(4, "misc/house_party_kick.mid");
        auto const [code, out] = run_midilib(s_db->conninfo(),
                                             {"import", s_dir->path().string(), (corpus_dir() / "nottingham").string(),
                                              (corpus_dir() / "groove-midi").string()});
        ASSERT_EQ(code, 0) << out;
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        delete s_db;
    }
    void SetUp() override
    {
        if (s_db == nullptr) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }

    static search_page find(search_request r)
    {
        pqxx::connection cx{s_db->conninfo()};
        return search_library(cx, r);
    }
    static search_page find(std::string text, int limit = 50)
    {
        search_request r;
        r.text = std::move(text);
        r.limit = limit;
        return find(r);
    }
    /// File names of the hits.
    static std::set<std::string> names(search_page const &p)
    {
        std::set<std::string> out;
        for (auto const &h : p.hits) {
            out.insert(fs::path{h.path}.filename().string());
        }
        return out;
    }

    static temp_database *s_db;
    static temp_dir *s_dir;
};

temp_database *search_test::s_db = nullptr;
temp_dir *search_test::s_dir = nullptr;

TEST_F(search_test, words_inside_underscore_camel_case_and_digit_names)
{
    EXPECT_TRUE(names(find("kick")).count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(names(find("house")).count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(names(find("128")).count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(names(find("bass")).count("SynthBassLoop140.mid"));
    EXPECT_TRUE(names(find("loop 140")).count("SynthBassLoop140.mid"));
    EXPECT_TRUE(names(find("synthbassloop140")).count("SynthBassLoop140.mid")); // as written
    EXPECT_TRUE(names(find("grace piano")).count("AmazingGrace-Piano.mid"));
    EXPECT_TRUE(names(find("pack")).count("SynthBassLoop140.mid")); // folder names count too
    EXPECT_FALSE(find("kick").fuzzy);
}

// The import ends by merging the search indexes' pending entries and, for a library it grew by a
// tenth or more, by refreshing the planner's statistics (migration 0009): the first searches
// after an import neither scan a pending list nor plan without statistics.
TEST_F(search_test, import_leaves_the_search_indexes_merged_and_analyzed)
{
    s_db->exec("CREATE EXTENSION IF NOT EXISTS pgstattuple");
    std::string const gin = " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
                            " WHERE am.amname = 'gin' AND i.indrelid IN"
                            " (SELECT relid FROM pg_partition_tree('file_search'::regclass) WHERE isleaf)";
    EXPECT_EQ(s_db->scalar<long>("SELECT sum((pgstatginindex(i.indexrelid)).pending_tuples)" + gin), 0);
    EXPECT_EQ(s_db->scalar<long>("SELECT count(*)" + gin), 2 * 9); // document and instrument words, 9 partitions (0013)
    // reltuples is -1 until a table is first analyzed or vacuumed.
    EXPECT_EQ(s_db->scalar<long>("SELECT reltuples::bigint FROM pg_class WHERE oid = 'file_search'::regclass"),
              s_db->count_rows("file_search"));
    EXPECT_GT(s_db->scalar<long>("SELECT count(*) FROM pg_stats WHERE tablename = 'file_search'"), 0);
}

TEST_F(search_test, phrases_exclusions_or_and_prefixes)
{
    auto const phrase = names(find("\"deep house\""));
    EXPECT_TRUE(phrase.count("Deep_House_Kick_128_C.mid"));
    EXPECT_FALSE(phrase.count("house_party_kick.mid"));
    auto const reversed = find("\"house deep\"");
    EXPECT_TRUE(reversed.fuzzy || !names(reversed).count("Deep_House_Kick_128_C.mid")); // only as a typo guess

    auto const excluded = names(find("kick -deep"));
    EXPECT_TRUE(excluded.count("house_party_kick.mid"));
    EXPECT_FALSE(excluded.count("Deep_House_Kick_128_C.mid"));

    auto const either = names(find("amazing or party", 1000));
    EXPECT_TRUE(either.count("AmazingGrace-Piano.mid"));
    EXPECT_TRUE(either.count("house_party_kick.mid"));

    // Type-ahead: the last word matches as a prefix.
    EXPECT_TRUE(names(find("dee")).count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(names(find("deep hou")).count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(find("zzqqxx").hits.empty() || find("zzqqxx").fuzzy);
}

TEST_F(search_test, facets_alone_and_with_text)
{
    search_request r;
    r.key = parse_key("G major");
    r.time_signature = "3/4";
    r.limit = 10000;
    auto const hits = find(r).hits;
    ASSERT_FALSE(hits.empty());
    for (auto const &h : hits) {
        EXPECT_EQ(h.key_name, "G major");
        EXPECT_EQ(h.time_signature, "3/4");
    }
    EXPECT_EQ(static_cast<long>(hits.size()),
              s_db->count_rows("file_search", "key_tonic = 7 AND key_mode = 'major' AND time_signature = '3/4'"));

    search_request drums;
    drums.text = "funk";
    drums.drums = true;
    drums.bpm = std::pair{100.0, 120.0};
    drums.limit = 10000;
    auto const funk = find(drums).hits;
    ASSERT_FALSE(funk.empty());
    for (auto const &h : funk) {
        EXPECT_TRUE(h.drums);
        EXPECT_GE(h.tempo_bpm, 100.0);
        EXPECT_LE(h.tempo_bpm, 120.0);
        EXPECT_NE(h.path.find("funk"), std::string::npos) << h.path;
    }

    search_request piano;
    piano.instrument = "piano";
    piano.folder = (s_dir->path() / "hymns").string();
    EXPECT_EQ(find(piano).hits.size(), 2U); // nottingham tunes play on the default piano
}

TEST_F(search_test, a_text_with_facets_finds_the_same_files_through_either_index)
{
    // Fewer matches each than the candidates ranked, so both ways rank the same candidates.
    std::vector<search_request> requests(4);
    requests[0].text = "soul";
    requests[0].drums = true;
    requests[1].text = "ashover";
    requests[1].key = parse_key("G major");
    requests[2].text = "jazz";
    requests[2].bpm = std::pair{90.0, 130.0};
    requests[3].text = "deep hou"; // a phrase being typed: the last word is a prefix
    requests[3].time_signature = "4/4";
    pqxx::connection cx{s_db->conninfo()};
    library_searcher searcher{cx};
    for (auto &r : requests) {
        r.limit = 10000;
        std::vector<std::vector<std::int64_t>> ids;
        for (auto const access : {text_access::word_index, text_access::facet_rows}) {
            auto const [sql, params] = search_statement(r, access);
            EXPECT_EQ(sql.find("ts_match_vq") != std::string::npos, access == text_access::facet_rows) << sql;
            pqxx::nontransaction tx{cx};
            ids.emplace_back();
            for (auto const &row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
                ids.back().push_back(row[0].as<std::int64_t>());
            }
        }
        EXPECT_FALSE(ids[0].empty()) << r.text;
        EXPECT_LT(ids[0].size(), static_cast<std::size_t>(SEARCH_CANDIDATES)) << r.text;
        EXPECT_EQ(ids[0], ids[1]) << r.text;
        std::vector<std::int64_t> found;
        for (auto const &h : searcher.find(r).hits) {
            found.push_back(h.id);
        }
        EXPECT_EQ(found, ids[0]) << r.text;
    }
}

TEST_F(search_test, key_names_parse)
{
    EXPECT_EQ(parse_key("A minor"), (std::pair{9, true}));
    EXPECT_EQ(parse_key("F#"), (std::pair{6, false}));
    EXPECT_EQ(parse_key("Bbm"), (std::pair{10, true}));
    EXPECT_EQ(parse_key("bb major"), (std::pair{10, false}));
    EXPECT_EQ(parse_key("c# min"), (std::pair{1, true}));
    EXPECT_FALSE(parse_key("H minor"));
    EXPECT_FALSE(parse_key("A lydian"));
}

TEST_F(search_test, keyset_pages_cover_the_result_once)
{
    for (bool text : {true, false}) {
        search_request r;
        if (text) {
            r.text = "ashover";
        } else {
            r.bpm = std::pair{60.0, 200.0};
        }
        r.limit = 10000;
        auto const all = find(r).hits;
        ASSERT_GT(all.size(), 20U);
        std::vector<std::int64_t> paged;
        r.limit = 7;
        while (true) {
            auto const page = find(r).hits;
            for (auto const &h : page) {
                paged.push_back(h.id);
            }
            if (page.size() < 7U) {
                break;
            }
            r.after = page.back().cursor;
        }
        std::vector<std::int64_t> expected;
        for (auto const &h : all) {
            expected.push_back(h.id);
        }
        EXPECT_EQ(paged, expected) << (text ? "text" : "facets");
    }
    search_request bad;
    bad.after = "x'; DROP TABLE midi_files; --";
    EXPECT_THROW(find(bad), std::invalid_argument);
}

TEST_F(search_test, a_typo_finds_the_file_by_similar_name)
{
    auto const page = find("amazinggrase");
    EXPECT_TRUE(page.fuzzy);
    EXPECT_TRUE(names(page).count("AmazingGrace-Piano.mid"));
    auto const cli = run_midilib(s_db->conninfo(), {"search", "--json", "synthbas"});
    EXPECT_EQ(cli.first, 0);
    EXPECT_NE(cli.second.find("SynthBassLoop140.mid"), std::string::npos) << cli.second;
}

// The typo fallback guesses each word of the text from the vocabulary of file names (search_words,
// kept by every refresh of the search rows: migration 0010), then searches the library for the
// words it found; excluded words stay excluded, as written.
TEST_F(search_test, a_typo_in_one_word_of_several_is_guessed_from_the_names_vocabulary)
{
    EXPECT_EQ(
        s_db->count_rows("search_words", "word IN ('amazinggrace', 'synthbassloop140', 'kick', 'house', 'party')"), 5);
    EXPECT_EQ(s_db->count_rows("search_words", "word <> lower(word) OR word ~ '[^[:alnum:]]' OR word = ''"), 0);
    auto const page = find("hause kick");
    EXPECT_TRUE(page.fuzzy);
    auto const both = names(page);
    EXPECT_TRUE(both.count("Deep_House_Kick_128_C.mid"));
    EXPECT_TRUE(both.count("house_party_kick.mid"));
    auto const excluded = find("hause -party");
    EXPECT_TRUE(excluded.fuzzy);
    EXPECT_TRUE(names(excluded).count("Deep_House_Kick_128_C.mid"));
    EXPECT_FALSE(names(excluded).count("house_party_kick.mid"));
    EXPECT_TRUE(find("zzqqxx wwvvkk").hits.empty()); // nothing like these words: no guess
    EXPECT_TRUE(find("zzqqxx -kick").hits.empty());  // nor when the only word is unlike any name
}

// A text search reads the partitions of file_search smallest first (migration 0013), so a common
// word finds its candidates in the first, a 256th of the library, and decodes only that
// partition's share of its posting list.
TEST_F(search_test, a_text_search_reads_the_smallest_partitions_first)
{
    search_request r;
    r.text = "deep house";
    auto const [sql, params] = search_statement(r);
    pqxx::connection cx{s_db->conninfo()};
    pqxx::work tx{cx};
    std::string const plan = plan_text(tx.exec_params("EXPLAIN " + sql, pqxx::prepare::make_dynamic_params(params)));
    std::size_t last = 0;
    for (int tier = 0; tier <= 8; ++tier) {
        auto const at = plan.find(" on file_search_t" + std::to_string(tier) + " ");
        ASSERT_NE(at, std::string::npos) << tier << "\n" << plan;
        EXPECT_GT(at, last) << tier << "\n" << plan;
        last = at;
    }
    // The leaves hold 1/256, 1/256, 1/128, ... 1/2 of the files: the last read holds the most.
    auto const rows = [&](int tier) {
        return tx.exec1("SELECT count(*) FROM file_search_t" + std::to_string(tier))[0].as<long>();
    };
    EXPECT_GT(rows(8), rows(7));
    EXPECT_GT(rows(7), rows(0));
}

// Every documented filter combination can be answered from an index. With sequential scans
// disabled the planner takes any index path there is; a "Seq Scan on file_search" left in the
// plan means no index serves that combination. (On a table this small the planner would
// rightly prefer a sequential scan if allowed, so the switch is what makes the test mean it.)
TEST_F(search_test, every_filter_combination_uses_an_index)
{
    struct combination
    {
        char const *name;
        search_request request;
    };
    std::vector<combination> combos;
    auto const add = [&](char const *name, auto &&fill) {
        search_request r;
        fill(r);
        combos.push_back({name, r});
    };
    add("text", [](search_request &r) { r.text = "deep house"; });
    add("text prefix", [](search_request &r) { r.text = "deep hou"; });
    add("phrase and exclusion", [](search_request &r) { r.text = "\"deep house\" -kick"; });
    add("bpm", [](search_request &r) { r.bpm = std::pair{120.0, 130.0}; });
    add("key", [](search_request &r) { r.key = std::pair{9, true}; });
    add("time signature", [](search_request &r) { r.time_signature = "3/4"; });
    add("duration", [](search_request &r) { r.duration = std::pair{30.0, 120.0}; });
    add("drums", [](search_request &r) { r.drums = true; });
    add("tracks", [](search_request &r) { r.tracks = std::pair{2, 4}; });
    add("instrument", [](search_request &r) { r.instrument = "piano"; });
    add("folder", [](search_request &r) { r.folder = "/work/shared/corpus/groove-midi"; });
    add("key + bpm", [](search_request &r) {
        r.key = std::pair{7, false};
        r.bpm = std::pair{90.0, 140.0};
    });
    add("time signature + drums", [](search_request &r) {
        r.time_signature = "4/4";
        r.drums = true;
    });
    add("bpm + instrument", [](search_request &r) {
        r.bpm = std::pair{60.0, 200.0};
        r.instrument = "piano";
    });
    add("folder + key", [](search_request &r) {
        r.folder = "/work/shared/corpus/nottingham";
        r.key = std::pair{7, false};
    });
    add("text + key", [](search_request &r) {
        r.text = "ashover";
        r.key = std::pair{7, false};
    });
    add("text prefix + bpm", [](search_request &r) {
        r.text = "deep hou";
        r.bpm = std::pair{90.0, 130.0};
    });
    add("text + instrument", [](search_request &r) {
        r.text = "funk";
        r.instrument = "piano";
    });
    add("text + bpm + drums", [](search_request &r) {
        r.text = "funk";
        r.bpm = std::pair{100.0, 120.0};
        r.drums = true;
    });
    add("text + key + time signature", [](search_request &r) {
        r.text = "ashover";
        r.key = std::pair{7, false};
        r.time_signature = "3/4";
    });
    add("bpm page 2", [](search_request &r) {
        r.bpm = std::pair{100.0, 120.0};
        r.after = "v:110:42";
    });
    add("text page 2", [](search_request &r) {
        r.text = "funk";
        r.after = "r:0.5:42";
    });
    pqxx::connection cx{s_db->conninfo()};
    pqxx::work tx{cx};
    tx.exec0("SET LOCAL enable_seqscan = off");
    auto const check = [](std::string const &name, pqxx::result const &rows) {
        std::string const plan = plan_text(rows);
        EXPECT_EQ(plan.find("Seq Scan on file_search"), std::string::npos) << name << "\n" << plan;
        EXPECT_EQ(plan.find("Seq Scan on midi_file"), std::string::npos) << name << "\n" << plan;
        EXPECT_NE(plan.find("Index"), std::string::npos) << name << "\n" << plan;
    };
    // Which indexes a plan reads with a condition: "Index Cond: (document @@ q.query)" and the like.
    auto const index_conditions = [](std::string const &plan) {
        std::vector<std::string> out;
        for (std::size_t at = plan.find("Index Cond: "); at != std::string::npos;
             at = plan.find("Index Cond: ", at + 1)) {
            out.push_back(plan.substr(at, plan.find('\n', at) - at));
        }
        return out;
    };
    int prepared = 0;
    for (auto const &c : combos) {
        bool const text_with_facets = search_statement(c.request, text_access::word_index).first !=
                                      search_statement(c.request, text_access::facet_rows).first;
        prepared += planned_per_call(c.request) ? 0 : 1;
        // A text with facets is read one of two ways (text_access): both must use an index.
        for (auto const access : {text_access::word_index, text_access::facet_rows}) {
            auto const [sql, params] = search_statement(c.request, access);
            check(c.name, tx.exec_params("EXPLAIN " + sql, pqxx::prepare::make_dynamic_params(params)));
            if (planned_per_call(c.request) || (!text_with_facets && access == text_access::facet_rows)) {
                continue;
            }
            // Prepared once (library_searcher): the plan that PostgreSQL keeps for any value
            // must use an index too, and for a text with one facet, the index that access names.
            auto const name = "plan_" + std::to_string(prepared) + (access == text_access::word_index ? "w" : "f");
            tx.exec0("PREPARE " + name + " AS " + sql);
            std::string values;
            for (auto const &p : params) {
                values += (values.empty() ? "" : ", ") + tx.quote(p);
            }
            tx.exec0("SET LOCAL plan_cache_mode = force_generic_plan");
            auto const generic = tx.exec("EXPLAIN EXECUTE " + name + (values.empty() ? "" : "(" + values + ")"));
            tx.exec0("SET LOCAL plan_cache_mode = auto");
            std::string const label = std::string{c.name} + " (generic plan)";
            check(label, generic);
            if (text_with_facets) {
                auto const plan = plan_text(generic);
                for (auto const &condition : index_conditions(plan)) {
                    EXPECT_EQ(condition.find("document") != std::string::npos, access == text_access::word_index)
                        << label << ": " << condition << "\n"
                        << plan;
                }
            }
        }
    }
    EXPECT_GE(prepared, 13); // the texts, the single facets, the texts with one facet
}

} // namespace
} // namespace midilib::testing
