#!/bin/sh
# Stand-in for a server that is already running. test/support/temporal.ts starts the time-skipping test server
# itself (the JVM can miss sdk-core's 5 s start-up window on a busy machine), then hands sdk-core this stub plus
# the server's port: sdk-core spawns the stub, finds the real server answering on that port, and kills the stub
# at teardown. The stub also ends on its own once the Node process that started it is gone.
parent=$PPID
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
