// Times read_smf + analyze over every corpus file held in memory (5 rounds, median).
// Usage: analysis_bench [CORPUS_DIR]. Prints one JSON line.

#include "analyzers/analysis.hpp"
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
    std::filesystem::path const dir =
        argc > 1 ? std::filesystem::path{argv[1]} : std::filesystem::path{MIDILIB_SOURCE_DIR} / ".." / "shared" / "corpus";
    auto const files = load_corpus(dir);
    std::size_t bytes = 0;
    for (auto const &f : files) {
        bytes += f.size();
    }
    std::vector<double> times;
    std::uint64_t checksum = 0; // keeps the optimizer from dropping the work
    for (int round = 0; round < ROUNDS; ++round) {
        auto const start = std::chrono::steady_clock::now();
        for (auto const &f : files) {
            auto const r = midilib::read_smf(f);
            if (r.file) {
                checksum += midilib::analyze(*r.file).notes.count;
            }
        }
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    double const median = times[ROUNDS / 2];
    fmt::print("{{\"bench\":\"analysis\",\"files\":{},\"bytes\":{},\"rounds\":{},\"median_seconds\":{:.4f},"
               "\"files_per_sec\":{:.0f}}}\n",
               files.size(), bytes, ROUNDS, median, median > 0 ? static_cast<double>(files.size()) / median : 0.0);
    return checksum == 0 ? 1 : 0;
}
