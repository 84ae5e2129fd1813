#include "smf/event_list.hpp"

#include <algorithm>

namespace midilib {

namespace {

void put_vlq(std::vector<std::uint8_t> &b, std::uint64_t v)
{
    v = std::min<std::uint64_t>(v, 0x0FFFFFFF); // the largest value four VLQ bytes hold
    std::uint8_t tmp[4];
    int n = 0;
    tmp[n++] = static_cast<std::uint8_t>(v & 0x7FU);
    while ((v >>= 7U) != 0) {
        tmp[n++] = static_cast<std::uint8_t>((v & 0x7FU) | 0x80U);
    }
    while (n > 0) {
        b.push_back(tmp[--n]);
    }
}

void put_be(std::vector<std::uint8_t> &b, std::uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i) {
        b.push_back(static_cast<std::uint8_t>(v >> (8U * static_cast<unsigned>(i))));
    }
}

void put_event(std::vector<std::uint8_t> &b, timed_event const &e)
{
    b.push_back(e.status);
    if (e.status == 0xFF) {
        b.push_back(e.meta_type);
        put_vlq(b, e.payload.size());
        b.insert(b.end(), e.payload.begin(), e.payload.end());
    } else if (e.status == 0xF0 || e.status == 0xF7) {
        put_vlq(b, e.payload.size());
        b.insert(b.end(), e.payload.begin(), e.payload.end());
    } else {
        b.push_back(e.data1 & 0x7FU);
        if (e.command() != 0xC0 && e.command() != 0xD0) {
            b.push_back(e.data2 & 0x7FU);
        }
    }
}

} // namespace

event_list decode_events(smf_file const &file)
{
    event_list out;
    out.format = file.header.format;
    out.tracks = static_cast<std::uint16_t>(std::min<std::size_t>(file.tracks.size(), 0xFFFF));
    out.division = file.header.division == division_kind::ppq
                       ? file.header.ppq
                       : static_cast<std::uint16_t>(((256U - file.header.smpte_fps) & 0xFFU) << 8U |
                                                    file.header.ticks_per_frame);
    for (std::size_t t = 0; t < out.tracks; ++t) {
        track_cursor cursor{file.tracks[t]};
        smf_event ev;
        while (cursor.next(ev)) {
            if (ev.kind == event_kind::system || (ev.kind == event_kind::meta && ev.meta_type == 0x2F)) {
                continue;
            }
            timed_event e;
            e.tick = ev.tick;
            e.track = static_cast<std::uint16_t>(t);
            e.status = ev.kind == event_kind::meta ? std::uint8_t{0xFF} : ev.status;
            e.meta_type = ev.meta_type;
            e.data1 = ev.data1;
            e.data2 = ev.data2;
            if (ev.kind != event_kind::channel) {
                e.payload.assign(ev.payload.begin(), ev.payload.end());
            }
            out.events.push_back(std::move(e));
        }
    }
    std::stable_sort(out.events.begin(), out.events.end(),
                     [](timed_event const &a, timed_event const &b) { return a.tick < b.tick; });
    return out;
}

std::vector<std::uint8_t> encode_events(event_list list)
{
    std::stable_sort(list.events.begin(), list.events.end(),
                     [](timed_event const &a, timed_event const &b) { return a.tick < b.tick; });
    std::vector<std::uint8_t> out{'M', 'T', 'h', 'd', 0, 0, 0, 6};
    put_be(out, list.format, 2);
    put_be(out, list.tracks, 2);
    put_be(out, list.division, 2);
    std::vector<std::vector<std::uint8_t>> bodies(list.tracks);
    std::vector<std::uint64_t> ticks(list.tracks, 0);
    for (auto const &e : list.events) {
        if (e.track >= list.tracks) {
            continue;
        }
        put_vlq(bodies[e.track], e.tick - ticks[e.track]);
        ticks[e.track] = e.tick;
        put_event(bodies[e.track], e);
    }
    for (auto &body : bodies) {
        body.insert(body.end(), {0x00, 0xFF, 0x2F, 0x00});
        out.insert(out.end(), {'M', 'T', 'r', 'k'});
        put_be(out, static_cast<std::uint32_t>(body.size()), 4);
        out.insert(out.end(), body.begin(), body.end());
    }
    return out;
}

} // namespace midilib
