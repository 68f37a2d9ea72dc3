#!/bin/sh
# Runs Temporal's time-skipping test server (io.temporal:temporal-test-server, a Java program) from jars that
# `npx tsx scripts/temporal-tools.ts test-server` fetched from Maven Central into the per-user cache.
#
# sdk-core starts this as `<exe> <port> [extraArgs...]` and stops it by killing its direct child, so the JVM
# must replace this shell (`exec`). Do not add --enable-time-skipping: the server must start with time skipping
# locked, as the SDK's downloaded binary does, or the TS client's first unlock fails with
# "Unbalanced lock and unlock calls".
set -eu

# Keep in sync with TEST_SERVER_VERSION in scripts/temporal-tools.ts and tools/temporal-test-server/pom.xml.
version=1.38.0
cache_root="${ISPBOX_OZMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ispbox-ozmap}"
lib="$cache_root/temporal-test-server-$version/lib"

if [ ! -f "$lib/temporal-test-server-$version.jar" ]; then
  echo "temporal-test-server: no jars in $lib; run: npx tsx scripts/temporal-tools.ts test-server" >&2
  exit 1
fi

if [ -n "${JAVA_HOME:-}" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi

# C1 only, serial GC and the JDK's class-data archive: start-up time is what matters for a short-lived test
# server (sdk-core allows one it starts 5 s; test/support/temporal.ts starts it itself to avoid that limit).
exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto \
  -cp "$lib/*" io.temporal.testserver.TestServer "$@"
