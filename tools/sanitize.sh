#!/usr/bin/env bash
# The tests under the sanitizers, each against a throw-away PostgreSQL like tools/test.sh:
#   1. the whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/);
#   2. the pipeline, queue and connection-pool tests built with ThreadSanitizer (build-tsan/),
#      with oneTBB itself rebuilt with ThreadSanitizer from Debian's source package: the libtbb.so
#      Debian ships is not instrumented, so TSan would not see how it hands work from one thread
#      to the next and would report races that are not there.
# Any sanitizer report fails its test (the midilib processes the tests start are sanitized too).
#
#   tools/sanitize.sh [asan|tsan]...      default: both
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(asan tsan)
tools/install-deps.sh

asan() {
    cmake -S . -B build-asan -DMIDILIB_SANITIZE=address,undefined -DMIDILIB_WERROR=ON >/dev/null
    cmake --build build-asan -j"$(nproc)" --target midilib unit_tests db_tests
    ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
    LSAN_OPTIONS="suppressions=$repo/tools/sanitizers/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        pg_virtualenv ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
}

# Builds libtbb.so.12 with -fsanitize=thread from the source of the installed libtbb-dev version
# into build-tsan/onetbb/lib (once; about 15 s). apt's state goes to a private folder, so this
# needs neither root nor a deb-src line in the system's sources.
instrumented_tbb() {
    local lib=$repo/build-tsan/onetbb/lib
    if [ -e "$lib/libtbb.so.12" ]; then
        echo "$lib"
        return
    fi
    local version apt src
    version=$(dpkg-query -W -f='${Version}' libtbb-dev)
    apt=$(mktemp -d "${TMPDIR:-/tmp}/midilib-apt.XXXXXX")
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/src"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
        >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root -qq)
    apt-get "${opts[@]}" update >&2
    (cd "$apt/src" && apt-get "${opts[@]}" source --download-only "onetbb=$version" >&2)
    tar -xf "$apt"/src/onetbb_*.orig.tar.* -C "$apt/src"
    src=$(find "$apt/src" -maxdepth 1 -type d -name 'oneTBB-*' | head -n 1)
    # (GCC warns there that TSan does not model atomic_thread_fence: only noise, kept in the log.)
    if ! { cmake -S "$src" -B "$apt/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread \
               -DTBB_TEST=OFF -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF &&
           cmake --build "$apt/build" -j"$(nproc)" --target tbb; } >"$apt/build.log" 2>&1; then
        cat "$apt/build.log" >&2
        echo "sanitize: building oneTBB with ThreadSanitizer failed (log above)" >&2
        exit 1
    fi
    mkdir -p "$lib"
    cp -P "$apt"/build/*/libtbb.so* "$lib/"
    rm -rf "$apt"
    echo "$lib"
}

tsan() {
    local tbb
    tbb=$(instrumented_tbb)
    cmake -S . -B build-tsan -DMIDILIB_SANITIZE=thread -DMIDILIB_WERROR=ON >/dev/null
    cmake --build build-tsan -j"$(nproc)" --target midilib db_tests
    # Every test that runs a flow graph, the queue's workers or the connection pool.
    LD_LIBRARY_PATH=$tbb TSAN_OPTIONS="second_deadlock_stack=1:suppressions=$repo/tools/sanitizers/tsan.supp" \
        pg_virtualenv ctest --test-dir build-tsan --output-on-failure -j"$(nproc)" \
        -R 'import|concurrency|archive|queue|pool|faults|copy_buffer'
}

for step in "${steps[@]}"; do
    case $step in
        asan) asan ;;
        tsan) tsan ;;
        *) echo "usage: tools/sanitize.sh [asan|tsan]..." >&2; exit 2 ;;
    esac
done
