#!/usr/bin/env bash
# Every training queue still to run, one after another on both cores, in the project's order (the Ant runs first):
#   run_followups.sh        the servo model's retraining (issue 27 section 5)
#   run_paper_tests.sh      why ant-paper is below the paper (issue 27 section 4: T1, T2, T4)
#   run_robust_clock.sh     ant-robust with the seed code's early-stop clock, which T4 found to matter (issue 27 section 3)
#   run_a1.sh               the Unitree A1's Hebbian and static models (issue 29)
#   run_carracing_static.sh CarRacing's static baseline (issue 30)
#   run_carracing_driver.sh a driver that loses no track (issue 30)
# Each queue resumes where it stopped and skips what reached its budget, so this can be started again at any time:
#   nohup experiments/run_all.sh > runs/all.log 2>&1 &
#   nohup experiments/run_all.sh --after PID > runs/all.log 2>&1 &   # first wait for a queue started by hand
# It holds runs/.queue.lock (experiments/queue_lib.sh) from the start, so no second queue trains beside it; with
# --after it waits for process PID and the rest of its process group (the training it started) to end first. The
# cores never sit idle between queues, and a queue that fails is reported (its name and exit status) and the next one
# runs: they do not depend on each other.
# Shipping stays a decision made by hand from each queue's results (its header says how).
set -uo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

QUEUES=${QUEUES:-"run_followups.sh run_paper_tests.sh run_robust_clock.sh run_a1.sh run_carracing_static.sh run_carracing_driver.sh"}
after=""
if [ "${1:-}" = --after ]; then
    after=${2:?"--after needs the PID of the process to wait for"}
fi
hold_queue_lock
if [ -n "$after" ]; then
    # the whole process group: a queue's training goes on if only its script is killed
    # (a PID already gone is taken as the leader of the group it left behind)
    group=$(ps -o pgid= -p "$after" | tr -d ' ' || true)
    group=${group:-$after}
    if [ "$group" = "$(ps -o pgid= -p $$ | tr -d ' ')" ]; then
        echo "--after $after: that process is in this script's own process group; start this from another shell" >&2
        exit 2
    fi
    echo "$(date -u +%FT%TZ) waiting for process $after and its process group ($group) to end"
    while kill -0 "$after" 2> /dev/null || pgrep -g "$group" > /dev/null; do
        sleep "${POLL_SECONDS:-30}"
    done
fi
failed=()
for queue in $QUEUES; do
    echo "$(date -u +%FT%TZ) queue $queue"
    bash "experiments/$queue"
    status=$?
    if [ "$status" != 0 ]; then
        echo "$(date -u +%FT%TZ) queue $queue failed (exit status $status); going on with the next" >&2
        failed+=("$queue")
    fi
done
echo "$(date -u +%FT%TZ) all queues ran; failed: ${failed[*]:-none}"
[ ${#failed[@]} = 0 ]
