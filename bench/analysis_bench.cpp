// Times the parse and the analysis of every corpus file held in memory (5 rounds, median).
// Usage: analysis_bench [CORPUS_DIR]. Prints two JSON lines: parse (read_smf + extract_facts,
// the import without analysis) and analysis (read_smf + analyze).

#include "analyzers/analysis.hpp"
#include "analyzers/file_facts.hpp"
#include "smf/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

std::vector<std::vector<std::uint8_t>> load_corpus(std::filesystem::path const &dir)
{
    std::vector<std::filesystem::path> paths;
    for (auto const &e : std::filesystem::recursive_directory_iterator{dir}) {
        if (e.is_regular_file() && e.path().extension() == ".mid") {
            paths.push_back(e.path());
        }
    }
    std::sort(paths.begin(), paths.end());
    std::vector<std::vector<std::uint8_t>> files;
    for (auto const &p : paths) {
        std::ifstream in{p, std::ios::binary};
        files.emplace_back(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
    }
    return files;
}

} // namespace

int main(int argc, char **argv)
{
    constexpr int ROUNDS = 5;
    std::filesystem::path const dir = argc > 1 ? std::filesystem::path{argv[1]}
                                               : std::filesystem::path{MIDILIB_SOURCE_DIR} / ".." / "shared" / "corpus";
    auto const files = load_corpus(dir);
    std::size_t bytes = 0;
    for (auto const &f : files) {
        bytes += f.size();
    }
    std::uint64_t checksum = 0; // keeps the optimizer from dropping the work
    // Times one pass over every file in memory, median of ROUNDS.
    auto const median_of = [&](auto const &per_file) {
        std::vector<double> times;
        for (int round = 0; round < ROUNDS; ++round) {
            auto const start = std::chrono::steady_clock::now();
            for (auto const &f : files) {
                checksum += per_file(f);
            }
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(times.begin(), times.end());
        return times[ROUNDS / 2];
    };
    auto const print = [&](char const *name, double median) {
        fmt::print("{{\"bench\":\"{}\",\"files\":{},\"bytes\":{},\"rounds\":{},\"median_seconds\":{:.4f},"
                   "\"files_per_sec\":{:.0f},\"mb_per_sec\":{:.1f}}}\n",
                   name, files.size(), bytes, ROUNDS, median,
                   median > 0 ? static_cast<double>(files.size()) / median : 0.0,
                   median > 0 ? static_cast<double>(bytes) / 1e6 / median : 0.0);
    };
    // The import's parse stage without analysis: the tolerant reader and the file facts.
    print("parse", median_of([](auto const &f) -> std::uint64_t {
              auto const r = midilib::read_smf(f);
              return r.file ? midilib::extract_facts(*r.file).note_count : 0;
          }));
    print("analysis", median_of([](auto const &f) -> std::uint64_t {
              auto const r = midilib::read_smf(f);
              return r.file ? midilib::analyze(*r.file).notes.count : 0;
          }));
    return checksum == 0 ? 1 : 0;
}
