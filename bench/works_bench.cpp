// Recall of the content fingerprint on a library made by tools/generate_library: for each generated
// file, is it the same work as the corpus file it was made from (OUT.ground-truth.csv)?
// Usage: works_bench CORPUS OUT [LIMIT]. Prints one JSON line.

#include "analyzers/analysis.hpp"
#include "smf/reader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

midilib::fingerprint print_of(fs::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    std::vector<std::uint8_t> const bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    auto const r = midilib::read_smf(bytes);
    return r.file ? midilib::analyze(*r.file).print : midilib::fingerprint{};
}

/// The first two fields of a CSV line written by generate_library (a field is quoted when it holds a comma).
std::pair<std::string, std::string> first_fields(std::string const &line)
{
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size() && fields.size() <= 2; ++i) {
        char const c = line[i];
        if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    fields.resize(2);
    return {fields[0], fields[1]};
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        fmt::print(stderr, "usage: works_bench CORPUS OUT [LIMIT]\n");
        return 2;
    }
    fs::path const corpus = argv[1];
    fs::path const out = argv[2];
    std::size_t const limit = argc > 3 ? std::stoul(argv[3]) : SIZE_MAX;
    std::ifstream truth{out.string() + ".ground-truth.csv"};
    std::string line;
    std::getline(truth, line); // the header
    std::map<std::string, midilib::fingerprint> sources;
    std::size_t files = 0;
    std::size_t fingerprinted = 0;
    std::size_t same = 0;
    while (files < limit && std::getline(truth, line)) {
        auto const [file, source] = first_fields(line);
        auto it = sources.find(source);
        if (it == sources.end()) {
            it = sources.emplace(source, print_of(corpus / source)).first;
        }
        ++files;
        if (it->second.kind == midilib::fingerprint_kind::none) {
            continue;
        }
        ++fingerprinted;
        same += midilib::same_work(it->second, print_of(out / file)) ? 1 : 0;
    }
    fmt::print("{{\"bench\":\"works\",\"files\":{},\"source_fingerprinted\":{},\"same_work\":{},\"recall\":{:.4f}}}\n",
               files, fingerprinted, same,
               fingerprinted > 0 ? static_cast<double>(same) / static_cast<double>(fingerprinted) : 0.0);
    return 0;
}
