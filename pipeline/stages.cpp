#include "pipeline/stages.hpp"

#include "analyzers/file_facts.hpp"
#include "smf/reader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace midilib {

namespace {

std::size_t slot_of(known_hashes::hash const &h)
{
    std::uint64_t v = 0;
    std::memcpy(&v, h.data(), sizeof v);
    return static_cast<std::size_t>(v);
}

void log_failure(file_item const &item)
{
    spdlog::warn("{}: {}: {}", item.path, item.error_stage, item.error_reason);
}

} // namespace

void read_stage(file_item &item)
{
    if (item.state != item_state::pending || item.preloaded) {
        return;
    }
    int const fd = ::open(item.fs_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        item.fail("read", std::strerror(errno));
        log_failure(item);
        return;
    }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > MAX_FILE_BYTES) {
        item.fail("read", fmt::format("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20U));
        ::close(fd);
        log_failure(item);
        return;
    }
    item.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < item.bytes.size()) {
        auto const n = ::read(fd, item.bytes.data() + got, item.bytes.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    // The file may have changed since it was stat'ed: hash and store what was read.
    item.bytes.resize(got);
    item.size = got;
}

void hash_stage(file_item &item, known_hashes const &known)
{
    if (item.state != item_state::pending) {
        return;
    }
    auto const h = XXH3_128bits(item.bytes.data(), item.bytes.size());
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, h);
    std::memcpy(item.hash.data(), canonical.digest, item.hash.size());
    if (known.contains(item.hash)) {
        item.state = item_state::duplicate;
        std::vector<std::uint8_t>{}.swap(item.bytes); // freed, not kept: see parse_stage
    }
}

void parse_stage(file_item &item, bool analyze_too)
{
    if (item.state != item_state::pending) {
        return;
    }
    auto result = read_smf(item.bytes);
    if (!result.file) {
        item.fail("parse", result.error);
        log_failure(item);
    } else {
        item.facts = extract_facts(*result.file);
        if (analyze_too) {
            item.analysis = analyze(*result.file);
            item.analyzed = true;
            // Per-beat chords are not stored (the bar progression is): do not hold them until the batch commits.
            std::vector<chord>{}.swap(item.analysis.chords.beats);
        }
        item.state = item_state::parsed;
    }
    // Freed, not kept for the item's next file: thousands of items wait in batches, and each
    // keeping the capacity of the largest file it ever held grew an import of a million files
    // to 890 MB. Only the files between read and parse hold bytes now.
    std::vector<std::uint8_t>{}.swap(item.bytes);
}

known_hashes::known_hashes() : m_slots(SLOTS) {}

bool known_hashes::contains(hash const &h) const
{
    std::shared_lock lock{m_mutex};
    return m_slots[slot_of(h) % SLOTS] == h;
}

void known_hashes::add_committed(std::span<file_item *const> items)
{
    std::unique_lock lock{m_mutex};
    for (auto const *item : items) {
        if (item->state == item_state::parsed) {
            m_slots[slot_of(item->hash) % SLOTS] = item->hash;
        }
    }
}

} // namespace midilib
